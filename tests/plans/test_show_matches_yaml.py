"""Every plan in plans/ loads, and ``roadmap show --format json`` gives back
exactly what its YAML says: tasks in order with their verbatim texts, and the
windows the deadline language gives each task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from roadmap.cli import main
from roadmap.occurrences import task_windows
from roadmap.plans import read_catalog

PLANS = Path(__file__).resolve().parents[2] / "plans"
CATALOG = read_catalog([PLANS])


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    env = {"ROADMAP_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    runner = CliRunner()
    loaded = runner.invoke(main, ["--lang", "ru", "load", str(PLANS)], env=env)
    assert loaded.exit_code == 0, loaded.stderr
    out = {}
    for plan_id in CATALOG.plans:
        result = runner.invoke(main, ["show", plan_id, "--format", "json"], env=env)
        assert result.exit_code == 0, result.stderr
        out[plan_id] = json.loads(result.stdout)
    return out


def test_all_six_plans_and_four_registers_are_there() -> None:
    assert set(CATALOG.plans) == {
        "irkutsk-city-2023-2026", "dzerzhinsky-2022-2023", "glazov-2022-2024",
        "irkutsk-oblast-2020-2024", "bokhan-2022-2024", "irkutsk-school-1-2023",
    }
    assert set(CATALOG.registers) == {"irkutsk-city", "dzerzhinsky", "glazov", "bokhan"}
    assert CATALOG.plans["irkutsk-city-2023-2026"].parent == "irkutsk-oblast-2020-2024"
    assert CATALOG.plans["bokhan-2022-2024"].parent == "irkutsk-oblast-2020-2024"
    assert CATALOG.plans["irkutsk-school-1-2023"].parent == "irkutsk-city-2023-2026"


@pytest.mark.parametrize("plan_id", sorted(CATALOG.plans))
def test_show_json_matches_yaml(shown: dict[str, dict], plan_id: str) -> None:
    plan = CATALOG.plans[plan_id]
    data = shown[plan_id]
    assert data["id"] == plan_id
    tasks = list(plan.tasks())
    assert [t["id"] for t in data["tasks"]] == [t.id for t in tasks]
    for task, got in zip(tasks, data["tasks"], strict=True):
        assert got["number"] == task.number
        assert got["activity"] == task.activity
        assert got["deadline"] == task.deadline
        assert got["responsible"] == task.responsible.text
        assert got["result"] == task.result
        found = task_windows(plan, task)
        assert got["occurrences"] == [
            {"start": w.start.isoformat() if w.start else None, "due": w.due.isoformat()}
            for w in found.windows
        ]
        assert got["undated"] == (task.deadline is None and task.schedule is None)
    assert [i["id"] for i in data["indicators"]] == [i.id for i in plan.indicators]


def test_every_party_with_a_register_fans_out() -> None:
    for plan in CATALOG.plans.values():
        for party in plan.parties:
            if party.register:
                assert CATALOG.registers[party.register].organisations
