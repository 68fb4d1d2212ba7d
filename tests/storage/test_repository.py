"""The storage core: idempotent loads, reloads of edited plans, completions, views."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from roadmap.errors import NotFoundError, PlanError, UsageError
from roadmap.i18n import set_language
from roadmap.model import Indicator, Party, Schedule, Target, Window
from roadmap.storage.db import write_session
from roadmap.storage.repository import (
    Evidence,
    LoadReport,
    completions_for,
    get_plan_view,
    list_plans,
    load_catalog,
    occurrences_of,
    record_completion,
)
from roadmap.storage.tables import REOPEN, OccurrenceRow, PlanRow
from tests.storage.factory import (
    NOW,
    TOTAL,
    FakeCatalog,
    catalog,
    make_plan,
    make_register,
    replace_task,
)

LATER = NOW + timedelta(days=1)


def load(sessions: sessionmaker[Session], cat: Any, now=NOW) -> LoadReport:  # type: ignore[no-untyped-def]
    with write_session(sessions) as session:
        return load_catalog(session, cat, now)


def active(sessions: sessionmaker[Session], plan: str = "test-plan") -> dict[str, Any]:
    with sessions() as session:
        return {o.key: o for o in occurrences_of(session, plan)}


def test_first_load_stores_every_occurrence(sessions: sessionmaker[Session]) -> None:
    report = load(sessions, catalog())
    (reg,) = report.registers
    assert reg.new and reg.organisations_added == ("school-1", "school-2", "school-3")
    (plan,) = report.plans
    assert plan.new and plan.occurrences_added == TOTAL and report.changed
    occurrences = active(sessions)
    assert len(occurrences) == TOTAL
    assert {o.org for o in occurrences.values() if o.party == "oo"} == {
        "school-1",
        "school-2",
        "school-3",
    }
    assert all(o.sequence == 0 for o in occurrences.values())


def test_loading_twice_changes_nothing_and_writes_nothing(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    load(sessions, catalog())
    writes: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def log(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(statement)

    report = load(sessions, catalog(), now=LATER)
    assert not report.changed
    assert [p.changed for p in report.plans] == [False]
    assert [r.changed for r in report.registers] == [False]
    assert writes == []
    with sessions() as session:
        assert session.scalars(select(PlanRow.loaded_at)).one() == NOW


def test_reload_of_an_edited_plan_keeps_completions_of_unchanged_occurrences(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, catalog())
    before = active(sessions)
    kept_key = "test-plan/1.1/oo/school-2/2023-02-28"
    moved_key = "test-plan/2.1/imcro//2023-10-28"
    with write_session(sessions) as session:
        kept_done = record_completion(
            session, before[kept_key].id, by="ivanova", at=NOW, note="приказ"
        )
        moved_done = record_completion(session, before[moved_key].id, by="petrov", at=NOW)

    # One deadline moved (2.1: 28 Oct → 30 Nov), one activity reworded (1.3).
    plan = replace_task(
        make_plan(), "2.1", schedule=Schedule(windows=(Window(None, date(2023, 11, 30)),), why="t")
    )
    plan = replace_task(plan, "1.3", activity="Другая формулировка")
    report = load(sessions, catalog(plan), now=LATER)

    (changes,) = report.plans
    assert changes.tasks_changed == ("1.3", "2.1")
    assert changes.tasks_added == () and changes.tasks_withdrawn == ()
    assert changes.occurrences_added == 1  # 2.1 due 30 Nov
    assert changes.occurrences_withdrawn == 1  # 2.1 due 28 Oct
    assert changes.occurrences_changed == 3  # 1.3 for each school
    after = active(sessions)
    assert kept_key in after and after[kept_key].id == before[kept_key].id
    assert after[kept_key].sequence == 0
    assert [c.id for c in completions_for_(sessions, after[kept_key].id)] == [kept_done]
    assert all(after[k].sequence == 1 for k in after if "/1.3/" in k)

    # The vanished occurrence is withdrawn, not deleted: its history stays.
    assert moved_key not in after
    with sessions() as session:
        withdrawn = {o.key: o for o in occurrences_of(session, "test-plan", withdrawn=True)}
        assert withdrawn[moved_key].withdrawn and withdrawn[moved_key].sequence == 1
        assert [c.id for c in completions_for(session, withdrawn[moved_key].id)] == [moved_done]
        assert session.scalar(select(func.count()).select_from(OccurrenceRow)) == TOTAL + 1


def completions_for_(sessions: sessionmaker[Session], occurrence_id: int) -> list[Any]:
    with sessions() as session:
        return completions_for(session, occurrence_id)


def test_a_withdrawn_occurrence_that_comes_back_is_revived(sessions: sessionmaker[Session]) -> None:
    load(sessions, catalog())
    original = active(sessions)
    key = "test-plan/2.1/imcro//2023-10-28"
    with write_session(sessions) as session:
        record_completion(session, original[key].id, by="ivanova", at=NOW)
    without = make_plan(tasks=tuple(t for t in make_plan().tasks() if t.id != "2.1"))
    report = load(sessions, catalog(without))
    assert report.plans[0].tasks_withdrawn == ("2.1",)
    assert report.plans[0].occurrences_withdrawn == 1
    assert key not in active(sessions)
    with sessions() as session:
        assert get_plan_view(session, "test-plan").tasks[-1].id == "1.3"

    report = load(sessions, catalog())
    assert report.plans[0].tasks_added == ("2.1",)
    assert report.plans[0].occurrences_revived == 1
    back = active(sessions)[key]
    assert back.id == original[key].id and back.sequence == 2
    assert len(completions_for_(sessions, back.id)) == 1


def test_moved_start_keeps_the_occurrence_and_bumps_its_sequence(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, catalog())
    plan = replace_task(
        make_plan(),
        "2.1",
        schedule=Schedule(windows=(Window(date(2023, 10, 1), date(2023, 10, 28)),), why="t"),
    )
    report = load(sessions, catalog(plan))
    assert report.plans[0].occurrences_changed == 1 and report.plans[0].occurrences_added == 0
    occ = active(sessions)["test-plan/2.1/imcro//2023-10-28"]
    assert (occ.start, occ.sequence) == (date(2023, 10, 1), 1)


def every_occurrence(sessions: sessionmaker[Session]) -> dict[str, tuple[Any, ...]]:
    with sessions() as session:
        return {
            o.key: (o.id, o.kind, o.start, o.due, o.sequence, o.withdrawn)
            for o in occurrences_of(session, "test-plan", withdrawn=True)
        }


def test_reload_after_one_deadline_edit_bumps_only_that_occurrence(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    load(sessions, catalog())
    before = every_occurrence(sessions)
    edited_key = "test-plan/2.1/imcro//2023-10-28"
    # The deadline text of 2.1 is reworded; its window (so its key) stays.
    plan = replace_task(make_plan(), "2.1", deadline="до 28 октября 2023 г.")
    report = load(sessions, catalog(plan), now=LATER)
    (changes,) = report.plans
    assert changes.tasks_changed == ("2.1",)
    assert (changes.tasks_added, changes.tasks_withdrawn) == ((), ())
    assert (changes.occurrences_added, changes.occurrences_changed) == (0, 1)
    assert (changes.occurrences_withdrawn, changes.occurrences_revived) == (0, 0)
    after = every_occurrence(sessions)
    assert after[edited_key] == (*before[edited_key][:4], 1, False)
    assert {k: v for k, v in after.items() if k != edited_key} == {
        k: v for k, v in before.items() if k != edited_key
    }
    with sessions() as session:
        shown = {t.id: t.deadline for t in get_plan_view(session, "test-plan").tasks}
    assert shown["2.1"] == "до 28 октября 2023 г." and shown["1.1"] == "Ежегодно январь, февраль"

    writes: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def log(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "COPY"):
            writes.append(statement)

    assert not load(sessions, catalog(plan), now=LATER + timedelta(days=1)).changed
    assert writes == [] and every_occurrence(sessions) == after


def test_reordered_tasks_only_move(sessions: sessionmaker[Session]) -> None:
    load(sessions, catalog())
    before = every_occurrence(sessions)
    plan = make_plan()
    report = load(sessions, catalog(dataclasses.replace(plan, sections=plan.sections[::-1])))
    assert not report.changed  # positions are not worth reporting
    assert every_occurrence(sessions) == before
    with sessions() as session:
        assert [t.id for t in get_plan_view(session, "test-plan").tasks] == [
            "2.1",
            "1.1",
            "1.2",
            "1.3",
        ]


def test_fan_out_follows_the_register(sessions: sessionmaker[Session]) -> None:
    load(sessions, catalog())
    bigger = make_register(("school-1", "school-2", "school-3", "school-4"))
    report = load(sessions, catalog(register=bigger))
    assert report.registers[0].organisations_added == ("school-4",)
    # 1.1: two windows; 1.3: undated.
    assert report.plans[0].occurrences_added == 3
    assert {o.org for o in active(sessions).values() if o.party == "oo"} == {
        "school-1",
        "school-2",
        "school-3",
        "school-4",
    }
    smaller = make_register(("school-1",))
    report = load(sessions, catalog(register=smaller))
    assert report.registers[0].organisations_withdrawn == ("school-2", "school-3", "school-4")
    assert report.plans[0].occurrences_withdrawn == 9
    assert {o.org for o in active(sessions).values() if o.party == "oo"} == {"school-1"}


def test_a_plan_loaded_without_its_register_uses_the_stored_one(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, catalog())
    plan = make_plan("other-plan")
    report = load(sessions, FakeCatalog({plan.id: plan}, {}))
    assert report.plans[0].occurrences_added == TOTAL


def test_a_load_is_all_or_nothing(sessions: sessionmaker[Session]) -> None:
    good = make_plan("a-plan")
    bad = dataclasses.replace(
        make_plan("b-plan"),
        parties=(Party("imcro", "МКУ ИМЦРО"), Party("oo", "ОО", register="nowhere")),
    )
    register = make_register()
    with pytest.raises(PlanError, match="nowhere"):
        load(sessions, FakeCatalog({good.id: good, bad.id: bad}, {register.id: register}))
    with sessions() as session:
        assert list_plans(session) == []
        assert session.scalar(select(func.count()).select_from(OccurrenceRow)) == 0


def test_indicators_are_stored_and_replaced(sessions: sessionmaker[Session]) -> None:
    plan = dataclasses.replace(
        make_plan(),
        indicators=(
            Indicator("share", "Доля обучающихся", "%", (Target(2023, 10), Target(2024, "15"))),
        ),
    )
    load(sessions, catalog(plan))
    with sessions() as session:
        (ind,) = get_plan_view(session, "test-plan").indicators
    assert (ind.id, ind.unit, ind.targets) == ("share", "%", {2023: 10, 2024: "15"})
    plan = dataclasses.replace(
        plan, indicators=(Indicator("share", "Доля обучающихся", "%", (Target(2023, 12),)),)
    )
    report = load(sessions, catalog(plan))
    assert report.plans[0].details_changed
    with sessions() as session:
        assert get_plan_view(session, "test-plan").indicators[0].targets == {2023: 12}


def test_plan_view_lists_distinct_windows_not_multiplied_by_schools(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, catalog())
    with sessions() as session:
        view = get_plan_view(session, "test-plan")
    tasks = {t.id: t for t in view.tasks}
    assert [t.id for t in view.tasks] == ["1.1", "1.2", "1.3", "2.1"]
    assert tasks["1.1"].occurrences == (
        Window(date(2023, 1, 1), date(2023, 2, 28)),
        Window(date(2024, 1, 1), date(2024, 2, 29)),
    )
    assert tasks["1.2"].on_demand and tasks["1.2"].occurrences == ()
    assert tasks["1.3"].undated and tasks["1.3"].deadline is None
    assert tasks["1.1"].parties == ("imcro", "oo")
    assert view.parties == {"imcro": "МКУ ИМЦРО", "oo": "Образовательные организации"}


def test_list_plans_counts_active_rows(sessions: sessionmaker[Session]) -> None:
    load(sessions, catalog())
    with sessions() as session:
        (summary,) = list_plans(session)
    assert (summary.id, summary.tasks, summary.occurrences) == ("test-plan", 4, TOTAL)
    assert summary.period_start == date(2023, 1, 1)


def test_unknown_plan_suggests_a_close_one(sessions: sessionmaker[Session]) -> None:
    set_language("ru")
    load(sessions, catalog())
    with sessions() as session, pytest.raises(NotFoundError, match="может быть, «test-plan»"):
        get_plan_view(session, "test-plam")


def test_completions_are_appended_and_superseded(sessions: sessionmaker[Session]) -> None:
    load(sessions, catalog())
    occ = next(iter(active(sessions).values()))
    evidence = Evidence("ab" * 32, "приказ.pdf", 1234, "application/pdf")
    with write_session(sessions) as session:
        first = record_completion(session, occ.id, by="ivanova", at=NOW, evidence=evidence)
        second = record_completion(
            session, occ.id, by="ivanova", at=LATER, action=REOPEN, supersedes_id=first
        )
        third = record_completion(
            session, occ.id, by="petrov", at=LATER, url="https://example.org/doc"
        )
    done = completions_for_(sessions, occ.id)
    assert [c.id for c in done] == [first, second, third]
    assert done[0].evidence == evidence and done[0].at == NOW
    assert done[1].supersedes_id == first and done[1].action == REOPEN
    assert done[2].url == "https://example.org/doc" and done[2].evidence is None


def test_completion_checks(sessions: sessionmaker[Session]) -> None:
    load(sessions, catalog())
    occ = next(iter(active(sessions).values()))
    with write_session(sessions) as session:
        with pytest.raises(NotFoundError):
            record_completion(session, 10_000, by="x", at=NOW)
        with pytest.raises(NotFoundError):
            record_completion(session, occ.id, by="x", at=NOW, supersedes_id=10_000)
        with pytest.raises(UsageError):
            record_completion(session, occ.id, by="x", at=NOW, action="maybe")
        with pytest.raises(ValueError):
            record_completion(session, occ.id, by="x", at=NOW.replace(tzinfo=None))
    without = make_plan(tasks=tuple(t for t in make_plan().tasks() if t.id != "2.1"))
    load(sessions, catalog(without))
    withdrawn = next(o for o in occurrences_of_all(sessions) if o.withdrawn)
    with pytest.raises(UsageError), write_session(sessions) as session:
        record_completion(session, withdrawn.id, by="x", at=NOW)


def occurrences_of_all(sessions: sessionmaker[Session]) -> list[Any]:
    with sessions() as session:
        return occurrences_of(session, "test-plan", withdrawn=True)
