"""Bokhan district programme (seed 004) in plans/bokhan-2022-2024.yaml.

The checks every plan shares are in ``test_plan_sources.py``.
"""

from __future__ import annotations

import re

from _seedtext import CELL, PLANS, normalise

PLAN = "bokhan-2022-2024"
SEED = "004_e20e996a81b62201.txt"


def test_all_tasks_undated(tasks):
    """The date column was lost in extraction: every task is undated."""
    assert all("deadline" in task and task["deadline"] is None for task in tasks)
    assert not [t["id"] for t in tasks if "schedule" in t]


def test_undated_explained():
    head = (PLANS / f"{PLAN}.yaml").read_text(encoding="utf-8").split("\nkind:")[0]
    assert "deadline: null" in head and "«Сроки»" in head


def test_rows_start_with_their_numbers(tasks, source):
    for task in tasks:
        number, text = re.escape(task["number"]), re.escape(task["activity"][:20])
        assert re.search(rf"(?:^| ){number}\.?(?: {CELL})? {text}", source), task["id"]


def test_school_duties_fan_out(plan, tasks):
    ou = next(p for p in plan["parties"] if p.get("register") == "bokhan")
    fanned = [t["id"] for t in tasks if ou["id"] in t.get("co_responsible", {}).get("parties", [])]
    assert fanned == ["1.4", "1.5", "1.6", "1.7", "1.8", "3.2"]
    for task_id in fanned:
        task = next(t for t in tasks if t["id"] == task_id)
        assert "ОУ" in task["activity"]


def test_indicators(plan, source):
    expected = [
        {2022: 35, 2023: 50, 2024: 70},
        {2022: 50, 2023: 60, 2024: 70},
        {2022: 35, 2023: 50, 2024: 70},
    ]
    for indicator, targets in zip(plan["indicators"], expected, strict=True):
        assert dict(indicator["targets"]) == targets
        assert indicator["unit"] == "%"
        row = f" {CELL} ".join(f"{v}%" for v in targets.values())
        assert f"{normalise(indicator['name'])} {CELL} {row}" in source
