"""The HTTP headers we read and write by hand, in one place.

- Weighted lists (``Accept-Language``, ``Accept-Encoding``; RFC 9110
  §12.4.2): ``en-GB,en;q=0.9,ru;q=0.5``. A value without ``q`` weighs 1; a
  ``q`` that is not a number weighs 0 (refused), as does ``q=0``.
- ``Content-Disposition: attachment`` (RFC 6266 with RFC 5987's
  ``filename*``): an ASCII fallback for old clients and the exact UTF-8 name.

Example::

    weighted("en-GB,en;q=0.9")                  # [('en-gb', 1.0), ('en', 0.9)]
    preferred_language("en-US,ru;q=0.5", ("ru", "en"), "ru")   # 'en'
    accepts("gzip;q=0", "gzip", "x-gzip")        # False
    attachment("Приказ №1.pdf")
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote


def _weight(params: str) -> float:
    for param in params.split(";"):
        name, _eq, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def weighted(header: str | None) -> list[tuple[str, float]]:
    """The items of a weighted list, lower-cased, with their weights, in
    the order written (empty items left out)."""
    items = []
    for part in (header or "").split(","):
        token, _sep, params = part.partition(";")
        if token := token.strip().lower():
            items.append((token, _weight(params)))
    return items


def preferred_language(header: str | None, languages: Sequence[str], default: str) -> str:
    """The language of ``languages`` an ``Accept-Language`` header prefers
    (by weight, then order; ``en-GB`` counts as ``en``), else ``default``."""
    best, best_q = default, 0.0
    for tag, q in weighted(header):
        lang = tag.split("-")[0]
        if lang in languages and q > best_q:
            best, best_q = lang, q
    return best


def accepts(header: str | None, *codings: str) -> bool:
    """Whether an ``Accept-Encoding`` header takes one of ``codings``
    (named, and not with ``q=0``)."""
    return any(token in codings and q > 0 for token, q in weighted(header))


def attachment(name: str) -> str:
    """``Content-Disposition: attachment`` for a file called ``name``."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in name) or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
