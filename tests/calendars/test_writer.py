"""The calendar writer (:func:`notifications.calendar.render`) against two
independent parsers: whatever the text — commas, semicolons, backslashes,
newlines, Cyrillic, emoji, very long lines — icalendar and ical read back
exactly what was written, and no line is longer than 75 octets."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from notifications.calendar import CalendarInfo, Entry, Revision, fold, render, todo_uid

ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЯ abcXYZ0123456789,;:\\\"'\n«»—–…✓😀€/"
STAMP = datetime(2024, 3, 1, 2, 30, tzinfo=UTC)


def text(rng: random.Random, longest: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, longest))).strip() or "x"


def entries(seed: int, n: int = 12) -> list[Entry]:
    rng = random.Random(seed)
    made = []
    for i in range(n):
        start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 300))
        done = rng.random() < 0.3
        made.append(Entry(
            uid=f"{seed}-{i}@roadmap", occurrence_id=i, start=start,
            due=start + timedelta(days=rng.randint(0, 40)),
            summary=text(rng, 300), description=text(rng, 900),
            categories=tuple(text(rng, 60) for _ in range(rng.randint(0, 2))),
            done=done, completed_at=STAMP if done else None,
            base_sequence=rng.randint(0, 5), percent=None if done else rng.choice([None, 40]),
        ))
    return made


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("todo", [False, True])
def test_two_parsers_read_back_what_was_written(seed: int, todo: bool) -> None:
    made = entries(seed)
    info = CalendarInfo("cal@roadmap", "Сроки, «план»; тест\\", "строка 1\nстрока 2, ещё; всё")
    data = render(info, made, {e.uid: Revision(seed, STAMP) for e in made}, todo=todo)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert data.endswith(b"END:VCALENDAR\r\n") and b"\n" not in data.replace(b"\r\n", b"")

    calendar = icalendar.Calendar.from_ical(data)
    # (icalendar reads NAME and X-WR-* as unknown, unescaped values: RFC 7986
    # makes NAME a TEXT, escaped as written.)
    assert str(calendar["NAME"]).replace("\\,", ",").replace("\\;", ";") == (
        info.name.replace("\\", "\\\\"))
    assert str(calendar["DESCRIPTION"]) == info.description
    kind = "VTODO" if todo else "VEVENT"
    parsed = {str(c["UID"]): c for c in calendar.walk(kind)}
    def uid(entry: Entry) -> str:  # a to-do's UID is its own (importable beside the event)
        return todo_uid(entry.uid) if todo else entry.uid

    for entry in made:
        got = parsed[uid(entry)]
        assert str(got["SUMMARY"]) == entry.summary
        assert str(got["DESCRIPTION"]) == entry.description
        assert int(got["SEQUENCE"]) == entry.base_sequence + seed
        if todo and entry.start == entry.due:
            assert "DTSTART" not in got  # DUE must be later than DTSTART
        else:
            assert got["DTSTART"].dt == entry.start
        if todo:
            assert got["DUE"].dt == entry.due
        else:
            assert got["DTEND"].dt == entry.due + timedelta(days=1)
        categories = [str(c) for c in got["CATEGORIES"].cats] if "CATEGORIES" in got else []
        assert categories == list(entry.categories)

    stream = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    second = {i.uid: i for i in (stream.todos if todo else stream.events)}
    assert {u: i.summary for u, i in second.items()} == {uid(e): e.summary for e in made}
    assert {u: i.description for u, i in second.items()} == {
        uid(e): e.description for e in made}


def test_folding_never_splits_a_character() -> None:
    for n in range(60, 160):
        line = "DESCRIPTION:" + "я😀a" * n
        data = fold(line)
        pieces = data[:-2].split(b"\r\n ")
        assert all(len(p) <= 75 for p in pieces)
        assert "".join(p.decode("utf-8") for p in pieces) == line  # each piece is whole UTF-8
