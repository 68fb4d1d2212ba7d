"""The pure part: header hygiene, address checks, who gets which digest."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest

from notifications.digest import (
    Contact,
    DigestOptions,
    Directory,
    InvalidAddress,
    PartyContacts,
    PlanContacts,
    build_digests,
    clean_header_text,
    validate_address,
)
from roadmap.status import Status
from roadmap.tracking import StatusRow

TODAY = date(2024, 3, 1)
NOW = datetime(2024, 3, 1, 0, 30, tzinfo=UTC)
OPTIONS = DigestOptions(sender=Address("Дорожная карта", addr_spec="roadmap@example.org"))


def row(task: str, due: date | None, status: Status, **kw: Any) -> StatusRow:
    values: dict[str, Any] = {
        "plan": "p",
        "task": task,
        "number": task,
        "section": "Раздел",
        "activity": f"Мероприятие {task}",
        "deadline": None,
        "result": None,
        "party": "imcro",
        "party_name": "МКУ ИМЦРО",
        "org": None,
        "org_name": None,
        "occurrence_id": hash((task, kw.get("party"), kw.get("org"))) & 0xFFFF,
        "occurrence_key": f"p/{task}/{kw.get('party', 'imcro')}/{kw.get('org') or ''}",
        "kind": "on_demand" if status is Status.ON_DEMAND else "dated",
        "start": None,
        "due": due,
        "status": status,
        "days_overdue": (TODAY - due).days if due and status is Status.OVERDUE else 0,
        "today": TODAY,
        "done_at": None,
        "done_by": None,
    }
    values.update(kw)
    return StatusRow(**values)


def directory(**parties: PartyContacts) -> Directory:
    return Directory(
        plans={
            "p": PlanContacts(
                "p", "План", "Asia/Irkutsk", Contact("Координатор", "boss@example.org"),
                parties,
            )
        }
    )


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("МКУ ИМЦРО\r\nBcc: evil@example.org", "МКУ ИМЦРО Bcc: evil@example.org"),
        ("a\x00b\tc\x1bd", "a b c d"),
        ("line\u2028separator\u2029para", "line separator para"),
        ("right\u202eto-left\u200b", "right to-left"),
        ("  много   пробелов  ", "много пробелов"),
        (None, ""),
    ],
)
def test_clean_header_text(text: str | None, expected: str) -> None:
    assert clean_header_text(text) == expected


def test_clean_header_text_clips() -> None:
    assert clean_header_text("я" * 500, limit=10) == "я" * 9 + "…"


@pytest.mark.parametrize(
    "address", ["imcro@example.org", "a.b+tag@school-1.irkutsk.example.org", "x@пример.рф"]
)
def test_valid_addresses(address: str) -> None:
    assert validate_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "no-at-sign.example.org",
        "two@at@example.org",
        "with space@example.org",
        "evil@example.org\r\nBcc: other@example.org",
        "a..b@example.org",
        ".a@example.org",
        "curator@school-3..example.org",
        "root@localhost",
        "кириллица@example.org",
        "Name <a@example.org>",
        "a@example.org, b@example.org",
    ],
)
def test_invalid_addresses_are_refused_with_a_reason(address: str | None) -> None:
    with pytest.raises(InvalidAddress) as err:
        validate_address(address)
    assert str(err.value)


def test_party_and_plan_escalation_both_get_one_message_grouped_by_who() -> None:
    late = row("1.1", date(2024, 2, 1), Status.OVERDUE)
    late_school = row(
        "1.2", date(2024, 2, 10), Status.OVERDUE, party="oo", party_name="ОО",
        org="s1", org_name="Школа № 1",
    )
    parties = {
        "imcro": PartyContacts("МКУ ИМЦРО", (Contact("ИМЦРО", "imcro@example.org"),),
                               Contact("Начальник", "head@example.org")),
        "oo": PartyContacts("ОО", (), None, "reg"),
    }
    d = Directory(plans=directory(**parties).plans, curators={("reg", "s1"): Contact("К", None)})
    batch = build_digests([late, late_school], d, OPTIONS, NOW)
    kinds = {(m.kind, m.recipient) for m in batch.messages}
    assert kinds == {
        ("digest", "imcro@example.org"),
        ("escalation", "boss@example.org"),
        ("escalation", "head@example.org"),
    }
    boss = next(m for m in batch.messages if m.recipient == "boss@example.org")
    text = parse(boss.message).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The most overdue first, each under who is late.
    assert text.index("МКУ ИМЦРО (1)") < text.index("Школа № 1 (куратор: К) (1)")
    head = next(m for m in batch.messages if m.recipient == "head@example.org")
    assert "Школа № 1" not in parse(head.message).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    # The school has a curator without an address: skipped, with the reason.
    assert [(s.who, s.reason) for s in batch.skipped] == [
        ("Школа № 1", "адрес не указан")
    ]


def test_one_digest_per_recipient_even_for_several_parties() -> None:
    same = Contact("Иванова", "Ivanova@Example.org")
    parties = {
        "imcro": PartyContacts("МКУ ИМЦРО", (same,)),
        "dept": PartyContacts("Департамент", (Contact(None, "ivanova@example.org"),)),
    }
    rows = [
        row("1.1", date(2024, 3, 5), Status.DUE_SOON),
        row("1.2", date(2024, 2, 25), Status.OVERDUE, party="dept", party_name="Департамент"),
    ]
    batch = build_digests(rows, directory(**parties), OPTIONS, NOW)
    assert len(batch.messages) == 1
    message = batch.messages[0]
    assert message.key == "digest/2024-03-01/Asia/Irkutsk/ivanova@example.org"
    assert message.subject == (
        "Дорожная карта: просрочено 1, скоро срок 1 — Департамент, МКУ ИМЦРО"
    )
    text = parse(message.message).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Исполнитель: МКУ ИМЦРО" in text and "Исполнитель: Департамент" in text


def test_nothing_due_means_no_message_and_keys_already_stored_are_skipped() -> None:
    parties = {"imcro": PartyContacts("МКУ ИМЦРО", (Contact(None, "imcro@example.org"),))}
    quiet = [
        row("1.1", date(2024, 6, 1), Status.UPCOMING),
        row("1.2", None, Status.ON_DEMAND),
        row("1.3", date(2024, 2, 1), Status.DONE),
    ]
    assert build_digests(quiet, directory(**parties), OPTIONS, NOW).messages == []
    due = [row("1.4", date(2024, 3, 2), Status.DUE_SOON)]
    key = "digest/2024-03-01/Asia/Irkutsk/imcro@example.org"
    assert len(build_digests(due, directory(**parties), OPTIONS, NOW).messages) == 1
    assert build_digests(due, directory(**parties), OPTIONS, NOW, skip_keys={key}).messages == []


def test_injection_through_every_text_field_adds_no_header() -> None:
    evil = "x\r\nBcc: evil@example.org\r\n\r\nbody"
    parties = {"imcro": PartyContacts(evil, (Contact(evil, "imcro@example.org"),))}
    rows = [row("1.1\r\nX-Evil: 1", date(2024, 2, 1), Status.OVERDUE, party_name=evil,
                activity=evil, result=evil)]
    options = DigestOptions(
        sender=Address(clean_header_text("Roadmap\r\nBcc: evil@example.org"),
                       addr_spec="roadmap@example.org"),
    )
    batch = build_digests(rows, directory(**parties), options, NOW)
    assert len(batch.messages) == 2  # imcro's digest and the escalation
    for m in batch.messages:
        head = m.message.split(b"\r\n\r\n", 1)[0]
        names = [line.split(b":", 1)[0].lower() for line in head.split(b"\r\n")
                 if line and not line.startswith((b" ", b"\t"))]
        assert b"bcc" not in names and b"x-evil" not in names
        assert sorted(set(names)) == sorted(
            {b"from", b"to", b"subject", b"date", b"message-id", b"auto-submitted",
             b"x-auto-response-suppress", b"mime-version", b"content-type"}
        )
        assert len(parse(m.message)["To"].addresses) == 1


@pytest.mark.parametrize("base", [None, "https://roadmap.example.org"])
def test_digest_links_each_item_or_says_how_to_report(base: str | None) -> None:
    late = row("1.1", date(2024, 2, 1), Status.OVERDUE, occurrence_id=41)
    soon = row("1.2", TODAY + timedelta(days=3), Status.DUE_SOON, occurrence_id=42)
    parties = {"imcro": PartyContacts("МКУ ИМЦРО", (Contact("ИМЦРО", "imcro@example.org"),),
                                      None)}
    options = replace(OPTIONS, base_url=base)
    batch = build_digests([late, soon], directory(**parties), options, NOW)
    message = parse(batch.messages[0].message)
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html_part = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    if base is None:
        assert "/#occ-" not in plain and "личную ссылку" in plain
    else:
        for occurrence in (41, 42):
            assert f"{base}/#occ-{occurrence}" in plain
            assert f'href="{base}/#occ-{occurrence}"' in html_part
        assert "ссылка у каждого пункта" in plain


def test_a_large_escalation_names_who_is_late_with_counts_and_only_the_worst_items() -> None:
    """25 schools, 6 late items each: the 20 worst schools get their 3 worst
    items (the others are counted), the last 5 one line each; the calendar
    carries the items shown; the dashboard is linked when a base URL is set."""
    rows = [
        row(f"{school}.{i}", date(2024, 2, 20) - timedelta(days=school * 7 + i), Status.OVERDUE,
            party="oo", party_name="ОО", org=f"s{school}", org_name=f"Школа № {school}",
            occurrence_id=school * 10 + i)
        for school in range(1, 26) for i in range(6)
    ]
    parties = {"oo": PartyContacts("ОО", (), None, None)}
    options = replace(OPTIONS, base_url="https://roadmap.example.org/")
    batch = build_digests(rows, directory(**parties), options, NOW)
    [boss] = [m for m in batch.messages if m.kind == "escalation"]
    message = parse(boss.message)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    worst = text.index("Школа № 25 (6)")
    assert worst < text.index("Школа № 24 (6)") < text.index("Школа № 6 (6)")
    assert "Мероприятие 25.5" in text and "Мероприятие 25.4" in text  # the worst three…
    assert "Мероприятие 25.3" in text and "Мероприятие 25.2" not in text
    assert text.count("… и ещё 3") == 20
    assert "Ещё просрочили (5):" in text
    assert "Школа № 1 — просрочено: 6, до 22 дн." in text
    assert "Мероприятие 1.5" not in text
    assert "https://roadmap.example.org/plan/p" in text
    html_body = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "Школа № 1 — просрочено: 6" in html_body
    # Long overdue (over 30 days): one line each, and no calendar of the past.
    assert "Школа № 25 (6)\n\nПлан [p]\n  • 25.5 Мероприятие 25.5 — 24.08.2023 — просрочено на 190 дн.\n" in text
    assert not [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(boss.message) < 100 * 1024


def test_a_digest_lists_long_overdue_items_briefly_and_attaches_what_is_ahead() -> None:
    rows = [
        row("1.1", date(2023, 1, 10), Status.OVERDUE, result="Приказ", occurrence_id=1),
        row("1.2", date(2024, 2, 20), Status.OVERDUE, result="Положение", occurrence_id=2),
        row("1.3", date(2024, 3, 5), Status.DUE_SOON, result="Отчёт", occurrence_id=3),
    ]
    batch = build_digests(rows, directory(imcro=PartyContacts(
        "МКУ ИМЦРО", (Contact("ИМЦРО", "imcro@example.org"),), None)), OPTIONS, NOW)
    [digest] = [m for m in batch.messages if m.kind == "digest"]
    message = parse(digest.message)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Просрочено (1)" in text and "Давно просрочено — более 30 дн. (1)" in text
    assert "  • 1.1 Мероприятие 1.1 — 10.01.2023 — просрочено на 416 дн.\n" in text
    assert "Приказ" not in text  # known for a year: the brief line
    assert "Ожидаемый результат: Положение" in text and "Ожидаемый результат: Отчёт" in text
    assert digest.overdue == 2  # the subject still counts every overdue item
    ics = next(p for p in message.iter_attachments() if p.get_content_type() == "text/calendar")
    summaries = [line for line in ics.get_content().splitlines() if line.startswith("SUMMARY:")]
    assert summaries == ["SUMMARY:[просрочено] Мероприятие 1.2", "SUMMARY:Мероприятие 1.3"]
