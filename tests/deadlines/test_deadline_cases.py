"""Every seed case of cases.json, exactly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from roadmap.deadlines import Context, interpret, meaning_to_json

CASES = json.loads((Path(__file__).parents[1] / "data" / "cases.json").read_text("utf-8"))


def context_of(case: dict[str, object]) -> Context:
    start, end = str(case["period"]).split("..")
    return Context(date.fromisoformat(start), date.fromisoformat(end), bool(case["school_years"]))


@pytest.mark.parametrize("case", CASES, ids=[f"{c['plan']}:{c['item']}" for c in CASES])
def test_seed_case(case: dict) -> None:
    meaning = meaning_to_json(interpret(case["text"], context_of(case)))
    assert meaning["occurrences"] == case["expect"]["occurrences"]
    assert meaning["on_demand"] == case["expect"]["on_demand"]
    assert meaning["parsed"] is True


def test_all_86_cases_are_there() -> None:
    assert len(CASES) == 86


def test_outside_period_is_kept_with_a_warning() -> None:
    case = next(c for c in CASES if c["text"] == "Май 2022 г.")
    meaning = interpret(case["text"], context_of(case))
    assert meaning.occurrences
    assert any("период" in w for w in meaning.warnings)
