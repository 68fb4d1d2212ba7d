"""The pure part: header hygiene, address checks, who gets which digest."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime
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
