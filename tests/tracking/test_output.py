"""The shared text output of :mod:`roadmap.formats`."""

from __future__ import annotations

import csv
import io
import json

from roadmap.formats import constant_columns, fit_widths, render_table, to_csv, to_json

LONG = "Назначение кураторов внедрения целевой модели наставничества в организациях"


def test_table_fits_and_wraps_rows() -> None:
    rows = [("irk", "1.1", LONG, "2024-01-31"), ("irk", "1.2", "Короткое", None)]
    for width in (40, 60, 80, 120):
        text = render_table(("План", "№", "Мероприятие", "Срок"), rows, (None, 6, None, 10),
                            width=width)
        lines = text.splitlines()
        assert all(len(line) <= width for line in lines), (width, text)
        assert "…" not in text
        # The activity's lines, read down its column, give the whole text.
        start = lines[0].index("Мероприятие")
        end = lines[0].index("Срок")
        first_row = [line[start:end].strip() for line in lines[1:-1]]
        assert " ".join(first_row) == LONG
        assert lines[-1].split()[:3] == ["irk", "1.2", "Короткое"]
    assert LONG in render_table(("a",), [(LONG,)], width=200)


def test_wrapped_between_words() -> None:
    text = render_table(("Мероприятие",), [(LONG,)], width=30)
    cells = text.splitlines()[1:]
    assert len(cells) > 1 and all(len(c) <= 30 for c in cells)
    assert " ".join(c.strip() for c in cells) == LONG


def test_constant_columns_move_above_the_table() -> None:
    rows = [("irk", "1.1", "a"), ("irk", "1.2", "b")]
    above, headers, left = constant_columns(("План", "№", "x"), rows, (0, 1))
    assert above == ["План: irk"] and headers == ["№", "x"]
    assert left == [["1.1", "a"], ["1.2", "b"]]
    # One row: nothing to gain, the table stays whole.
    assert constant_columns(("План",), rows[:1], (0,))[0] == []


def test_newlines_never_break_a_row() -> None:
    text = render_table(("a", "b"), [("one\ntwo", "x")], width=80)
    assert text.splitlines()[1].startswith("one two")


def test_fit_widths_shrinks_free_columns_first() -> None:
    assert fit_widths([4, 4, 4], [10, 60, 10], 70, [None, None, 10]) == [10, 46, 10]
    # A header wider than its data gives way before free text goes below 24.
    assert fit_widths([4, 14, 4], [60, 3, 10], 50, [None, 14, 10]) == [24, 12, 10]
    assert sum(fit_widths([4, 4, 4], [10, 50, 10], 40, [10, None, 10])) + 4 <= 40


def test_csv_and_json() -> None:
    text = to_csv(("plan", "org"), [("irk", None), ("msk", "школа № 1, корпус 2")])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [{"plan": "irk", "org": ""}, {"plan": "msk", "org": "школа № 1, корпус 2"}]
    assert json.loads(to_json({"план": "Иркутск"})) == {"план": "Иркутск"}
    assert "Иркутск" in to_json("Иркутск")
