"""What a document's heading says about its plan: the title, the approving
document (kind, number, date), the period and, where the place names one,
the time zone.

Example::

    facts = read_heading(["Приложение 2 к приказу … от 22.04.2022 № 70-ОД",
                          "План мероприятий … на 2022 – 2024г.г."])
    facts.document  # Document("приказ", "70-ОД", date(2022, 4, 22))
    facts.period    # Period(2022-01-01, 2024-12-31)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from roadmap.model import Document, Period

TITLE_RE = re.compile(r"план\b|дорожн\w* карт|программ", re.I)
NOT_TITLE_RE = re.compile(r"^(приложение|утвержд|к приказу|приказ\b|от \d)", re.I)
_DATE = r"(\d{1,2})\.(\d{1,2})\.(\d{4})"
_NUMBER = r"([\w\-/.]*\w)"
ORDER_RES = (
    re.compile(rf"\bот\s+{_DATE}\s*(?:г\.?|года)?\s*№\s*{_NUMBER}", re.I),
    # «№ 70-ОД от 22.04.2022», and a form's «№ 351 23.09.2022 г»
    re.compile(rf"№\s*{_NUMBER}\s+(?:от\s+)?{_DATE}", re.I),
)
KIND_RE = re.compile(r"(приказ|распоряжени|постановлени|решени)\w*", re.I)
KINDS = {"приказ": "приказ", "распоряжени": "распоряжение", "постановлени": "постановление",
         "решени": "решение"}
YEARS_RE = re.compile(r"(20\d\d)\s*(?:г\.?\s*)?[-–—]\s*(20\d\d)")
YEAR_RE = re.compile(r"\bна\s+(20\d\d)\s*(?:год|г\.)", re.I)
SCHOOL_YEAR_RE = re.compile(r"учебн\w* год", re.I)
# Places whose time zone the heading gives away (stems, lower case).
ZONES = (
    ("иркутск", "Asia/Irkutsk"), ("бохан", "Asia/Irkutsk"), ("краснояр", "Asia/Krasnoyarsk"),
    ("удмурт", "Europe/Samara"), ("глазов", "Europe/Samara"),
    ("москв", "Europe/Moscow"), ("новосибир", "Asia/Novosibirsk"), ("томск", "Asia/Tomsk"),
    ("омск", "Asia/Omsk"), ("екатеринбург", "Asia/Yekaterinburg"), ("свердлов", "Asia/Yekaterinburg"),
    ("якут", "Asia/Yakutsk"), ("саха", "Asia/Yakutsk"), ("бурят", "Asia/Irkutsk"),
    ("хабаров", "Asia/Vladivostok"), ("приморск", "Asia/Vladivostok"), ("калинингр", "Europe/Kaliningrad"),
    ("самар", "Europe/Samara"), ("татарстан", "Europe/Moscow"), ("казан", "Europe/Moscow"),
)


@dataclass(frozen=True)
class HeadingFacts:
    title: str | None
    document: Document | None
    period: Period | None
    school_years: bool
    timezone: str | None


def read_heading(lines: Sequence[str]) -> HeadingFacts:
    """The facts the heading ``lines`` state; None for what they do not."""
    title = _title(lines)
    text = " ".join(" ".join(line.split()) for line in lines)
    school = bool(SCHOOL_YEAR_RE.search(title or ""))
    return HeadingFacts(
        title, _document(text), _period(title or "", school) or _period(text, school), school,
        _zone(text),
    )


def _title(lines: Sequence[str]) -> str | None:
    """The title line nearest above the table (a long preamble may name
    other plans first), with its lower-case continuation lines."""
    lines = [" ".join(line.split()) for line in lines]
    for n in range(len(lines) - 1, -1, -1):
        line = lines[n]
        if TITLE_RE.search(line) and not NOT_TITLE_RE.search(line) and len(line) > 10:
            parts = [line]
            # A title broken over lines goes on in lower case.
            for more in lines[n + 1 :]:
                if not more or not more[0].islower():
                    break
                parts.append(more)
            return " ".join(parts)
    return None


def _document(text: str) -> Document | None:
    """The first approving document the heading names."""
    found: list[tuple[int, Document]] = []
    for n, pattern in enumerate(ORDER_RES):
        for match in pattern.finditer(text):
            if n == 0:
                day, month, year, number = match.groups()
            else:
                number, day, month, year = match.groups()
            try:
                when = date(int(year), int(month), int(day))
            except ValueError:
                continue
            before = KIND_RE.findall(text[: match.start()] + " " + match.group(0))
            kind = KINDS.get(before[-1].lower(), "приказ") if before else "приказ"
            found.append((match.start(), Document(kind, number, when)))
            break
    return min(found, key=lambda f: f[0])[1] if found else None


def _period(text: str, school: bool) -> Period | None:
    match = YEARS_RE.search(text)
    if match:
        first, last = int(match.group(1)), int(match.group(2))
    else:
        single = YEAR_RE.search(text)
        if single is None:
            return None
        first = last = int(single.group(1))
    if last < first or last - first > 20:
        return None
    if school:
        return Period(date(first, 9, 1), date(max(last, first + 1), 8, 31))
    return Period(date(first, 1, 1), date(last, 12, 31))


def _zone(text: str) -> str | None:
    lower = text.lower()
    for stem, zone in ZONES:
        if stem in lower:
            return zone
    return None
