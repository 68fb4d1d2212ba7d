"""Every plan in plans/ loads, and ``roadmap show --format json`` gives back
exactly what its YAML says: tasks in order with their verbatim texts, and the
windows the deadline language gives each task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from roadmap.cli import main
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
        for occurrence in got["occurrences"]:  # the dates themselves: see below
            assert plan.period.start.isoformat() <= occurrence["due"], (task.id, occurrence)
        assert got["undated"] == (task.deadline is None and task.schedule is None)
    assert [i["id"] for i in data["indicators"]] == [i.id for i in plan.indicators]


def window(start: str | None, due: str) -> dict[str, str | None]:
    return {"start": start, "due": due}


@pytest.mark.parametrize(
    ("plan_id", "task_id", "deadline", "occurrences"),
    [
        ("dzerzhinsky-2022-2023", "order-2.1", "в срок до 28 октября 2022 года",
         [window(None, "2022-10-28")]),
        ("glazov-2022-2024", "1.1", "Январь, 2022", [window("2022-01-01", "2022-01-31")]),
        ("glazov-2022-2024", "1.2", "До 01 марта 2022", [window(None, "2022-03-01")]),
        ("irkutsk-city-2023-2026", "1.1", "Ежегодно январь",
         [window(f"{y}-01-01", f"{y}-01-31") for y in (2023, 2024, 2025, 2026)]),
        ("irkutsk-city-2023-2026", "1.2", "Январь-февраль 2023 года",
         [window("2023-01-01", "2023-02-28")]),
        ("irkutsk-oblast-2020-2024", "1.3", "Сентябрь 2020 г.",
         [window("2020-09-01", "2020-09-30")]),
        ("irkutsk-school-1-2023", "1.1", "до 15 сентября 2023 г.", [window(None, "2023-09-15")]),
        ("irkutsk-school-1-2023", "1.3", "Сентябрь - октябрь 2023 г.",
         [window("2023-09-01", "2023-10-31")]),
    ],
)
def test_show_json_gives_the_dates_the_deadline_says(
    shown: dict[str, dict], plan_id: str, task_id: str, deadline: str,
    occurrences: list[dict[str, str | None]],
) -> None:
    task = next(t for t in shown[plan_id]["tasks"] if t["id"] == task_id)
    assert task["deadline"] == deadline
    assert task["occurrences"] == occurrences


def test_every_party_with_a_register_fans_out() -> None:
    for plan in CATALOG.plans.values():
        for party in plan.parties:
            if party.register:
                assert CATALOG.registers[party.register].organisations
