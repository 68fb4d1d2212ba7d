"""A reminder as RFC 5322 / MIME bytes, written directly.

The messages have one fixed shape — a plain and an HTML alternative and an
optional calendar attachment, all UTF-8 in base64 — so they are written
here rather than through :class:`email.message.EmailMessage`, whose header
parsing and refolding cost more than the rest of a message together. The
tests read every message back with the standard library's parser
(``email.policy.default``) and compare it with what was meant.

Header values are ASCII: non-ASCII text becomes RFC 2047 encoded words
(UTF-8, base64) of at most 75 characters, folded onto continuation lines;
addresses are validated before (:func:`notifications.digest.make_address`)
and display names cleaned of control characters.

Example::

    data = mime_message(headers, plain, html_body, ics, boundary="=_roadmap_1f2e")
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from email.headerregistry import Address

ICS_FILENAME = "roadmap.ics"
# Bytes of UTF-8 per encoded word: base64 of 39 bytes is 52 characters,
# «=?utf-8?b?» and «?=» make 64 (RFC 2047: at most 75), so that a header's
# name and the first word stay within 78 characters a line.
_WORD_BYTES = 39
# A display name that needs no quoting: atext and spaces (RFC 5322 §3.2.3).
_ATOMS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$")


def encoded_words(text: str) -> str:
    """``text`` for a header: as is when ASCII, else RFC 2047 encoded words
    folded with CRLF and a space. Words break before a space (the space
    goes inside the next encoded word), a long word between characters:
    decoders that keep the folding space inside a name then add only a
    space where one was."""
    if text.isascii():
        return text
    pieces: list[str] = []
    for token in re.findall(r"\s*\S+|\s+", text):
        data = token.encode("utf-8")
        if pieces and len((pieces[-1] + token).encode("utf-8")) <= _WORD_BYTES:
            pieces[-1] += token
        elif len(data) <= _WORD_BYTES:
            pieces.append(token)
        else:
            pieces += _split(token)
    return "\r\n ".join(
        "=?utf-8?b?" + base64.b64encode(p.encode("utf-8")).decode("ascii") + "?=" for p in pieces
    )


def _split(token: str) -> list[str]:
    """A long word in pieces of at most :data:`_WORD_BYTES`, between characters."""
    pieces, chunk, size = [], "", 0
    for ch in token:
        n = len(ch.encode("utf-8"))
        if size + n > _WORD_BYTES:
            pieces.append(chunk)
            chunk, size = "", 0
        chunk += ch
        size += n
    return [*pieces, chunk]


def address(value: Address) -> str:
    """``Name <addr>`` (the name encoded or quoted as needed), or ``addr``."""
    name = value.display_name
    if not name:
        return value.addr_spec
    if not name.isascii():
        shown = encoded_words(name)
    elif _ATOMS.match(name):
        shown = name
    else:
        shown = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    last = shown.rsplit("\r\n", 1)[-1]
    gap = "\r\n " if len(last) + len(value.addr_spec) > 64 else " "
    return f"{shown}{gap}<{value.addr_spec}>"


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _text(subtype: str, text: str) -> bytes:
    # Line ends as the text has them (LF), inside base64, as the standard
    # library's EmailMessage writes them too.
    body = text.encode("utf-8")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("ascii") + _base64(body)


def _multipart(subtype: str, boundary: str, parts: Sequence[bytes]) -> bytes:
    mark = f"--{boundary}\r\n".encode("ascii")
    return (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode("ascii")
        + b"".join(mark + part for part in parts)
        + f"--{boundary}--\r\n".encode("ascii")
    )


def mime_message(
    headers: Sequence[tuple[str, str]], plain: str, html_body: str, ics: bytes | None,
    boundary: str,
) -> bytes:
    """The whole message: ``headers`` (names and ready values), then a
    ``multipart/alternative`` of ``plain`` and ``html_body``, inside a
    ``multipart/mixed`` with the calendar ``ics`` when there is one.
    ``boundary`` must not occur in base64 text (use «=_» in it)."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    head += "MIME-Version: 1.0\r\n"
    body = _multipart("alternative", boundary + "_alt", [_text("plain", plain),
                                                         _text("html", html_body)])
    if ics is not None:
        attachment = (
            'Content-Type: text/calendar; charset="utf-8"; method="PUBLISH"\r\n'
            f'Content-Disposition: attachment; filename="{ICS_FILENAME}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode("ascii") + _base64(ics)
        body = _multipart("mixed", boundary, [body, attachment])
    return head.encode("ascii") + body
