"""Status rules of one occurrence (:mod:`roadmap.status`): boundaries, rule
order, labels, and the same rules as the SQL ``CASE`` the docstring shows."""

from __future__ import annotations

import gettext
import sqlite3
from contextlib import closing
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roadmap import i18n
from roadmap.status import (
    DUE_SOON_DAYS,
    KINDS,
    Status,
    classify,
    days_overdue,
    status_label,
)

TODAY = date(2024, 3, 1)  # a leap year: 29 February is yesterday


def dated(due: date | None, *, today: date = TODAY, done: bool = False,
          withdrawn: bool = False, **kw: int) -> Status:
    return classify(kind="dated", start=None, due=due, done=done, withdrawn=withdrawn,
                    today=today, **kw)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (-400, Status.OVERDUE),
        (-1, Status.OVERDUE),
        (0, Status.DUE_SOON),  # due today is not overdue yet
        (1, Status.DUE_SOON),
        (14, Status.DUE_SOON),
        (15, Status.UPCOMING),
        (400, Status.UPCOMING),
    ],
)
def test_boundaries_with_default_look_ahead(offset: int, expected: Status) -> None:
    assert DUE_SOON_DAYS == 14
    assert dated(TODAY + timedelta(days=offset)) is expected


def test_due_yesterday_is_one_day_overdue() -> None:
    yesterday = date(2024, 2, 29)
    assert dated(yesterday) is Status.OVERDUE
    assert days_overdue(yesterday, TODAY) == 1


def test_days_overdue_is_zero_when_not_past() -> None:
    assert days_overdue(TODAY, TODAY) == 0
    assert days_overdue(TODAY + timedelta(days=3), TODAY) == 0
    assert days_overdue(None, TODAY) == 0
    assert days_overdue(date(2023, 3, 1), TODAY) == 366


def test_custom_look_ahead() -> None:
    assert dated(TODAY + timedelta(days=3), due_soon_days=3) is Status.DUE_SOON
    assert dated(TODAY + timedelta(days=4), due_soon_days=3) is Status.UPCOMING
    assert dated(TODAY, due_soon_days=0) is Status.DUE_SOON
    assert dated(TODAY + timedelta(days=1), due_soon_days=0) is Status.UPCOMING
    assert dated(TODAY, due_soon_days=-1) is Status.UPCOMING  # never «soon»


def test_done_beats_overdue_and_withdrawn_beats_done() -> None:
    long_ago = date(2020, 1, 1)
    assert dated(long_ago, done=True) is Status.DONE
    assert dated(long_ago, done=True, withdrawn=True) is Status.WITHDRAWN
    assert dated(long_ago, withdrawn=True) is Status.WITHDRAWN
    assert dated(TODAY + timedelta(days=100), done=True) is Status.DONE


def test_start_does_not_change_the_status() -> None:
    due = TODAY + timedelta(days=5)
    for start in (None, TODAY - timedelta(days=30), TODAY + timedelta(days=2)):
        assert classify(kind="dated", start=start, due=due, done=False, withdrawn=False,
                        today=TODAY) is Status.DUE_SOON


@pytest.mark.parametrize("due", [None, date(2020, 1, 1), TODAY, date(2030, 1, 1)])
def test_on_demand_and_undated_ignore_due(due: date | None) -> None:
    def of(kind: str, **kw: bool) -> Status:
        return classify(kind=kind, start=None, due=due, today=TODAY,
                        done=kw.get("done", False), withdrawn=kw.get("withdrawn", False))

    assert of("on_demand") is Status.ON_DEMAND
    assert of("undated") is Status.UNDATED
    assert of("on_demand", done=True) is Status.DONE
    assert of("undated", withdrawn=True, done=True) is Status.WITHDRAWN


def test_dated_without_due_is_undated() -> None:
    assert dated(None) is Status.UNDATED


def test_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="on-demand"):
        classify(kind="on-demand", start=None, due=None, done=False, withdrawn=False,
                 today=TODAY)


def test_values_are_stable_strings() -> None:
    assert [s.value for s in Status] == [
        "done", "overdue", "due_soon", "upcoming", "on_demand", "undated", "withdrawn"
    ]
    assert Status("overdue") is Status.OVERDUE
    assert f"{Status.DUE_SOON}" == "due_soon"


def test_labels_are_russian_distinct_and_complete() -> None:
    labels = {s: status_label(s) for s in Status}
    assert labels[Status.OVERDUE] == "просрочено"
    assert labels[Status.DONE] == "выполнено"
    assert all(labels.values())
    assert len(set(labels.values())) == len(Status)


def test_labels_are_translated_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    class Shouting(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return message.upper()

    before = status_label(Status.UPCOMING)
    monkeypatch.setattr(i18n, "_process", ("ru", Shouting()))
    assert status_label(Status.UPCOMING) == before.upper() != before


# ---------------------------------------------------------------- properties

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
inputs = st.fixed_dictionaries({
    "kind": st.sampled_from(KINDS),
    "start": st.none() | days,
    "due": st.none() | days,
    "done": st.booleans(),
    "withdrawn": st.booleans(),
    "today": days,
    "due_soon_days": st.integers(min_value=0, max_value=400),
})


def predicates(kind: str, due: date | None, done: bool, withdrawn: bool, today: date,
               due_soon_days: int, **_: object) -> dict[Status, bool]:
    """Each status as a stand-alone condition (no rule order to lean on)."""
    active = not done and not withdrawn
    timed = active and kind == "dated" and due is not None
    return {
        Status.WITHDRAWN: withdrawn,
        Status.DONE: done and not withdrawn,
        Status.ON_DEMAND: active and kind == "on_demand",
        Status.UNDATED: active and (kind == "undated" or (kind == "dated" and due is None)),
        Status.OVERDUE: timed and due is not None and today > due,
        Status.DUE_SOON: timed and due is not None and 0 <= (due - today).days <= due_soon_days,
        Status.UPCOMING: timed and due is not None and (due - today).days > due_soon_days,
    }


@given(inputs)
def test_exactly_one_status_for_any_inputs(args: dict[str, object]) -> None:
    holds = [s for s, ok in predicates(**args).items() if ok]  # type: ignore[arg-type]
    assert holds == [classify(**args)]  # type: ignore[arg-type]


@given(inputs)
def test_overdue_iff_open_dated_and_past_due(args: dict[str, object]) -> None:
    status = classify(**args)  # type: ignore[arg-type]
    due, today = args["due"], args["today"]
    expected = (
        args["kind"] == "dated" and not args["done"] and not args["withdrawn"]
        and isinstance(due, date) and isinstance(today, date) and today > due
    )
    assert (status is Status.OVERDUE) == expected
    if status is Status.OVERDUE:
        assert isinstance(due, date) and isinstance(today, date)
        assert days_overdue(due, today) >= 1
    elif isinstance(due, date) and isinstance(today, date) and today <= due:
        assert days_overdue(due, today) == 0


# The rule order as the module docstring writes it in SQL (SQLite dialect).
CASE = """
SELECT CASE
  WHEN :withdrawn                                  THEN 'withdrawn'
  WHEN :done                                       THEN 'done'
  WHEN :kind = 'on_demand'                         THEN 'on_demand'
  WHEN :kind = 'undated' OR :due IS NULL           THEN 'undated'
  WHEN :today > :due                               THEN 'overdue'
  WHEN julianday(:due) - julianday(:today) <= :due_soon_days THEN 'due_soon'
  ELSE                                                  'upcoming'
END
"""


@given(inputs)
def test_the_sql_case_gives_the_same_status(args: dict[str, object]) -> None:
    params = {k: v.isoformat() if isinstance(v, date) else v for k, v in args.items()}
    with closing(sqlite3.connect(":memory:")) as db:
        [(value,)] = db.execute(CASE, params).fetchall()
    assert Status(value) is classify(**args)  # type: ignore[arg-type]


def test_an_unknown_kind_is_a_programming_error_that_names_the_kinds() -> None:
    with pytest.raises(
        ValueError,
        match=r"^unknown occurrence kind 'weekly'; expected one of dated, on_demand, undated$",
    ):
        classify(kind="weekly", start=None, due=date(2024, 3, 1), done=False, withdrawn=False,
                 today=date(2024, 3, 1))
