"""The core: :func:`roadmap.report.build_report` on a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from click.testing import Result
from sqlalchemy.orm import Session, sessionmaker

from roadmap.errors import NotFoundError
from roadmap.report import Report, Unit, build_report
from roadmap.status import Status
from tests.report.conftest import CITY_A_ID, CITY_B_ID, REGION_ID, SCHOOL_1, TODAY, counts


def _today(_zone: str) -> date:
    return TODAY


def _plain(mapping: object) -> dict[str, int]:
    return {s.value: n for s, n in mapping.items()}  # type: ignore[attr-defined]


@pytest.fixture
def city_a(loaded: Callable[..., Result], sessions: sessionmaker[Session]) -> Report:
    with sessions() as session:
        return build_report(session, _today, CITY_A_ID, due_soon_days=14)


def test_counts_per_task(city_a: Report) -> None:
    tasks = {t.task: t for t in city_a.tasks}
    assert list(tasks) == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7"]
    assert city_a.today == TODAY
    # units (organisations, or the party when it does not fan out) per status
    assert _plain(tasks["1.1"].counts) == counts(done=2, overdue=2)
    assert _plain(tasks["1.2"].counts) == counts(done=2, overdue=1)
    assert _plain(tasks["1.3"].counts) == counts(on_demand=3)
    assert _plain(tasks["1.4"].counts) == counts(undated=1)
    assert _plain(tasks["1.5"].counts) == counts(done=1, due_soon=2)
    assert _plain(tasks["1.6"].counts) == counts(overdue=3)
    assert _plain(tasks["1.7"].counts) == counts(upcoming=3)
    assert [u.code for u in tasks["1.1"].overdue] == ["school-2", "school-3"]
    assert [u.name for u in tasks["1.2"].overdue] == ["МАОУ Лицей № 3 (пример)"]
    assert tasks["1.4"].undated and tasks["1.3"].on_demand


def test_current_means_due_by_today_plus_the_next_window(city_a: Report) -> None:
    tasks = {t.task: t for t in city_a.tasks}
    # 1.1 (every January, 2023–2026) × 4 units: three Januaries due, the 2026 one next.
    assert _plain(tasks["1.1"].occurrence_counts) == counts(done=8, overdue=4, upcoming=4)
    # 1.6 (every November): 2023 and 2024 due, 2025 next; 2026 is not counted yet.
    assert _plain(tasks["1.6"].occurrence_counts) == counts(overdue=6, upcoming=3)
    school_2 = next(u for u in city_a.units if u.code == "school-2")
    cell = city_a.cell("1.1", school_2)
    assert cell is not None
    assert (cell.status, cell.occurrences, cell.overdue) == (Status.OVERDUE, 4, 1)
    assert (cell.due, cell.days_overdue) == (date(2025, 1, 31), 29)
    # Up to date with the next window still ahead counts as done.
    school_1 = next(u for u in city_a.units if u.code == "school-1")
    done = city_a.cell("1.1", school_1)
    assert done is not None and done.status is Status.DONE


def test_counts_per_organisation(city_a: Report) -> None:
    by_code = {o.unit.code: o for o in city_a.organisations}
    # parties first in plan order, then the register's organisations in its order
    assert list(by_code) == ["imcro", "school-1", "school-2", "school-3"]
    assert by_code["school-1"].unit.name == SCHOOL_1
    assert not by_code["imcro"].unit.is_org and by_code["school-1"].unit.is_org
    assert _plain(by_code["imcro"].counts) == counts(done=1, undated=1)
    assert _plain(by_code["school-1"].counts) == counts(
        done=2, overdue=1, due_soon=1, upcoming=1, on_demand=1
    )
    assert _plain(by_code["school-2"].counts) == counts(
        done=1, overdue=2, due_soon=1, upcoming=1, on_demand=1
    )
    assert _plain(by_code["school-3"].counts) == counts(done=1, overdue=3, upcoming=1, on_demand=1)
    assert by_code["school-1"].overdue_tasks == ("1.6",)
    assert by_code["school-2"].overdue_tasks == ("1.1", "1.6")
    assert by_code["school-3"].overdue_tasks == ("1.1", "1.2", "1.6")
    assert by_code["imcro"].overdue_tasks == ()
    # a unit that has no part in a task has no cell
    imcro = Unit("imcro", None, "МКУ ИМЦРО")
    assert city_a.cell("1.2", imcro) is None
    assert len(city_a.cells) == 20 and city_a.children == ()


def test_parent_rolls_up_its_children(
    loaded: Callable[..., Result], sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        region = build_report(session, _today, REGION_ID, due_soon_days=14)
    assert [(t.task, _plain(t.counts)) for t in region.tasks] == [
        ("r.1", counts(overdue=1)),
        ("r.2", counts(undated=1)),
    ]
    children = {c.plan: c for c in region.children}
    assert list(children) == [CITY_A_ID, CITY_B_ID]
    assert _plain(children[CITY_A_ID].counts) == counts(
        done=5, overdue=6, due_soon=2, upcoming=3, on_demand=3, undated=1
    )
    assert (children[CITY_A_ID].tasks, children[CITY_A_ID].units) == (7, 4)
    assert _plain(children[CITY_B_ID].counts) == counts(done=1, overdue=1)
    assert children[CITY_B_ID].title == "Городской план Б (тест)"


def test_today_moves_the_counts(
    loaded: Callable[..., Result], sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        early = build_report(session, lambda _zone: date(2023, 1, 10), CITY_A_ID, 14)
    tasks = {t.task: t for t in early.tasks}
    # Before the first January deadline: nothing overdue yet, done early counts as done.
    assert _plain(tasks["1.1"].counts) == counts(done=3, upcoming=1)
    assert _plain(tasks["1.1"].occurrence_counts) == counts(done=3, upcoming=1)
    assert _plain(tasks["1.6"].counts) == counts(upcoming=3)


def test_unknown_plan_suggests_a_name(
    loaded: Callable[..., Result], sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, pytest.raises(NotFoundError, match="test-city-a-2023-2026"):
        build_report(session, _today, "test-city-a-2023", 14)
