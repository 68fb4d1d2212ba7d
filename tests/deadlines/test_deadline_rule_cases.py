"""Every example of rules 24–32 in rule_cases.json, exactly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from roadmap.deadlines import Context, interpret, meaning_to_json

RULE_CASES = json.loads((Path(__file__).parents[1] / "data" / "rule_cases.json").read_text("utf-8"))


def context_of(case: dict[str, object]) -> Context:
    start, end = str(case["period"]).split("..")
    return Context(date.fromisoformat(start), date.fromisoformat(end), bool(case["school_years"]))


@pytest.mark.parametrize(
    "case", RULE_CASES, ids=[f"rule{c['rule']}:{c['text']}" for c in RULE_CASES]
)
def test_rule_case(case: dict) -> None:
    meaning = meaning_to_json(interpret(case["text"], context_of(case)))
    assert meaning["occurrences"] == case["expect"]["occurrences"]
    assert meaning["on_demand"] == case["expect"]["on_demand"]
    assert meaning["parsed"] is True


def test_all_31_rule_cases_are_there() -> None:
    assert len(RULE_CASES) == 31
    assert {c["rule"] for c in RULE_CASES} == set(range(24, 33))
