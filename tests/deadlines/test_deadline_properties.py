"""Properties that hold for any text: never raises, sorted, start ≤ due,
inferred dates inside the period, deterministic."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from roadmap.deadlines import Context, interpret
from roadmap.deadlines.api import interpret_uncached

WORDS = [
    "январь", "февраля", "марте", "апрель", "мая", "июнь", "июля", "август", "сентября",
    "октябрь", "ноябре", "декабрь", "сен", "тябрь", "г", "г.", "гг.", "года", "год", "ежегодно",
    "в", "течение", "течении", "всего", "периода", "до", "к", "с", "по", "не", "позднее",
    "квартал", "I", "IV", "полугодие", "четверть", "триместр", "раз", "раза", "в", "год",
    "ежемесячно", "ежеквартально", "еженедельно", "числа", "каждого", "месяца", "первая",
    "пятница", "среда", "начало", "конец", "середина", "летом", "учебный", "учебного",
    "постоянно", "далее", "и", "мере", "необходимости", "после", "приказа", "за", "дней",
    "-", "–", "—", ",", ";", ".", "(", ")", "*", "15:00", "/", "уч.",
    "декада", "декады", "неделя", "недели", "кв.", "полуг.", "сент.", "нояб", "отчетным",
    "следующего", "месячника", "акции", "проведения", "ходе", "окончания", "завершении",
    "II", "III", "V", "п", "о", "е жего", "д но", "\n",
]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(0, 40).map(str),
    st.integers(1990, 2040).map(str),
    st.builds(
        lambda d, m, y: f"{d:02}.{m:02}.{y}",
        st.integers(0, 35),
        st.integers(0, 14),
        st.integers(2018, 2030),
    ),
    st.builds(lambda d, m: f"{d}.{m:02}", st.integers(1, 31), st.integers(1, 12)),
)
PHRASES = st.lists(st.one_of(st.sampled_from(WORDS), NUMBERS), max_size=12).map(" ".join)
GLUED = st.lists(st.one_of(st.sampled_from(WORDS), NUMBERS), max_size=8).map("".join)


@st.composite
def contexts(draw: st.DrawFn) -> Context:
    start = draw(st.dates(date(2018, 1, 1), date(2028, 12, 31)))
    length = draw(st.integers(0, 6 * 366))
    return Context(start, start + timedelta(days=length), draw(st.booleans()))


def check(text: str, ctx: Context) -> None:
    meaning = interpret_uncached(text, ctx)
    assert meaning.text == text
    # the engine turns its own exceptions into a warning: none may happen
    assert not any("Внутренняя ошибка" in w for w in meaning.warnings), (text, meaning.warnings)
    keys = [(w.due, w.start or date.min) for w in meaning.occurrences]
    assert keys == sorted(keys)
    for window in meaning.occurrences:
        assert window.start is None or window.start <= window.due
    if not meaning.parsed:
        assert meaning.warnings
        assert not meaning.occurrences and not meaning.on_demand
    assert interpret_uncached(text, ctx) == meaning


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80), contexts())
def test_never_raises_on_any_text(text: str, ctx: Context) -> None:
    check(text, ctx)


@settings(max_examples=600, deadline=None)
@given(PHRASES, contexts())
def test_never_raises_on_russian_word_salad(text: str, ctx: Context) -> None:
    check(text, ctx)


@settings(max_examples=300, deadline=None)
@given(GLUED, contexts())
def test_never_raises_on_glued_text(text: str, ctx: Context) -> None:
    check(text, ctx)


YEARLESS = st.lists(
    st.sampled_from(
        ["январь", "марта", "мае", "июнь", "сентябрь", "октябрь-январь", "15 октября", "до 1 декабря",
         "05.10.", "IV квартал", "2 полугодие", "начало ноября", "летом", "3 — 7 октября",
         "30 декабря — 10 января", "ежеквартально", "ежемесячно", "до 10 числа каждого месяца",
         "в течение года", "в течение учебного года", "вторая среда месяца", "1 раз в четверть",
         "по триместрам", "29 февраля", "1 декада марта", "III декада февраля",
         "5-я неделя февраля", "2-3 недели мая", "I, III кв.", "II–III кв.", "5-9.10",
         "с 4.10. – по 18.10.", "28.02-04.03", "сент.", "15нояб.", "е жего д но (м ай)",
         "в течение месячника", "в период проведения акции"]
    ),
    min_size=1,
    max_size=3,
).map(", ".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(YEARLESS, contexts())
def test_inferred_dates_stay_inside_the_period(text: str, ctx: Context) -> None:
    meaning = interpret(text, ctx)
    assert meaning.parsed
    for window in meaning.occurrences:
        assert ctx.period_start <= window.due <= ctx.period_end, (text, window)
        if window.start is not None:
            assert window.start >= ctx.period_start, (text, window)


@given(PHRASES, contexts())
def test_cached_and_uncached_agree(text: str, ctx: Context) -> None:
    assert interpret(text, ctx) == interpret_uncached(text, ctx)
