"""Who gets mail, decided in the database (:mod:`notifications.recipients`)
and rendered when sent, is what the per-row rules
(:func:`notifications.digest.build_digests` over every open status row)
give: the same messages (headers and every part) and the same skipped recipients —
on the national benchmark's generated country (schools with curators,
parties with and without contacts, plan and party escalation contacts, 60 %
of the past done), on several days, on every backend."""

from __future__ import annotations

import email
from datetime import date
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

from notifications.digest import build_digests
from notifications.outbox import digest_options, directory_for, render_for
from notifications.recipients import plan_mail
from roadmap.app import App
from roadmap.storage.db import write_session
from roadmap.storage.tables import OrganisationRow, PartyRow
from roadmap.sweep import open_items
from roadmap.tracking import StatusRow
from tests.fixtures import benchmark

national = benchmark("national")


def _content(message: bytes) -> list[tuple[str, object]]:
    """Headers and decoded parts — what a reader sees (the MIME boundaries
    are random)."""
    parsed = email.message_from_bytes(message, policy=default)
    seen: list[tuple[str, object]] = [
        (name, str(value)) for name, value in parsed.items() if name != "Content-Type"
    ]
    for part in parsed.walk():
        if not part.is_multipart():
            assert isinstance(part, EmailMessage)
            seen.append((part.get_content_type(), part.get_content()))
    return seen
DAYS = [date(2023, 5, 31), national.TODAY]


def _spoil_contacts(app: App) -> None:
    """Recipients a digest cannot reach: a curator with an invalid address,
    a school without a curator, a party without contacts."""
    with write_session(app.sessions) as session:
        schools = session.scalars(select(OrganisationRow).order_by(OrganisationRow.id)).all()
        schools[0].curator_email = "curator@broken..example.org"
        schools[1].curator_name = schools[1].curator_email = None
        party = session.scalars(
            select(PartyRow).where(PartyRow.register.is_(None)).order_by(PartyRow.id)
        ).first()
        assert party is not None
        party.contacts = []


@pytest.mark.slow
def test_database_decision_and_late_rendering_match_the_per_row_rules(
    db_url: str, tmp_path: Path
) -> None:
    app = national.make_app(db_url, tmp_path, national.TODAY)
    try:
        results = national.Results("tiny", app.engine.dialect.name)
        national.load(app, national.SCALES["tiny"], results, lambda _line: None)
        national.mark_done(app, results)
        _spoil_contacts(app)
        options = digest_options(app)
        seen_escalations = seen_skipped = 0
        with app.sessions() as session:
            for day in DAYS:
                today_for = lambda _zone, day=day: day  # noqa: E731
                envelopes, skipped = plan_mail(session, options, today_for)

                rows: list[StatusRow] = []
                sequences: dict[int, int] = {}
                for row, sequence in open_items(
                    session, today_for, lookahead_days=options.lookahead_days
                ):
                    rows.append(row)
                    sequences[row.occurrence_id] = sequence
                directory = directory_for(session, rows, sequences, options)
                expected = build_digests(rows, directory, options, national.NOW)

                by_key = {m.key: m for m in expected.messages}
                assert [e.key for e in envelopes] == sorted(by_key), day
                for envelope in envelopes:
                    made = render_for(session, envelope, options, national.NOW)
                    assert made is not None
                    assert _content(made.message) == _content(by_key[envelope.key].message)
                assert sorted((s.key, s.reason) for s in skipped) == sorted(
                    (s.key, s.reason) for s in expected.skipped
                )
                seen_escalations += sum(e.kind == "escalation" for e in envelopes)
                seen_skipped += len(skipped)
        # The comparison covered every kind of message and of skipped recipient.
        assert seen_escalations > 0 and seen_skipped > 0
    finally:
        app.close()
