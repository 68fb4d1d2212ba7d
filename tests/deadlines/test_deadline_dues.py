"""The due dates counted month by month agree with dateutil's rrule."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.rrule import MONTHLY, YEARLY, rrule
from hypothesis import given
from hypothesis import strategies as st

from roadmap.deadlines.recurrence import Rec, _rrule_dues, dues, rule_text, same_day

DAYS = st.one_of(
    st.integers(1, 31),
    st.integers(-31, -1),
    st.lists(st.integers(1, 31), min_size=1, max_size=4).map(tuple),
)


@given(
    st.sampled_from([YEARLY, MONTHLY]),
    st.one_of(st.none(), st.lists(st.integers(1, 12), min_size=1, max_size=4).map(tuple)),
    DAYS,
    st.one_of(st.none(), st.sampled_from([-1, 1])),
    st.dates(date(2015, 1, 1), date(2035, 12, 31)),
    st.integers(0, 4 * 366),
)
def test_dues_match_rrule(
    freq: int,
    bymonth: tuple[int, ...] | None,
    bymonthday: int | tuple[int, ...],
    bysetpos: int | None,
    lo: date,
    length: int,
) -> None:
    if freq == YEARLY and bymonth is None:
        bymonth = (lo.month,)  # our yearly rules always name their months
    hi = lo + timedelta(days=length)
    ours = dues(freq, bymonth, bymonthday, None, bysetpos, lo, hi)
    assert ours == _rrule_dues(freq, bymonth, bymonthday, None, bysetpos, lo, hi)
    rec = Rec(freq, same_day, bymonth, bymonthday, None, bysetpos)
    expected = next(
        line[len("RRULE:") :] for line in str(rec.rule(lo, hi)).splitlines() if "RRULE" in line
    )
    assert rule_text(rec, hi) == expected.replace(f"UNTIL={hi:%Y%m%d}T000000", f"UNTIL={hi:%Y%m%d}")


def test_rrule_is_still_used_for_weekdays_of_a_month() -> None:
    from dateutil.rrule import FR

    lo, hi = date(2024, 1, 1), date(2024, 3, 31)
    got = dues(MONTHLY, None, None, FR(1), None, lo, hi)
    assert got == tuple(d.date() for d in rrule(MONTHLY, dtstart=lo, until=hi, byweekday=FR(1)))
