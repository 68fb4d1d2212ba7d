"""The validator turns any input into problems, never into a traceback."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from roadmap.plans import check_paths
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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=8), st.booleans())
def test_random_documents_give_problems_not_exceptions(tmp_path: Path, doc: dict, as_plan: bool) -> None:
    if as_plan:
        doc["kind"] = "plan"
    path = tmp_path / "fuzz.yaml"
    with path.open("w", encoding="utf-8") as out:
        YAML().dump(doc, out)
    check_paths([path])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, len(GOOD_PLAN) - 1), st.text(max_size=8))
def test_damaged_plan_text_gives_problems_not_exceptions(tmp_path: Path, at: int, junk: str) -> None:
    path = tmp_path / "town-2023.yaml"
    path.write_text(GOOD_PLAN[:at] + junk + GOOD_PLAN[at + len(junk):], encoding="utf-8")
    check_paths([path])
