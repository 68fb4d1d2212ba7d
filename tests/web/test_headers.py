"""The headers read and written by hand (:mod:`roadmap.web.headers`): the
language and the coding a browser asks for, and a download's file name as
another parser (aiohttp's client side, which prefers ``filename*`` as RFC
6266 asks) reads it."""

from __future__ import annotations

import pytest
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from roadmap.web.headers import accepts, attachment, preferred_language, weighted

OURS = ("ru", "en")


def test_weighted_lists_keep_order_and_weights() -> None:
    assert weighted("en-GB, en;q=0.9 ,ru; q=0.5,,*;q=0.1") == [
        ("en-gb", 1.0), ("en", 0.9), ("ru", 0.5), ("*", 0.1),
    ]
    assert weighted("gzip;level=1;q=0.3") == [("gzip", 0.3)]
    assert weighted("br;q=abc") == [("br", 0.0)]
    assert weighted(None) == [] and weighted("  ") == []


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("en-US,en;q=0.9,ru;q=0.5", "en"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"),
        ("de-DE,en;q=0.7,ru;q=0.8", "ru"),  # weight decides, not order
        ("en;q=0.8,ru;q=0.8", "en"),  # equal weights: the first written
        ("de,fr;q=0.9", "ru"),  # none of ours: the default
        ("en;q=0", "ru"),  # refused
        ("en;q=x", "ru"),  # a broken weight refuses too
        ("", "ru"),
        (None, "ru"),
        ("EN-gb", "en"),
    ],
)
def test_the_preferred_language(header: str | None, language: str) -> None:
    assert preferred_language(header, OURS, "ru") == language


@pytest.mark.parametrize(
    ("header", "taken"),
    [
        ("gzip, deflate, br", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, br", False),
        ("identity", False),
        ("gzipped", False),
        (None, False),
    ],
)
def test_whether_gzip_is_accepted(header: str | None, taken: bool) -> None:
    assert accepts(header, "gzip", "x-gzip") is taken


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("Приказ № 12 от 01.09.2024.pdf", "______ _ 12 __ 01.09.2024.pdf"),
        ('plan "final"\\v2.xlsx', "plan _final__v2.xlsx"),
        ("report.docx", "report.docx"),
        ("отчёт", "_____"),
    ],
)
def test_a_download_keeps_its_exact_name(name: str, fallback: str) -> None:
    value = attachment(name)
    assert value.isascii()  # a header value old clients can carry
    kind, params = parse_content_disposition(value)
    assert kind == "attachment"
    assert content_disposition_filename(params, "filename") == name  # filename*, decoded
    assert params["filename"] == fallback  # what a client without RFC 5987 shows
