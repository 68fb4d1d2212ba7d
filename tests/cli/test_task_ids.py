"""Task ids a shell accepts: the number as printed («3.1)»), the id shown
in listings («order-3.1»), and the number without punctuation («3.1»)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_carry import PLAN, PLAN_ID, REGISTER
from tests.fixtures import Run

ORDER = PLAN.replace('''      - id: "1.2"
        number: "1.2"''', '''      - id: order-3.1
        number: "3.1)"''')


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {f"{PLAN_ID}.yaml": ORDER, "orgs/carry-city.yaml": REGISTER}


@pytest.mark.parametrize("given", ["3.1)", "3.1", "order-3.1", "п. 3.1"])
def test_a_task_by_any_of_its_names(run: Run, loaded: Path, given: str) -> None:
    done = run("done", PLAN_ID, given, "--org", "school-1", "--url", "https://s1.example/k",
               "--due", "2024-05-31", "--today", "2024-05-20")
    assert done.exit_code == 0, done.stderr
    assert "3.1) (oo/school-1), срок 2024-05-31" in done.stdout
    history = json.loads(run("history", PLAN_ID, given, "--format", "json").stdout)
    assert [(e["task"], e["number"]) for e in history] == [("order-3.1", "3.1)")]
    rows = json.loads(run("status", "--plan", PLAN_ID, "--format", "json").stdout)
    assert {(r["task"], r["number"]) for r in rows} >= {("order-3.1", "3.1)")}


def test_an_unknown_task_lists_the_ids(run: Run, loaded: Path) -> None:
    result = run("history", PLAN_ID, "9.9")
    assert result.exit_code == 1
    assert "Нет задачи «9.9»" in result.stderr and "order-3.1" in result.stderr
