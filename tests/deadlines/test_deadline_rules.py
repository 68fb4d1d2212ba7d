"""Each rule of CONVENTIONS.md, with phrasings that are not in cases.json."""

from __future__ import annotations

from datetime import date

import pytest

from roadmap.deadlines import Context, interpret
from roadmap.model import SchoolYear

CAL = Context(date(2023, 1, 1), date(2026, 12, 31))
SHORT = Context(date(2024, 1, 1), date(2025, 12, 31))
SY = Context(date(2022, 9, 1), date(2023, 8, 31), school_years=True)
SY2 = Context(date(2022, 9, 1), date(2024, 8, 31), school_years=True)


def occ(text: str, ctx: Context = SHORT) -> list[str]:
    meaning = interpret(text, ctx)
    return [f"{w.start or '_'}..{w.due}" for w in meaning.occurrences]


def yearly(start: str, due: str, years: range = range(2024, 2026)) -> list[str]:
    """The same (MM-DD) window in each year; a start month after the due month
    starts the year before."""
    out = []
    for y in years:
        sy = y - 1 if start != "_" and start > due else y
        s = "_" if start == "_" else f"{sy}-{start}"
        out.append(f"{s}..{y}-{due}")
    return out


CASES = [
    # rule 1: a day
    ("rule1", "до 15 ноября 2024 г.", SHORT, ["_..2024-11-15"]),
    ("rule1", "в срок до 3 апреля 2025 года", SHORT, ["_..2025-04-03"]),
    ("rule1", "не позднее 01.02.2025", SHORT, ["_..2025-02-01"]),
    ("rule1", "Не позже 7 мая 2024", SHORT, ["_..2024-05-07"]),
    ("rule1", "к 1 сентября 2024", SHORT, ["_..2024-09-01"]),
    ("rule1", "до 20.12.2024г.", SHORT, ["_..2024-12-20"]),
    ("rule1", "12 марта 2025", SHORT, ["2025-03-12..2025-03-12"]),
    ("rule1", "12.03.2025", SHORT, ["2025-03-12..2025-03-12"]),
    ("rule1", "12.03.25", SHORT, ["2025-03-12..2025-03-12"]),
    # rule 2: a month
    ("rule2", "Декабрь 2024 года", SHORT, ["2024-12-01..2024-12-31"]),
    ("rule2", "в феврале 2024", SHORT, ["2024-02-01..2024-02-29"]),
    ("rule2", "ФЕВРАЛЬ, 2025", SHORT, ["2025-02-01..2025-02-28"]),
    ("rule2", "апреле 2025 г", SHORT, ["2025-04-01..2025-04-30"]),
    # rule 3: a range of months
    ("rule3", "Апрель—май 2025", SHORT, ["2025-04-01..2025-05-31"]),
    ("rule3", "ноябрь ‑ декабрь 2024 г.", SHORT, ["2024-11-01..2024-12-31"]),
    ("rule3", "сентябрь 2024 – март 2025", SHORT, ["2024-09-01..2025-03-31"]),
    ("rule3", "ноябрь–февраль", SY2, ["2022-11-01..2023-02-28", "2023-11-01..2024-02-29"]),
    # rule 4: a list of months
    ("rule4", "Апрель, август", SHORT, sorted(yearly("04-01", "04-30") + yearly("08-01", "08-31"))),
    ("rule4", "декабрь и июнь", SHORT, sorted(yearly("06-01", "06-30") + yearly("12-01", "12-31"))),
    ("rule4", "май; ноябрь", SHORT, sorted(yearly("05-01", "05-31") + yearly("11-01", "11-30"))),
    ("rule4", "Июль август", SHORT, sorted(yearly("07-01", "07-31") + yearly("08-01", "08-31"))),
    # rule 5: no year given
    ("rule5", "Октябрь", SHORT, yearly("10-01", "10-31")),
    ("rule5", "декабрь", SY, ["2022-12-01..2022-12-31"]),
    ("rule5", "март", SY, ["2023-03-01..2023-03-31"]),
    # rule 6: «ежегодно» + months
    ("rule6", "ежегодно в апреле", SHORT, yearly("04-01", "04-30")),
    ("rule6", "Ежегодно, ноябрь", SHORT, yearly("11-01", "11-30")),
    (
        "rule6",
        "ежегодно в марте 2024-2025",
        CAL,
        ["2024-03-01..2024-03-31", "2025-03-01..2025-03-31"],
    ),
    # rule 7: «ежегодно» without a month
    ("rule7", "Ежегодно", SHORT, ["2024-01-01..2024-12-31", "2025-01-01..2025-12-31"]),
    ("rule7", "ежегодно 2024–2025 годы", CAL, ["2024-01-01..2024-12-31", "2025-01-01..2025-12-31"]),
    ("rule7", "Ежегодно", SY2, ["2022-09-01..2023-08-31", "2023-09-01..2024-08-31"]),
    (
        "rule7",
        "Ежегодно, по плану школы",
        SHORT,
        ["2024-01-01..2024-12-31", "2025-01-01..2025-12-31"],
    ),
    # rule 8: years
    ("rule8", "2025 год", SHORT, ["2025-01-01..2025-12-31"]),
    ("rule8", "2024г., 2025г.", SHORT, ["2024-01-01..2024-12-31", "2025-01-01..2025-12-31"]),
    ("rule8", "2024—2025 годы", SHORT, ["2024-01-01..2025-12-31"]),
    # rule 9: month × years
    ("rule9", "Март 2024, 2025", SHORT, ["2024-03-01..2024-03-31", "2025-03-01..2025-03-31"]),
    ("rule9", "июнь, 2024 июль, 2025", SHORT, ["2024-06-01..2024-06-30", "2025-07-01..2025-07-31"]),
    (
        "rule9",
        "Апрель, сентябрь 2024 и 2025 гг.",
        SHORT,
        [
            "2024-04-01..2024-04-30",
            "2024-09-01..2024-09-30",
            "2025-04-01..2025-04-30",
            "2025-09-01..2025-09-30",
        ],
    ),
    # rule 10: throughout
    ("rule10", "постоянно", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule10", "Регулярно", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule10", "на протяжении всего периода", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule10", "в течении всего периода", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule10", "В течение 2025 года", SHORT, ["2025-01-01..2025-12-31"]),
    ("rule10", "в течение 2023-2025 гг.", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule10", "в течение года", SHORT, ["2024-01-01..2024-12-31", "2025-01-01..2025-12-31"]),
    ("rule10", "в течение года", SY2, ["2022-09-01..2023-08-31", "2023-09-01..2024-08-31"]),
    (
        "rule10",
        "в течение учебного года",
        SY2,
        ["2022-09-01..2023-05-31", "2023-09-01..2024-05-31"],
    ),
    # rule 11: quarters, halves, terms
    ("rule11", "II квартал 2025", SHORT, ["2025-04-01..2025-06-30"]),
    ("rule11", "3 квартал 2024 г.", SHORT, ["2024-07-01..2024-09-30"]),
    ("rule11", "в 1-м квартале 2025 года", SHORT, ["2025-01-01..2025-03-31"]),
    ("rule11", "I-II кварталы 2024", SHORT, ["2024-01-01..2024-06-30"]),
    ("rule11", "III квартал", SHORT, yearly("07-01", "09-30")),
    (
        "rule11",
        "ежеквартально",
        Context(date(2024, 1, 1), date(2024, 12, 31)),
        [
            "2024-01-01..2024-03-31",
            "2024-04-01..2024-06-30",
            "2024-07-01..2024-09-30",
            "2024-10-01..2024-12-31",
        ],
    ),
    (
        "rule11",
        "ежемесячно",
        Context(date(2024, 1, 1), date(2024, 3, 31)),
        ["2024-01-01..2024-01-31", "2024-02-01..2024-02-29", "2024-03-01..2024-03-31"],
    ),
    ("rule11", "II полугодие 2024", SHORT, ["2024-07-01..2024-12-31"]),
    ("rule11", "первое полугодие", SHORT, yearly("01-01", "06-30")),
    (
        "rule11",
        "1 раз в полугодие",
        SHORT,
        [
            "2024-01-01..2024-06-30",
            "2024-07-01..2024-12-31",
            "2025-01-01..2025-06-30",
            "2025-07-01..2025-12-31",
        ],
    ),
    ("rule11", "два раза в год", SY, ["2022-09-01..2022-12-31", "2023-01-01..2023-05-31"]),
    ("rule11", "2 полугодие", SY, ["2023-01-01..2023-05-31"]),
    (
        "rule11",
        "раз в четверть",
        SY,
        [
            "2022-09-01..2022-10-31",
            "2022-11-01..2022-12-31",
            "2023-01-01..2023-03-31",
            "2023-04-01..2023-05-31",
        ],
    ),
    ("rule11", "IV четверть", SY, ["2023-04-01..2023-05-31"]),
    (
        "rule11",
        "1 раз в триместр",
        SY,
        ["2022-09-01..2022-11-30", "2022-12-01..2023-02-28", "2023-03-01..2023-05-31"],
    ),
    ("rule11", "второй триместр", SY, ["2022-12-01..2023-02-28"]),
    # rule 15: ranges of days
    ("rule15", "01.03.2024-15.03.2024", SHORT, ["2024-03-01..2024-03-15"]),
    ("rule15", "02.09 – 20.09.2024", SHORT, ["2024-09-02..2024-09-20"]),
    ("rule15", "10–14 февраля 2025 г.", SHORT, ["2025-02-10..2025-02-14"]),
    ("rule15", "с 5 по 25 апреля 2025 года", SHORT, ["2025-04-05..2025-04-25"]),
    ("rule15", "с 20 мая 2024 по 10 июня 2024", SHORT, ["2024-05-20..2024-06-10"]),
    (
        "rule15",
        "25 декабря – 15 января",
        SHORT,
        ["2024-01-01..2024-01-15", "2024-12-25..2025-01-15"],
    ),
    ("rule15", "с 15.03.2025", SHORT, ["2025-03-15..2025-12-31"]),
    ("rule15", "с марта 2025 г.", SHORT, ["2025-03-01..2025-12-31"]),
    # rule 16: a day without a year, every month
    ("rule16", "20 ноября", SHORT, yearly("11-20", "11-20")),
    ("rule16", "до 1 июня", SHORT, yearly("_", "06-01")),
    ("rule16", "03.04.", SHORT, yearly("04-03", "04-03")),
    (
        "rule16",
        "до 5 числа каждого месяца",
        Context(date(2024, 1, 1), date(2024, 3, 31)),
        ["_..2024-01-05", "_..2024-02-05", "_..2024-03-05"],
    ),
    (
        "rule16",
        "ежемесячно до 25-го числа",
        Context(date(2024, 1, 1), date(2024, 2, 29)),
        ["_..2024-01-25", "_..2024-02-25"],
    ),
    (
        "rule16",
        "до 31 числа каждого месяца",
        Context(date(2024, 1, 1), date(2024, 2, 29)),
        ["_..2024-01-31", "_..2024-02-29"],
    ),
    # rule 17: times of day and remarks
    ("rule17", "до 3 июня 2024 (до 18:00 по местному времени)", SHORT, ["_..2024-06-03"]),
    ("rule17", "14 мая 2025 (в рабочие дни)", SHORT, ["2025-05-14..2025-05-14"]),
    ("rule17", "Май 2024*", SHORT, ["2024-05-01..2024-05-31"]),
    ("rule17", "Май 2024¹ (пт)", SHORT, ["2024-05-01..2024-05-31"]),
    # rule 19: finer than a month
    ("rule19", "еженедельно", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule19", "ежедневно", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule19", "каждый понедельник", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule19", "3 раза в неделю", SHORT, ["2024-01-01..2025-12-31"]),
    ("rule19", "еженедельно, март 2025", SHORT, ["2025-03-01..2025-03-31"]),
    # rule 20: a weekday of the month
    (
        "rule20",
        "каждый второй вторник месяца",
        Context(date(2024, 1, 1), date(2024, 3, 31)),
        ["2024-01-09..2024-01-09", "2024-02-13..2024-02-13", "2024-03-12..2024-03-12"],
    ),
    (
        "rule20",
        "1-й понедельник месяца",
        Context(date(2024, 1, 1), date(2024, 2, 29)),
        ["2024-01-01..2024-01-01", "2024-02-05..2024-02-05"],
    ),
    (
        "rule20",
        "последняя пятница месяца",
        Context(date(2024, 1, 1), date(2024, 2, 29)),
        ["2024-01-26..2024-01-26", "2024-02-23..2024-02-23"],
    ),
    (
        "rule20",
        "третья суббота октября",
        SHORT,
        ["2024-10-19..2024-10-19", "2025-10-18..2025-10-18"],
    ),
    # rule 21: parts of the month and of the year
    ("rule21", "начало марта 2025", SHORT, ["2025-03-01..2025-03-10"]),
    ("rule21", "в середине апреля 2024", SHORT, ["2024-04-11..2024-04-20"]),
    ("rule21", "конец февраля 2024", SHORT, ["2024-02-21..2024-02-29"]),
    ("rule21", "в конце декабря", SHORT, yearly("12-21", "12-31")),
    ("rule21", "Летом 2024", SHORT, ["2024-06-01..2024-08-31"]),
    ("rule21", "в летний период", SHORT, yearly("06-01", "08-31")),
    ("rule21", "начало учебного года", SY2, ["2022-09-01..2022-09-30", "2023-09-01..2023-09-30"]),
    ("rule21", "в конце учебного года", SY2, ["2023-05-01..2023-05-31", "2024-05-01..2024-05-31"]),
    ("rule21", "до конца октября 2024", SHORT, ["_..2024-10-31"]),
    # rule 22: a named school year
    ("rule22", "2023-2024 учебный год", SY2, ["2023-09-01..2024-05-31"]),
    ("rule22", "2023/24 уч. г.", SY2, ["2023-09-01..2024-05-31"]),
    ("rule22", "на 2022 – 2023 учебный год", SY2, ["2022-09-01..2023-05-31"]),
    ("rule22", "в 2023-2024 учебном году до 20 октября", SY2, ["_..2023-10-20"]),
    ("rule22", "в 2023-2024 учебном году, март", SY2, ["2024-03-01..2024-03-31"]),
    # rule 23: the text as it is
    ("rule23", "ОКТЯБРЬ 2024 Г.", SHORT, ["2024-10-01..2024-10-31"]),
    ("rule23", "ок тябрь 2024 г ода", SHORT, ["2024-10-01..2024-10-31"]),
    ("rule23", "сен тябрь 2024", SHORT, ["2024-09-01..2024-09-30"]),
    ("rule23", "март2025г.", SHORT, ["2025-03-01..2025-03-31"]),
    ("rule23", "2025г.г.", SHORT, ["2025-01-01..2025-12-31"]),
    ("rule23", "ноябрем 2024", SHORT, ["2024-11-01..2024-11-30"]),
    ("rule23", "январём 2025", SHORT, ["2025-01-01..2025-01-31"]),
    ("rule23", "сентебрь 2024", SHORT, ["2024-09-01..2024-09-30"]),
    ("rule23", "Апрель  –  май  2025 г. .", SHORT, ["2025-04-01..2025-05-31"]),
    ("rule23", "(Июнь 2024)", SHORT, ["2024-06-01..2024-06-30"]),
    ("rule23", "Мaй 2024", SHORT, ["2024-05-01..2024-05-31"]),  # Latin «a»
    ("rule23", "IV квартал 2024", SHORT, ["2024-10-01..2024-12-31"]),
    ("rule23", "4 квартал 2024", SHORT, ["2024-10-01..2024-12-31"]),
    ("rule23", "окт. 2024", SHORT, ["2024-10-01..2024-10-31"]),
]


@pytest.mark.parametrize(
    ("rule", "text", "ctx", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_rule(rule: str, text: str, ctx: Context, expected: list[str]) -> None:
    meaning = interpret(text, ctx)
    assert meaning.parsed, meaning.warnings
    assert not meaning.on_demand
    assert occ(text, ctx) == expected


ON_DEMAND = [
    # rule 12
    "по мере поступления заявок",
    "По необходимости",
    "при необходимости",
    "по запросам школ",
    "по отдельному графику",
    "по расписанию экзаменов",
    "согласно графику министерства",
    "в соответствии со сроками проведения ГИА",
    "в сроки, установленные министерством",
    "При возникновении потребности",
    "по согласованию с управлением",
    # rule 18: relative to an event
    "в течение 10 рабочих дней после издания приказа",
    "за две недели до начала конкурса",
    "за 3 дня до заседания",
    "после утверждения плана",
    "через месяц после проведения",
    "не позднее 5 дней со дня получения",
    "с момента назначения",
]


@pytest.mark.parametrize("text", ON_DEMAND)
def test_on_demand(text: str) -> None:
    meaning = interpret(text, SHORT)
    assert meaning.on_demand
    assert meaning.parsed
    assert meaning.occurrences == ()


COMPOUND = [
    # rule 13
    ("Март, 2024; далее по мере необходимости", ["2024-03-01..2024-03-31"], True),
    ("Октябрь 2024, далее постоянно", ["2024-10-01..2024-10-31", "2024-11-01..2025-12-31"], False),
    ("до 1 марта 2024 и далее систематически", ["_..2024-03-01", "2024-03-02..2025-12-31"], False),
    (
        "Июнь 2024; постоянное обновление",
        ["2024-06-01..2024-06-30", "2024-07-01..2025-12-31"],
        False,
    ),
    (
        "Апрель 2024; с ежегодным обновлением",
        ["2024-04-01..2024-04-30", "2025-04-01..2025-04-30"],
        False,
    ),
    ("Май 2024; июнь 2025", ["2024-05-01..2024-05-31", "2025-06-01..2025-06-30"], False),
    ("Январь 2024, ежегодно 2025 г.", ["2024-01-01..2024-01-31", "2025-01-01..2025-12-31"], False),
]


@pytest.mark.parametrize(("text", "expected", "on_demand"), COMPOUND)
def test_compound(text: str, expected: list[str], on_demand: bool) -> None:
    meaning = interpret(text, SHORT)
    assert occ(text) == expected
    assert meaning.on_demand is on_demand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            # The last day of February moves to the 28th, and back to the 29th
            # in the next leap year.
            "Февраль 2024; с ежегодным обновлением",
            ["2024-02-01..2024-02-29", "2025-02-01..2025-02-28", "2026-02-01..2026-02-28",
             "2027-02-01..2027-02-28", "2028-02-01..2028-02-29"],
        ),
        (
            "с 29 февраля по 15 марта 2024 года; с ежегодным обновлением",
            ["2024-02-29..2024-03-15", "2025-02-28..2025-03-15", "2026-02-28..2026-03-15",
             "2027-02-28..2027-03-15", "2028-02-29..2028-03-15"],
        ),
    ],
)
def test_yearly_repeat_of_29_february(text: str, expected: list[str]) -> None:
    assert occ(text, Context(date(2024, 1, 1), date(2028, 12, 31))) == expected


@pytest.mark.parametrize(
    ("text", "period", "expected"),
    [
        # «с 1 сентября» without a year: from the first such day in the period.
        ("с 1 сентября", (date(2023, 3, 1), date(2024, 12, 31)), ["2023-09-01..2024-12-31"]),
        ("с 15 февраля", (date(2023, 3, 1), date(2024, 12, 31)), ["2024-02-15..2024-12-31"]),
        ("с 1 марта", (date(2023, 3, 1), date(2024, 12, 31)), ["2023-03-01..2024-12-31"]),
        ("с 29 февраля", (date(2023, 1, 1), date(2024, 12, 31)), ["2023-02-28..2024-12-31"]),
        ("с 29 февраля", (date(2023, 3, 1), date(2024, 12, 31)), ["2024-02-29..2024-12-31"]),
        ("с 31 декабря", (date(2023, 1, 1), date(2023, 12, 31)), ["2023-12-31..2023-12-31"]),
        ("с 1 сентября", (date(2023, 10, 1), date(2024, 6, 30)), []),
        # A yearly repeat whose last due day is the period's last day is kept.
        (
            "Декабрь 2023; с ежегодным обновлением",
            (date(2023, 1, 1), date(2024, 12, 31)),
            ["2023-12-01..2023-12-31", "2024-12-01..2024-12-31"],
        ),
    ],
)
def test_from_a_day_without_a_year(
    text: str, period: tuple[date, date], expected: list[str]
) -> None:
    assert occ(text, Context(*period)) == expected


def test_rule14_explicit_dates_outside_the_period_are_kept_with_a_warning() -> None:
    meaning = interpret("до 1 июня 2030 г.", SHORT)
    assert occ("до 1 июня 2030 г.") == ["_..2030-06-01"]
    assert any("2030" in w for w in meaning.warnings)


def test_rule5_inferred_dates_never_leave_the_period() -> None:
    ctx = Context(date(2024, 3, 15), date(2025, 2, 10))
    assert occ("Март", ctx) == ["2024-03-15..2024-03-31"]
    assert occ("февраль", ctx) == []


def test_unparsable_text_is_kept_with_a_warning() -> None:
    meaning = interpret("согласовать с руководителем", SHORT)
    assert not meaning.parsed
    assert meaning.text == "согласовать с руководителем"
    assert meaning.warnings
    assert meaning.occurrences == ()


@pytest.mark.parametrize("text", ["", "   ", "—", "???", "12345", "ъъъ ъ"])
def test_nothing_understood(text: str) -> None:
    meaning = interpret(text, SHORT)
    assert meaning.parsed is False
    assert meaning.warnings


def test_ignored_words_are_reported() -> None:
    meaning = interpret("Май 2024, после педсовета", SHORT)
    assert meaning.on_demand
    meaning = interpret("Май 2024 согласовать", SHORT)
    assert any("согласовать" in w for w in meaning.warnings)


def test_time_of_day_is_reported() -> None:
    meaning = interpret("до 1 марта 2024 (до 15:00 по местному времени)", SHORT)
    assert any("15:00" in w for w in meaning.warnings)


def test_rhythm_is_reported() -> None:
    meaning = interpret("еженедельно", SHORT)
    assert any("еженедельно" in w for w in meaning.warnings)


def test_rule_text_for_one_recurrence() -> None:
    assert (
        interpret("Ежегодно (май)", SHORT).rule
        == "FREQ=YEARLY;UNTIL=20251231;BYMONTH=5;BYMONTHDAY=-1"
    )
    assert (
        interpret("до 10 числа каждого месяца", SHORT).rule
        == "FREQ=MONTHLY;UNTIL=20251231;BYMONTHDAY=10"
    )
    assert (
        interpret("каждая первая пятница месяца", SHORT).rule
        == "FREQ=MONTHLY;UNTIL=20251231;BYDAY=+1FR"
    )
    assert interpret("Май 2024", SHORT).rule is None
    assert interpret("Май 2024; июнь", SHORT).rule is None


def test_rule_text_reproduces_the_occurrences() -> None:
    from dateutil.rrule import rrulestr

    for text in ("ежеквартально", "Март, июнь, октябрь", "3-я среда месяца", "в течение года"):
        meaning = interpret(text, SHORT)
        assert meaning.rule is not None, text
        dues = [d.date() for d in rrulestr(meaning.rule, dtstart=SHORT.period_start)]
        assert dues == [w.due for w in meaning.occurrences], text
    for text in ("2025 ежемесячно", "ежеквартально в 2025 году", "Май, ежегодно с 2025"):
        # the years frame the rhythm: a rule from the plan's first day would not
        assert interpret(text, SHORT).rule is None, text


def test_custom_school_year_boundaries() -> None:
    ctx = Context(date(2022, 9, 1), date(2023, 8, 31), True, SchoolYear(start=(9, 1), end=(6, 30)))
    assert occ("в течение учебного года", ctx) == ["2022-09-01..2023-06-30"]
