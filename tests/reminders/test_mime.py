"""The message writer (:mod:`notifications.mime`) read back by the standard
library's parser: headers decode to what was meant (Cyrillic, quotes,
commas, long subjects), every line is short and ASCII, and the parts are
where a mail client looks for them."""

from __future__ import annotations

import email
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default

import pytest

from notifications.mime import address, encoded_words, mime_message

NAMES = [
    "Иванова Анна Петровна",
    'Smith, John "Jr."',
    "O'Brien",
    "МБОУ «СОШ № 1» (муниципалитет 33, пример) — куратор по наставничеству и ещё длинное имя",
    "Emoji 😀 и ё",
    "",
]


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.parametrize("name", NAMES)
def test_headers_read_back_as_written(name: str) -> None:
    subject = "Дорожная карта: просрочено 30, скоро срок 2 — " + name * 3
    to = Address(display_name=name, addr_spec="curator@school-1.example.org")
    data = mime_message(
        [("From", address(Address("Дорожная карта", addr_spec="roadmap@example.org"))),
         ("To", address(to)), ("Subject", encoded_words(subject))],
        "текст\nстрока 2", "<p>html</p>", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        boundary="=_roadmap_0123",
    )
    assert data.isascii()
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))
    message = parse(data)
    assert message["Subject"] == subject
    [parsed] = message["To"].addresses
    # (The standard library keeps the folding space inside a name: a
    # decoder by RFC 2047 drops it. Either way, the words are the same.)
    assert (parsed.display_name.split(), parsed.addr_spec) == (name.split(), to.addr_spec)
    assert message["From"].addresses[0].display_name == "Дорожная карта"
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("plain",)).get_content() == "текст\nстрока 2"  # type: ignore[union-attr]
    assert message.get_body(("html",)).get_content() == "<p>html</p>"  # type: ignore[union-attr]
    [ics] = list(message.iter_attachments())
    assert ics.get_filename() == "roadmap.ics" and ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "PUBLISH"
    assert ics.get_content() == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def test_without_a_calendar_the_message_is_the_alternative() -> None:
    message = parse(mime_message([("Subject", "x")], "a", "<b>a</b>", None, boundary="=_r_1"))
    assert message.get_content_type() == "multipart/alternative"
    assert not list(message.iter_attachments())
    assert message.get_body(("plain",)).get_content() == "a"  # type: ignore[union-attr]
