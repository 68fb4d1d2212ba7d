"""Rules 24–32 as shapes, not examples: random days, months, years and
ordinals, written in each form a plan may use, read back to the same dates."""

from __future__ import annotations

import calendar
from datetime import date

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from roadmap.deadlines import Context, interpret
from roadmap.deadlines.lexicon import exact_word

GENITIVE = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
            "сентября", "октября", "ноября", "декабря"]  # fmt: skip
ABBR = {1: ["янв"], 2: ["февр", "фев"], 3: ["мар"], 4: ["апр"], 5: ["мая"], 6: ["июн"],
        7: ["июл"], 8: ["авг"], 9: ["сент", "сен"], 10: ["окт"], 11: ["нояб", "ноя"],
        12: ["дек"]}  # fmt: skip
ROMAN = ["I", "II", "III", "IV", "V"]
#: feminine ordinals (декада, неделя) by case: nominative, genitive/prepositional, accusative
FEM = [
    ["первая", "первой", "первую"],
    ["вторая", "второй", "вторую"],
    ["третья", "третьей", "третью"],
    ["четвертая", "четвёртой", "четвертую"],
    ["пятая", "пятой", "пятую"],
]
#: masculine and neuter ordinals (квартал, полугодие) by case
MASC = [
    ["первый", "первого", "первом", "первое"],
    ["второй", "второго", "втором", "второе"],
    ["третий", "третьего", "третьем", "третье"],
    ["четвертый", "четвёртого", "четвертом"],
]
DASHES = ["-", "–", "—", " - ", " – ", "‑"]

WIDE = Context(date(2020, 1, 1), date(2030, 12, 31))
YEARS = st.integers(2020, 2030)


def windows(text: str, ctx: Context = WIDE) -> list[tuple[date | None, date]]:
    meaning = interpret(text, ctx)
    assert meaning.parsed, (text, meaning.warnings)
    assert not meaning.doubts() or all("период" in w for w in meaning.doubts()), (
        text,
        meaning.warnings,
    )
    return [(w.start, w.due) for w in meaning.occurrences]


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


@st.composite
def day_range(draw: st.DrawFn) -> tuple[int, int, int, int]:
    year, month = draw(YEARS), draw(st.integers(1, 12))
    first = draw(st.integers(1, last_day(year, month) - 1))
    last = draw(st.integers(first + 1, last_day(year, month)))
    return first, last, month, year


def ordinal(n: int, feminine: bool, draw: st.DrawFn) -> str:
    words = FEM[n - 1] if feminine else MASC[n - 1]
    suffixes = ["-я", "-й", "-ю", "-ой"] if feminine else ["-й", "-го", "-м", "-ом"]
    return draw(st.sampled_from([str(n), ROMAN[n - 1], *words, *(f"{n}{s}" for s in suffixes)]))


# -- rule 29 (and 15, 27): every written form of a range of days ---------------
@settings(max_examples=300, deadline=None)
@given(day_range(), st.data())
def test_compact_day_ranges(got: tuple[int, int, int, int], data: st.DataObject) -> None:
    d1, d2, m, y = got
    dash = data.draw(st.sampled_from(DASHES))
    yy = data.draw(st.sampled_from([str(y), f"{y % 100:02}"]))
    tail = data.draw(st.sampled_from(["", " г.", "г.", " года", "."]))
    forms = [
        f"{d1}{dash}{d2}.{m:02}.{yy}{tail}",
        f"{d1:02}{dash}{d2:02}.{m}.{yy}{tail}",
        f"{d1}.{m}{dash}{d2}.{m}.{yy}{tail}",
        f"{d1:02}.{m:02}.{dash}{d2:02}.{m:02}.{yy}{tail}",
        f"с {d1}.{m} по {d2}.{m}.{yy}{tail}",
        f"с {d1}.{m:02}.{dash}по {d2}.{m:02}.{yy}{tail}",
        f"с {d1} по {d2} {GENITIVE[m - 1]} {y}{tail}",
        f"{d1}{dash}{d2} {data.draw(st.sampled_from(ABBR[m]))}. {y}{tail}",
        f"с {d1} {ABBR[m][0]}. по {d2} {ABBR[m][-1]}. {y}{tail}",
        f"{d1} {ABBR[m][-1]}.{dash}{d2} {ABBR[m][0]}. {y}{tail}",
    ]
    text = data.draw(st.sampled_from(forms))
    assert windows(text) == [(date(y, m, d1), date(y, m, d2))], text


@settings(max_examples=150, deadline=None)
@given(YEARS, st.integers(1, 11), st.integers(1, 31), st.integers(1, 28), st.data())
def test_day_ranges_across_a_month_end(
    y: int, m: int, d1: int, d2: int, data: st.DataObject
) -> None:
    d1 = min(d1, last_day(y, m))
    dash = data.draw(st.sampled_from(DASHES))
    text = data.draw(
        st.sampled_from(
            [f"{d1:02}.{m:02}{dash}{d2:02}.{m + 1:02}.{y}", f"с {d1}.{m}. по {d2}.{m + 1}.{y}"]
        )
    )
    assert windows(text) == [(date(y, m, d1), date(y, m + 1, d2))], text


def test_compact_range_without_a_year_repeats_every_year() -> None:
    ctx = Context(date(2025, 1, 1), date(2026, 12, 31))
    for text in ("5-9.10", "с 5.10. по 9.10.", "05.10.–09.10.", "с 5.10 – по 9.10"):
        assert windows(text, ctx) == [
            (date(2025, 10, 5), date(2025, 10, 9)),
            (date(2026, 10, 5), date(2026, 10, 9)),
        ], text


# -- rules 26, 27: abbreviations, two-digit years ------------------------------
@settings(max_examples=200, deadline=None)
@given(YEARS, st.integers(1, 12), st.integers(1, 28), st.data())
def test_abbreviated_months_and_short_years(y: int, m: int, d: int, data: st.DataObject) -> None:
    abbr = data.draw(st.sampled_from(ABBR[m]))
    dot = data.draw(st.sampled_from([".", ""]))
    space = data.draw(st.sampled_from([" ", ""]))
    yy = f"{y % 100:02}"
    text, expected = data.draw(
        st.sampled_from(
            [
                (f"до {d}{space}{abbr}{dot} {y} г.", [(None, date(y, m, d))]),
                (f"{d}{space}{abbr}{dot} {y}", [(date(y, m, d), date(y, m, d))]),
                (f"{abbr}{dot} {y}", [(date(y, m, 1), date(y, m, last_day(y, m)))]),
                (f"{d:02}.{m:02}.{yy}", [(date(y, m, d), date(y, m, d))]),
                (f"до {d:02}.{m:02}.{yy} г.", [(None, date(y, m, d))]),
            ]
        )
    )
    if abbr == "мая" and text.startswith("мая"):
        text = "май" + text[3:]
    assert windows(text) == expected, text


# -- rule 24: decades and weeks -----------------------------------------------
DECADES = [(1, 10), (11, 20), (21, 0)]
WEEKS = [(1, 7), (8, 14), (15, 21), (22, 28), (29, 0)]


@settings(max_examples=300, deadline=None)
@given(YEARS, st.integers(1, 12), st.booleans(), st.data())
def test_decades_and_weeks(y: int, m: int, decade: bool, data: st.DataObject) -> None:
    spans = DECADES if decade else WEEKS
    n1 = data.draw(st.integers(1, len(spans)))
    n2 = data.draw(st.integers(n1, len(spans)))
    noun = data.draw(
        st.sampled_from(
            ["декада", "декады", "декаде", "декаду"]
            if decade
            else ["неделя", "недели", "неделе", "неделю", "нед."]
        )
    )
    first = ordinal(n1, True, data.draw)
    if decade and n1 == 3 and data.draw(st.booleans()):
        first = data.draw(st.sampled_from(["последняя", "последней", "последнюю"]))
    if n2 == n1:
        lead = data.draw(st.sampled_from(["", "в ", "во ", "в течение "]))
        text = f"{lead}{first} {noun} {GENITIVE[m - 1]} {y} г."
    else:
        text = f"{n1}{data.draw(st.sampled_from(DASHES))}{n2} {noun} {GENITIVE[m - 1]} {y}"
    start = spans[n1 - 1][0]
    end = spans[n2 - 1][1] or last_day(y, m)
    if start > last_day(y, m):  # a fifth week of February: no such days
        assert "Несуществующая дата" in " ".join(interpret(text, WIDE).warnings)
        return
    assert windows(text) == [(date(y, m, start), date(y, m, end))], text


# -- rules 11, 26: quarters, halves and terms in every case and list ----------
@settings(max_examples=300, deadline=None)
@given(YEARS, st.data())
def test_quarters_listed_ranged_and_declined(y: int, data: st.DataObject) -> None:
    shape = data.draw(st.sampled_from(["one", "list", "range"]))
    noun = data.draw(st.sampled_from(["квартал", "квартала", "квартале", "кв.", "кв"]))
    if shape == "one":
        n = data.draw(st.integers(1, 4))
        lead = data.draw(st.sampled_from(["", "в ", "во ", "до конца "]))
        text = f"{lead}{ordinal(n, False, data.draw)} {noun} {y} г."
        expected = [(date(y, 3 * n - 2, 1), date(y, 3 * n, last_day(y, 3 * n)))]
        if lead == "до конца ":
            expected = [(None, expected[0][1])]
    elif shape == "list":
        ns = sorted(data.draw(st.sets(st.integers(1, 4), min_size=2, max_size=3)))
        glue = data.draw(st.sampled_from([", ", " и ", ","]))
        text = glue.join(ROMAN[n - 1] for n in ns) + f" {noun} {y}"
        expected = [(date(y, 3 * n - 2, 1), date(y, 3 * n, last_day(y, 3 * n))) for n in ns]
    else:
        n1 = data.draw(st.integers(1, 3))
        n2 = data.draw(st.integers(n1 + 1, 4))
        dash = data.draw(st.sampled_from(DASHES))
        text = f"{ROMAN[n1 - 1]}{dash}{ROMAN[n2 - 1]} {noun} {y}"
        expected = [(date(y, 3 * n1 - 2, 1), date(y, 3 * n2, last_day(y, 3 * n2)))]
    assert windows(text) == expected, text


@settings(max_examples=100, deadline=None)
@given(YEARS, st.integers(1, 2), st.data())
def test_halves_in_every_case(y: int, n: int, data: st.DataObject) -> None:
    noun = data.draw(st.sampled_from(["полугодие", "полугодия", "полугодии", "полуг."]))
    lead = data.draw(st.sampled_from(["", "в ", "во ", "в течение "]))
    text = f"{lead}{ordinal(n, False, data.draw)} {noun} {y} г."
    expected = [(date(y, 1, 1), date(y, 6, 30))] if n == 1 else [(date(y, 7, 1), date(y, 12, 31))]
    assert windows(text) == expected, text


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 4), st.data())
def test_terms_in_every_case(n: int, data: st.DataObject) -> None:
    ctx = Context(date(2025, 9, 1), date(2026, 8, 31), school_years=True)
    noun = data.draw(st.sampled_from(["четверть", "четверти", "четв."]))
    word = data.draw(st.sampled_from([str(n), ROMAN[n - 1], *FEM[n - 1], f"{n}-й", f"{n}-я"]))
    terms = {1: ((2025, 9, 1), (2025, 10, 31)), 2: ((2025, 11, 1), (2025, 12, 31)),
             3: ((2026, 1, 1), (2026, 3, 31)), 4: ((2026, 4, 1), (2026, 5, 31))}  # fmt: skip
    start, due = terms[n]
    assert windows(f"в {word} {noun}", ctx) == [(date(*start), date(*due))]


# -- rule 25: reporting periods -----------------------------------------------
@settings(max_examples=150, deadline=None)
@given(st.integers(1, 28), st.sampled_from([1, 3, 6]), st.data())
def test_due_after_each_reporting_period(day: int, months: int, data: st.DataObject) -> None:
    ctx = Context(date(2025, 1, 1), date(2026, 12, 31))
    rhythm = {1: "ежемесячно", 3: "ежеквартально", 6: "раз в полугодие"}[months]
    unit = {1: "месяцем", 3: "кварталом", 6: "полугодием"}[months]
    word = data.draw(st.sampled_from([f"{day}", f"{day}-го"]))
    lead = data.draw(st.sampled_from(["до", "не позднее", "не позже"]))
    text = data.draw(
        st.sampled_from(
            [
                f"{rhythm}, {lead} {word} числа месяца, следующего за отчётным",
                f"{rhythm} {lead} {word} числа месяца, следующего за отчетным {unit}",
                f"{lead} {word} числа месяца, следующего за отчетным {unit}",
                f"{rhythm}\n{lead} {word} числа следующего месяца",
                f"{lead} {word} числа, следующего за отчётным {unit}",
            ]
        )
    )
    dues = []
    for index in range(2025 * 12 + months, 2027 * 12 + 1, months):
        year, month0 = divmod(index, 12)
        dues.append((None, date(year, month0 + 1, day)))
    assert windows(text, ctx) == dues, text


@given(st.integers(1, 12), st.integers(1, 28))
def test_due_in_the_year_after_the_reporting_year(month: int, day: int) -> None:
    ctx = Context(date(2024, 1, 1), date(2025, 12, 31))
    text = f"до {day} {GENITIVE[month - 1]} года, следующего за отчётным"
    assert windows(text, ctx) == [(None, date(2025, month, day)), (None, date(2026, month, day))]


# -- rule 30: years that frame a rhythm ----------------------------------------
@settings(max_examples=150, deadline=None)
@given(st.integers(2024, 2026), st.integers(0, 2), st.sampled_from([1, 3, 6]), st.data())
def test_rhythm_over_named_years(y1: int, extra: int, months: int, data: st.DataObject) -> None:
    y2 = min(y1 + extra, 2026)
    ctx = Context(date(2023, 1, 1), date(2026, 12, 31))
    rhythm = {1: "ежемесячно", 3: "ежеквартально", 6: "раз в полугодие"}[months]
    years = f"{y1}" if y1 == y2 else f"{y1}{data.draw(st.sampled_from(DASHES))}{y2}"
    sep = data.draw(st.sampled_from([" ", "\n", ", ", ",\n", " \n "]))
    tail = data.draw(st.sampled_from(["", " гг.", " г.", " годы"]))
    text = data.draw(
        st.sampled_from([f"{years}{tail}{sep}{rhythm}", f"{rhythm}{sep}в {years}{tail}"])
    )
    expected = []
    for year in range(y1, y2 + 1):
        for first in range(1, 13, months):
            end = first + months - 1
            expected.append((date(year, first, 1), date(year, end, last_day(year, end))))
    assert windows(text, ctx) == expected, text


# -- rule 31: open towards an event; «ежегодно с» ------------------------------
@settings(max_examples=100, deadline=None)
@given(st.integers(2023, 2026), st.one_of(st.none(), st.integers(1, 12)), st.data())
def test_yearly_from_a_year(y: int, month: int | None, data: st.DataObject) -> None:
    ctx = Context(date(2023, 1, 1), date(2026, 12, 31))
    tail = data.draw(st.sampled_from(["", " г.", " года"]))
    if month is None:
        text = f"ежегодно с {y}{tail}"
        expected = [(date(year, 1, 1), date(year, 12, 31)) for year in range(y, 2027)]
    else:
        nominative = ["Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август",
                      "Сентябрь", "Октябрь", "Ноябрь", "Декабрь"][month - 1]  # fmt: skip
        text = f"{nominative}, ежегодно с {y}{tail}"
        expected = [
            (date(year, month, 1), date(year, month, last_day(year, month)))
            for year in range(y, 2027)
        ]
    assert windows(text, ctx) == expected, text


EVENTS = ["конкурса", "проекта", "акции", "олимпиады", "фестиваля", "смотра-конкурса"]


@settings(max_examples=100, deadline=None)
@given(YEARS, st.integers(1, 12), st.integers(1, 28), st.sampled_from(EVENTS), st.data())
def test_range_open_towards_an_event(
    y: int, m: int, d: int, event: str, data: st.DataObject
) -> None:
    ctx = Context(date(y, 1, 1), date(y, 12, 31))
    start = data.draw(st.sampled_from([f"{d:02}.{m:02}.{y}", f"{d} {GENITIVE[m - 1]} {y} г."]))
    end = data.draw(st.sampled_from(["до окончания", "по завершении", "до завершения"]))
    meaning = interpret(f"с {start} {end} {event}", ctx)
    assert [(w.start, w.due) for w in meaning.occurrences] == [(date(y, m, d), date(y, 12, 31))]
    assert not meaning.on_demand
    assert any(event.split("-")[0] in w for w in meaning.warnings)


# -- rule 32: during an undated event of the plan's own ------------------------
@given(
    st.sampled_from(
        [
            "в течение",
            "в ходе проведения",
            "в период",
            "в период проведения",
            "в дни проведения",
            "в дни",
            "в ходе",
            "в рамках",
        ]
    ),
    st.sampled_from(["месячника", "акции", "декады", "недели", "фестиваля", "олимпиады"]),
    st.sampled_from(["", " безопасности", " «Чистый двор»", " по профилактике"]),
)
def test_during_an_event(lead: str, event: str, name: str) -> None:
    ctx = Context(date(2025, 3, 3), date(2025, 4, 2))
    assume(not (lead in ("в течение", "в период", "в дни") and event in ("декады", "недели")))
    text = f"{lead} {event}{name}"
    meaning = interpret(text, ctx)
    assert [(w.start, w.due) for w in meaning.occurrences] == [(ctx.period_start, ctx.period_end)]
    assert not meaning.on_demand


@given(st.integers(1, 10), st.sampled_from(["дней", "недели", "недель"]), st.sampled_from(EVENTS))
def test_before_an_event_stays_on_demand(n: int, unit: str, event: str) -> None:
    meaning = interpret(f"за {n} {unit} до начала {event}", WIDE)
    assert meaning.on_demand and not meaning.occurrences


# -- rule 28: letter-spaced text ------------------------------------------------
SPACED = [
    ("ежегодно (май)", WIDE),
    ("по мере необходимости", WIDE),
    ("1 раз в четверть", Context(date(2025, 9, 1), date(2026, 8, 31), school_years=True)),
    ("до 15 сентября 2025 года", WIDE),
    ("ежеквартально", WIDE),
    ("в течение учебного года", Context(date(2025, 9, 1), date(2027, 8, 31), True)),
    ("вторая декада ноября 2026 г.", WIDE),
    ("не позднее 5 числа месяца, следующего за отчетным кварталом", WIDE),
    ("в течение месячника", WIDE),
    ("каждая первая пятница месяца", Context(date(2025, 1, 1), date(2025, 6, 30))),
    ("по плану проекта", WIDE),
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SPACED), st.data())
def test_letter_spaced_words_read_as_written_together(
    case: tuple[str, Context], data: st.DataObject
) -> None:
    text, ctx = case
    words = text.split(" ")
    index = data.draw(st.integers(0, len(words) - 1))
    word = words[index]
    assume(len(word) >= 2 and word.isalpha())
    cuts = sorted(data.draw(st.sets(st.integers(1, len(word) - 1), min_size=1, max_size=4)))
    pieces = [word[a:b] for a, b in zip([0, *cuts], [*cuts, len(word)], strict=True)]
    # A spaced form that is itself a reading («год а») is read as it is.
    assume(not all(exact_word(p.lower()) for p in pieces))
    words[index] = " ".join(pieces)
    spaced = " ".join(words)
    plain, got = interpret(text, ctx), interpret(spaced, ctx)
    assert got.occurrences == plain.occurrences, spaced
    assert got.on_demand == plain.on_demand, spaced


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(SPACED))
def test_fully_letter_spaced_phrases(case: tuple[str, Context]) -> None:
    text, ctx = case
    spaced = " ".join(
        " ".join(w) if w.isalpha() or (w.isdigit() and len(w) == 4) else w for w in text.split(" ")
    )
    plain, got = interpret(text, ctx), interpret(spaced, ctx)
    assert got.occurrences == plain.occurrences, spaced
    assert got.on_demand == plain.on_demand, spaced


# -- partial readings keep telling what they skipped -----------------------------
def test_skipped_words_are_still_reported() -> None:
    for text in (
        "1 декада марта 2025, согласовать с директором",
        "II–III кв. 2025 уточнить",
        "5-9.10.2025 по итогам",
        "2025–2026 ежемесячно сверка",
    ):
        meaning = interpret(text, WIDE)
        assert meaning.occurrences, text
        assert any("пропущена" in w for w in meaning.warnings), (text, meaning.warnings)


@settings(max_examples=150, deadline=None)
@given(st.booleans(), st.data())
def test_decade_or_week_of_every_month(decade: bool, data: st.DataObject) -> None:
    from dateutil.rrule import rrulestr

    spans = DECADES if decade else WEEKS
    n = data.draw(st.integers(1, len(spans)))
    noun = data.draw(
        st.sampled_from(["декада", "декады", "декаду"] if decade else ["неделя", "недели", "нед."])
    )
    word = ordinal(n, True, data.draw)
    text = data.draw(
        st.sampled_from(
            [
                f"{word} {noun} каждого месяца",
                f"ежемесячно ({word} {noun})",
                f"в течение {word} {noun} месяца",
            ]
        )
    )
    ctx = Context(date(2024, 1, 1), date(2025, 12, 31))
    expected = []
    for year in (2024, 2025):
        for month in range(1, 13):
            first, last = spans[n - 1][0], spans[n - 1][1] or last_day(year, month)
            if first <= last_day(year, month):
                expected.append((date(year, month, first), date(year, month, last)))
    assert windows(text, ctx) == expected, text
    rule = interpret(text, ctx).rule
    assert rule is not None
    assert [d.date() for d in rrulestr(rule, dtstart=ctx.period_start)] == [e[1] for e in expected]
