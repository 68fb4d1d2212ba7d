"""Expansion of a plan into occurrence specs (pure)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roadmap.deadlines.api import Context, Meaning
from roadmap.errors import PlanError
from roadmap.model import Organisation, Party, Plan, Register, Schedule, Window
from roadmap.occurrences import (
    DATED,
    ON_DEMAND,
    UNDATED,
    OccurrenceSpec,
    _digest,
    expand_plan,
    fingerprint,
    natural_key,
    occurrence_rows,
    plan_fingerprints,
    task_windows,
    window_keys,
)
from tests.storage.factory import TOTAL, make_plan, make_register, replace_task


def specs_of(plan: Plan | None = None, register: Register | None = None) -> list[OccurrenceSpec]:
    plan = plan or make_plan()
    register = register or make_register()
    return list(expand_plan(plan, {register.id: register}))


def test_fan_out_to_every_party_and_organisation() -> None:
    specs = specs_of()
    assert len(specs) == TOTAL
    per_task = Counter(s.task for s in specs)
    assert per_task == {"1.1": 8, "1.2": 1, "1.3": 3, "2.1": 1}
    school_dues = {(s.org, s.due) for s in specs if s.task == "1.1" and s.party == "oo"}
    assert school_dues == {
        (org, due)
        for org in ("school-1", "school-2", "school-3")
        for due in (date(2023, 2, 28), date(2024, 2, 29))
    }
    assert {s.org for s in specs if s.party == "imcro"} == {None}


def test_kinds_and_dates() -> None:
    by_task = {s.task: s for s in specs_of()}
    assert by_task["1.2"].kind == ON_DEMAND and by_task["1.2"].due is None
    assert by_task["1.3"].kind == UNDATED and by_task["1.3"].start is None
    assert by_task["2.1"].kind == DATED
    assert (by_task["2.1"].start, by_task["2.1"].due) == (None, date(2023, 10, 28))


def test_keys_are_unique_and_stable() -> None:
    first = [s.key for s in specs_of()]
    assert len(set(first)) == len(first)
    assert first == [s.key for s in specs_of()]
    assert "test-plan/1.1/oo/school-2/2024-02-29" in first
    assert "test-plan/1.1/imcro//2023-02-28" in first
    assert "test-plan/1.2/imcro//on-demand" in first
    assert "test-plan/1.3/oo/school-1/undated" in first


def test_start_is_content_not_key() -> None:
    plan = make_plan()
    moved = replace_task(
        plan,
        "2.1",
        schedule=Schedule(windows=(Window(date(2023, 9, 1), date(2023, 10, 28)),), why="t"),
    )
    before = {s.key: s.content_hash for s in specs_of(plan)}
    after = {s.key: s.content_hash for s in specs_of(moved)}
    assert before.keys() == after.keys()
    changed = [k for k in before if before[k] != after[k]]
    assert changed == ["test-plan/2.1/imcro//2023-10-28"]


def test_activity_change_changes_content_of_that_task_only() -> None:
    plan = make_plan()
    edited = replace_task(plan, "1.1", activity="Другое мероприятие")
    before = {s.key: s.content_hash for s in specs_of(plan)}
    after = {s.key: s.content_hash for s in specs_of(edited)}
    assert {k for k in before if before[k] != after[k]} == {k for k in before if "/1.1/" in k}


def test_key_parts_are_escaped() -> None:
    assert natural_key("p", "a/b", "x", None, "undated") == "p/a%2Fb/x//undated"
    assert natural_key("p", "1", "x", "шк", "2024-01-01") == "p/1/x/%D1%88%D0%BA/2024-01-01"


def test_windows_sharing_a_due_date_get_distinct_keys() -> None:
    windows = (
        Window(date(2024, 1, 1), date(2024, 5, 31)),
        Window(date(2024, 3, 1), date(2024, 5, 31)),
    )
    assert window_keys(windows) == ["2024-05-31", "2024-05-31~2"]


def test_deadline_text_is_read_in_the_plan_context() -> None:
    seen: list[tuple[str, Context]] = []

    def read(text: str, context: Context) -> Meaning:
        seen.append((text, context))
        return Meaning(
            text, (Window(None, date(2023, 5, 31)), Window(None, date(2024, 5, 31))), False, True
        )

    plan = replace_task(make_plan(), "2.1", schedule=None, deadline="Ежегодно (май)")
    found = task_windows(plan, next(t for t in plan.tasks() if t.id == "2.1"), read)
    assert found.kind == DATED and [w.due.year for w in found.windows] == [2023, 2024]
    assert seen == [("Ежегодно (май)", Context(date(2023, 1, 1), date(2024, 12, 31)))]


def test_schedule_phrase_wins_over_the_text() -> None:
    seen: list[str] = []

    def read(text: str, context: Context) -> Meaning:
        seen.append(text)
        return Meaning(text, (), True, True)

    plan = replace_task(make_plan(), "2.1", schedule=Schedule(phrase="по запросу", why="t"))
    found = task_windows(plan, next(t for t in plan.tasks() if t.id == "2.1"), read)
    assert seen == ["по запросу"] and found.kind == ON_DEMAND


def test_unparsed_text_is_undated() -> None:
    def read(text: str, context: Context) -> Meaning:
        return Meaning(text, (), False, False)

    plan = replace_task(make_plan(), "2.1", schedule=None, deadline="когда-нибудь")
    found = task_windows(plan, next(t for t in plan.tasks() if t.id == "2.1"), read)
    assert found.kind == UNDATED and not found.parsed


def test_unknown_register_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="test-orgs"):
        list(expand_plan(make_plan(), {}))


def test_empty_register_gives_no_school_occurrences() -> None:
    register = dataclasses.replace(make_register(), organisations=())
    assert {s.party for s in specs_of(register=register)} == {"imcro"}


# The loader's path builds keys and content hashes by pieces (once per
# occurrence of a national load): they must be exactly natural_key() and
# the _digest() of [task fingerprint, party name, organisation name, kind,
# start, due], or every stored occurrence would look changed after an upgrade.
_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@given(party_name=_names, org_name=_names, org_id=_names, task_id=_names)
def test_keys_and_content_hashes_are_natural_key_and_digest(
    party_name: str, org_name: str, org_id: str, task_id: str
) -> None:
    register = Register("test-orgs", "Школы", (Organisation(org_id, org_name),))
    plan = replace_task(make_plan(), "1.1", id=task_id)
    plan = dataclasses.replace(
        plan, parties=(Party("imcro", party_name), Party("oo", 'ОО \\ «"', register="test-orgs"))
    )
    tasks = {t.id: t for t in plan.tasks()}
    names = {p.id: p.name for p in plan.parties}
    rows = list(occurrence_rows(plan, {register.id: register}))
    assert [r[1:] for r in rows] == [
        (s.task, s.party, s.org, s.kind, s.start, s.due, s.window, s.content_hash)
        for s in expand_plan(plan, {register.id: register})
    ]
    for row in rows:
        assert row.key == natural_key(plan.id, row.task, row.party, row.org, row.window)
        assert row.content_hash == _digest(
            [
                fingerprint(tasks[row.task]),
                names[row.party],
                org_name if row.org else "",
                row.kind,
                row.start.isoformat() if row.start else None,
                row.due.isoformat() if row.due else None,
            ]
        )


def test_plan_fingerprints_are_fingerprints() -> None:
    plan = make_plan()
    digest, tasks = plan_fingerprints(plan)
    assert digest == fingerprint(plan)
    assert tasks == {t.id: fingerprint(t) for t in plan.tasks()}


def test_occurrence_rows_check_the_plan_before_the_first_row() -> None:
    with pytest.raises(PlanError, match="test-orgs"):
        occurrence_rows(make_plan(), {})  # no next(): the call itself checks
    plan = make_plan()
    without_oo = dataclasses.replace(plan, parties=plan.parties[:1])
    with pytest.raises(PlanError, match="oo"):
        occurrence_rows(without_oo, {})
