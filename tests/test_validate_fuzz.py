"""The validator turns any input into problems, never into a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from roadmap.plans import check_paths
from roadmap.schema import Problem
from tests.test_validate import GOOD_PLAN

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20), st.dates()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
KEYS = ["kind", "id", "title", "period", "timezone", "parties", "sections", "deadline", "responsible", "register"]


def assert_positioned(problems: list[Problem], path: Path, text: str) -> None:
    """Every problem names the file and a line and column inside its text."""
    lines = text.split("\n")
    for problem in problems:
        assert problem.position.file == str(path), problem
        assert 1 <= problem.position.line <= len(lines) + 1, problem
        assert problem.position.column >= 1, problem
        assert problem.message.strip(), problem


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=8), st.booleans())
def test_random_documents_give_problems_not_exceptions(tmp_path: Path, doc: dict, as_plan: bool) -> None:
    if as_plan:
        doc["kind"] = "plan"
    path = tmp_path / "fuzz.yaml"
    with path.open("w", encoding="utf-8") as out:
        YAML().dump(doc, out)
    _catalog, problems = check_paths([path])
    # Keys and values at random never make a whole plan or register (a
    # register's «organisations» is not among the keys): always broken.
    errors = [p for p in problems if p.severity == "error"]
    assert errors, doc
    assert_positioned(problems, path, path.read_text(encoding="utf-8"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(GOOD_PLAN) - 1), st.text(max_size=8))
@example(at=135, junk="0")  # a month 00 in a date: ruamel's ValueError
def test_damaged_plan_text_gives_problems_not_exceptions(tmp_path: Path, at: int, junk: str) -> None:
    path = tmp_path / "town-2023.yaml"
    text = GOOD_PLAN[:at] + junk + GOOD_PLAN[at + len(junk):]
    path.write_text(text, encoding="utf-8")
    _catalog, problems = check_paths([path])
    assert_positioned(problems, path, text)
    errors = [p for p in problems if p.severity == "error"]
    try:
        YAML().load(text)
    except (YAMLError, ValueError):
        # Not YAML any more (ruamel raises ValueError for a timestamp such
        # as 2024-00-15): said so, at a position.
        assert errors, text
