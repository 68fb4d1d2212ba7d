"""Bokhan district programme (seed 004) in plans/bokhan-2022-2024.yaml."""

from __future__ import annotations

import re
from collections import Counter

import pytest

PLAN = "bokhan-2022-2024"
SEED = "004"


@pytest.fixture(scope="module")
def plan(load_plan):
    return load_plan(PLAN)


@pytest.fixture(scope="module")
def tasks(plan, tasks_of):
    return tasks_of(plan)


def test_header(plan):
    assert plan["kind"] == "plan"
    assert plan["id"] == PLAN
    assert plan["timezone"] == "Asia/Irkutsk"
    assert plan["parent"] == "irkutsk-oblast-2020-2024"
    assert str(plan["period"]["start"]) == "2022-01-01"
    assert str(plan["period"]["end"]) == "2024-12-31"
    assert plan["escalation"]["email"].endswith("example.org")


def test_parent_plan_exists(plan, plans_dir, load_yaml):
    parent = load_yaml(plans_dir / f"{plan['parent']}.yaml")
    assert parent["id"] == plan["parent"]


def test_counts(plan, tasks):
    assert [len(s["tasks"]) for s in plan["sections"]] == [9, 11, 4]
    assert len(tasks) == 24


def test_ids_unique(plan, tasks):
    for ids in (
        [t["id"] for t in tasks],
        [s["id"] for s in plan["sections"]],
        [p["id"] for p in plan["parties"]],
    ):
        assert all(isinstance(i, str) for i in ids)
        assert not [i for i, n in Counter(ids).items() if n > 1]


def test_all_tasks_undated(tasks):
    """The date column was lost in extraction: every task is undated."""
    assert all("deadline" in task and task["deadline"] is None for task in tasks)
    assert not [t["id"] for t in tasks if "schedule" in t]


def test_undated_explained(plans_dir):
    head = (plans_dir / f"{PLAN}.yaml").read_text(encoding="utf-8").split("\nkind:")[0]
    assert "deadline: null" in head and "«Сроки»" in head


def test_texts_verbatim(plan, tasks, seed_text, normalise):
    source = seed_text(SEED)
    assert normalise(plan["title"]) in source
    for section in plan["sections"]:
        assert normalise(section["title"]) in source, section["id"]
    for task in tasks:
        text = task["activity"]
        assert text == text.strip() and "<" not in text and "**" not in text, task["id"]
        assert normalise(text) in source, (task["id"], text)
        # the row in the source starts with its number
        assert re.search(rf"(?:^| ){re.escape(task['number'])}\.? {re.escape(text[:20])}", source)
        for key in ("responsible", "co_responsible"):
            if key in task:
                assert normalise(task[key]["text"]) in source, (task["id"], key)


def test_responsible_parties_known(plan, tasks):
    parties = {p["id"]: p for p in plan["parties"]}
    for task in tasks:
        for key in ("responsible", "co_responsible"):
            if key in task:
                assert task[key]["parties"], (task["id"], key)
                for party_id in task[key]["parties"]:
                    assert party_id in parties, (task["id"], party_id)
                    own = parties[party_id].get("aliases", [])
                    assert any(a in task[key]["text"] for a in own), (task["id"], party_id)


def test_school_duties_fan_out(plan, tasks):
    ou = next(p for p in plan["parties"] if p.get("register") == "bokhan")
    fanned = [t["id"] for t in tasks if ou["id"] in t.get("co_responsible", {}).get("parties", [])]
    assert fanned == ["1.4", "1.5", "1.6", "1.7", "1.8", "3.2"]
    for task_id in fanned:
        task = next(t for t in tasks if t["id"] == task_id)
        assert "ОУ" in task["activity"]


def test_indicators(plan, seed_text, normalise):
    source = seed_text(SEED)
    indicators = plan["indicators"]
    assert len(indicators) == 3
    expected = [
        {2022: 35, 2023: 50, 2024: 70},
        {2022: 50, 2023: 60, 2024: 70},
        {2022: 35, 2023: 50, 2024: 70},
    ]
    for indicator, targets in zip(indicators, expected, strict=True):
        assert dict(indicator["targets"]) == targets
        assert indicator["unit"] == "%"
        row = " ".join(f"{v}%" for v in targets.values())
        assert f"{normalise(indicator['name'])} {row}" in source
    assert len({i["id"] for i in indicators}) == 3


def test_registers_exist(plan, plans_dir, load_yaml):
    bound = [p for p in plan["parties"] if "register" in p]
    assert bound
    for party in bound:
        register = load_yaml(plans_dir / "orgs" / f"{party['register']}.yaml")
        assert register["kind"] == "register"
        assert register["id"] == party["register"]
        assert register["example"] is True
        assert 5 <= len(register["organisations"]) <= 6
        ids = [o["id"] for o in register["organisations"]]
        assert len(ids) == len(set(ids))
        for org in register["organisations"]:
            assert "(пример)" in org["name"]
            assert org["curator"]["email"].endswith("example.org")
            assert "example.org" in org["website"]
