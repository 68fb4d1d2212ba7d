"""Rule 22 with other parts: a named school year scopes what it qualifies."""

from __future__ import annotations

from datetime import date

import pytest

from roadmap.deadlines import Context, interpret

SCHOOL = Context(date(2023, 9, 1), date(2025, 8, 31), school_years=True)
CALENDAR = Context(date(2023, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize("ctx", [SCHOOL, CALENDAR])
@pytest.mark.parametrize(
    ("text", "start", "due"),
    [
        ("2 полугодие 2023-2024 учебного года", date(2024, 1, 1), date(2024, 5, 31)),
        ("1 полугодие 2023/24 уч. г.", date(2023, 9, 1), date(2023, 12, 31)),
        ("I четверть 2024-2025 учебного года", date(2024, 9, 1), date(2024, 10, 31)),
        ("сентябрь 2023-2024 учебного года", date(2023, 9, 1), date(2023, 9, 30)),
        ("Май 2024/2025 учебного года", date(2025, 5, 1), date(2025, 5, 31)),
    ],
)
def test_named_school_year_gives_one_window_without_year_warning(
    ctx: Context, text: str, start: date, due: date
) -> None:
    meaning = interpret(text, ctx)
    assert [(w.start, w.due) for w in meaning.occurrences] == [(start, due)]
    assert not meaning.warnings
