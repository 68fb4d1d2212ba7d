"""The sweep's digest query reads only open occurrences, through the partial
index (SQLite's query plan says so), and the SQL status CASE is the same
rule as :func:`roadmap.status.classify` on generated rows."""

from __future__ import annotations

from datetime import date, timedelta
from email.headerregistry import Address
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
    text,
)

from notifications.digest import DigestOptions
from notifications.recipients import route_query
from roadmap.status import KINDS, Status, classify, status_case
from roadmap.storage.db import open_engine
from roadmap.sweep import open_items_query, route_items_query, shift_query, status_query


def _plan(url: str, query: object) -> str:
    """The SQLite plan of ``query`` over a loaded municipality, 60 % of its
    past done, after ``ANALYZE`` (as an installation that ran ``PRAGMA
    optimize``, and as the benchmark measures)."""
    from tests.scale.test_national import national

    folder = Path(url.removeprefix("sqlite:///")).parent
    app = national.make_app(url, folder, national.TODAY)
    try:
        national.load(app, national.Scale(1, 2, 5), national.Results("t", "sqlite"),
                      lambda _line: None)
        national.mark_done(app, national.Results("t", "sqlite"))
    finally:
        app.close()
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            sql = str(query.compile(  # type: ignore[attr-defined]
                dialect=engine.dialect, compile_kwargs={"literal_binds": True}
            ))
            return "\n".join(
                str(r[3]) for r in connection.execute(text("EXPLAIN QUERY PLAN " + sql))
            )
    finally:
        engine.dispose()


def test_open_items_use_the_partial_index(tmp_path: Path) -> None:
    plan = _plan(f"sqlite:///{tmp_path / 'r.db'}", open_items_query(date(2024, 11, 15), 14))
    _only_open(plan)


def _only_open(plan: str) -> None:
    """Dated occurrences are read through the partial index: done and
    withdrawn ones are never visited. The one other way in allowed is the
    on-demand branch (``due IS NULL``: an equality search of a ``due``
    index, rows without a date only — they do not pile up day by day)."""
    lines = [line for line in plan.splitlines() if " occurrences" in line]
    assert any("ix_occurrences_open_plan_id_due" in line for line in lines), plan
    for line in lines:
        assert "ix_occurrences_open_plan_id_due" in line or line.endswith("(due=?)"), plan


def test_open_items_for_one_zone_use_the_partial_index(tmp_path: Path) -> None:
    from roadmap.storage.tables import PlanRow

    plans = select(PlanRow.id).where(PlanRow.timezone == "Asia/Irkutsk")
    plan = _plan(f"sqlite:///{tmp_path / 'r.db'}", open_items_query(date(2024, 11, 15), 14, plans))
    _only_open(plan)


def test_who_gets_mail_asks_the_route_index_only(tmp_path: Path) -> None:
    """Every probe of the route query is a search of the open-by-route
    partial index: one seek per route and question, never a scan."""
    options = DigestOptions(sender=Address("Дорожная карта", addr_spec="r@example.org"))
    for schools in (True, False):
        plan = _plan(f"sqlite:///{tmp_path / f'r{schools}.db'}",
                     route_query(date(2024, 11, 15), options, schools=schools))
        lines = [line for line in plan.splitlines() if " occurrences" in line]
        assert len(lines) == 3, plan  # mail, late, asked
        assert all(
            line.startswith("SEARCH") and "ix_occurrences_open_route_due" in line
            for line in lines
        ), plan


def test_a_recipients_items_are_read_route_by_route(tmp_path: Path) -> None:
    """Rendering a message reads its routes' open items — a curator has
    one route per party of the school's duties — each through the route
    index, never the open items of whole plans."""
    routes = [(1, 1), (2, 1), (3, 1), (4, None)]
    plan = _plan(f"sqlite:///{tmp_path / 'r.db'}", route_items_query(routes, date(2024, 11, 15)))
    lines = [line for line in plan.splitlines() if " occurrences" in line]
    assert len(lines) == len(routes), plan
    assert all(
        line.startswith("SEARCH") and "ix_occurrences_open_route_due" in line for line in lines
    ), plan


def test_carrying_counts_reads_only_the_days_that_changed(tmp_path: Path) -> None:
    """From yesterday's snapshot, only two due ranges of open occurrences
    are searched (the partial index): history is never visited."""
    plan = _plan(f"sqlite:///{tmp_path / 'r.db'}",
                 shift_query([1, 2], date(2024, 11, 14), date(2024, 11, 15), 14))
    lines = [line for line in plan.splitlines() if " occurrences" in line]
    assert lines and all(
        line.startswith("SEARCH") and "ix_occurrences_open_plan_id_due" in line
        for line in lines
    ), plan


def test_status_counts_is_one_grouped_query(tmp_path: Path) -> None:
    plan = _plan(f"sqlite:///{tmp_path / 'r.db'}", status_query(date(2024, 11, 15), 14))
    reads = [line for line in plan.splitlines() if line.startswith(("SCAN", "SEARCH"))]
    assert len(reads) == 1 and " occurrences" in reads[0], plan  # one pass over occurrences
    assert "completions" not in plan


_ROWS = Table(
    "rows", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("kind", String),
    Column("due", Date),
    Column("done", Boolean),
    Column("withdrawn", Boolean),
)
_ENGINE = create_engine("sqlite://")
_ROWS.metadata.create_all(_ENGINE)
_DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
_ROW = st.tuples(st.sampled_from(KINDS), st.none() | _DAYS, st.booleans(), st.booleans())


@given(
    rows=st.lists(_ROW, min_size=1, max_size=30),
    today=_DAYS,
    due_soon_days=st.integers(min_value=-3, max_value=60),
)
def test_status_case_agrees_with_classify(
    rows: list[tuple[str, date | None, bool, bool]], today: date, due_soon_days: int
) -> None:
    # Days near «today» are where the rules turn: draw some there too.
    rows = rows + [("dated", today + timedelta(days=d), False, False)
                   for d in (-1, 0, 1, due_soon_days, due_soon_days + 1)]
    state = status_case(
        kind=_ROWS.c.kind, due=_ROWS.c.due, done=_ROWS.c.done, withdrawn=_ROWS.c.withdrawn,
        today=today, due_soon_days=due_soon_days,
    )
    with _ENGINE.begin() as connection:
        connection.execute(_ROWS.delete())
        connection.execute(insert(_ROWS), [
            {"kind": k, "due": d, "done": done, "withdrawn": w} for k, d, done, w in rows
        ])
        found = [Status(s) for s in connection.scalars(select(state).order_by(_ROWS.c.id))]
    expected = [
        classify(kind=k, start=None, due=d, done=done, withdrawn=w, today=today,
                 due_soon_days=due_soon_days)
        for k, d, done, w in rows
    ]
    assert found == expected


@pytest.mark.parametrize(
    ("today", "due_soon_days", "due", "expected"),
    [
        # today + due_soon_days is past the last date there is: all is «soon».
        (date(9999, 12, 25), 30, date(9999, 12, 31), Status.DUE_SOON),
        (date(9999, 12, 31), 1, date(9999, 12, 31), Status.DUE_SOON),
        # ...or before the first: nothing is.
        (date(1, 1, 2), -30, date(1, 1, 5), Status.UPCOMING),
        (date(1, 1, 2), -30, date(1, 1, 1), Status.OVERDUE),
    ],
)
def test_status_case_at_the_ends_of_the_calendar(
    today: date, due_soon_days: int, due: date, expected: Status
) -> None:
    state = status_case(
        kind=_ROWS.c.kind, due=_ROWS.c.due, done=_ROWS.c.done, withdrawn=_ROWS.c.withdrawn,
        today=today, due_soon_days=due_soon_days,
    )
    with _ENGINE.begin() as connection:
        connection.execute(_ROWS.delete())
        connection.execute(insert(_ROWS), [
            {"kind": "dated", "due": due, "done": False, "withdrawn": False}
        ])
        assert Status(connection.scalar(select(state))) is expected
