"""plans/irkutsk-city-2023-2026.yaml against its source, seed 000 (г. Иркутск).

The source's plan (Приложение № 1 to the municipal model) has 28 numbered
rows: 1.1–1.16, 2.1–2.7, 3.1–3.3, 4.1–4.2. The order's item 3 is an extra
section ``order``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

try:
    from ._seedtext_a import (
        CELL,
        PLANS,
        cases_for,
        in_source,
        load_yaml,
        normalise,
        raw_source,
        responsibilities,
        source_rows,
        source_text,
        tasks,
    )
except ImportError:  # tests/plans is not a package
    from _seedtext_a import (  # type: ignore[no-redef]
        CELL,
        PLANS,
        cases_for,
        in_source,
        load_yaml,
        normalise,
        raw_source,
        responsibilities,
        source_rows,
        source_text,
        tasks,
    )

PLAN_ID = "irkutsk-city-2023-2026"
SEED = "000_e3449784d90bef1b.txt"
PLAN_TABLE = "№ п/п\tНаправления деятельности"
SECTION_COUNTS = {"1": 16, "2": 7, "3": 3, "4": 2}
# Responsible wordings that name every organisation of the city.
ALL_SCHOOLS = re.compile(
    r"\b(ОО|[Оо]бразовательные организации|[Рр]уководител\w* (муниципальных )?образовательных"
    r" организаций|[Кк]уратор\w* образовательных организаций)"
)


@pytest.fixture(scope="module")
def plan():
    return load_yaml(PLANS / f"{PLAN_ID}.yaml")


@pytest.fixture(scope="module")
def source():
    return source_text(SEED)


def test_header(plan):
    assert plan["kind"] == "plan"
    assert plan["id"] == PLAN_ID
    assert plan["period"]["start"] == dt.date(2023, 1, 1)
    assert plan["period"]["end"] == dt.date(2026, 12, 31)
    assert plan["timezone"] == "Asia/Irkutsk"
    assert plan["school_years"] is False
    assert plan["parent"] == "irkutsk-oblast-2020-2024"
    assert dict(plan["document"]) == {
        "kind": "приказ",
        "number": "214-08-105/23",
        "date": dt.date(2023, 2, 24),
    }
    assert plan["escalation"]["email"].endswith("example.org")


def test_activity_counts(plan):
    counts = {s["id"]: len(s["tasks"]) for s in plan["sections"] if s["id"] != "order"}
    assert counts == SECTION_COUNTS
    assert sum(counts.values()) == 28
    order = next(s for s in plan["sections"] if s["id"] == "order")
    assert [t["id"] for t in order["tasks"]] == ["order-3.1", "order-3.2"]


def test_rows_are_the_rows_of_the_source(plan):
    rows = source_rows(raw_source(SEED), PLAN_TABLE)
    assert len(rows) == 28, "the source plan has 28 numbered rows (the seed README says 29)"
    numbers = [t["number"] for s, t in tasks(plan) if s["id"] != "order"]
    assert numbers == rows


def test_ids_unique(plan):
    for what, ids in (
        ("task", [t["id"] for _, t in tasks(plan)]),
        ("section", [s["id"] for s in plan["sections"]]),
        ("party", [p["id"] for p in plan["parties"]]),
        ("indicator", [i["id"] for i in plan["indicators"]]),
    ):
        duplicates = [i for i, n in Counter(ids).items() if n > 1]
        assert not duplicates, f"duplicate {what} ids: {duplicates}"
    for _, task in tasks(plan):
        assert isinstance(task["id"], str)
        assert re.fullmatch(r"[A-Za-z0-9._-]+", task["id"])


def test_deadlines_are_cells_of_the_source(plan, source):
    for section, task in tasks(plan):
        if task["deadline"] is None:
            continue
        deadline = normalise(task["deadline"])
        assert deadline in source, (task["id"], task["deadline"])
        if section["id"] != "order":  # a whole «Сроки» cell of the table
            assert f"{CELL} {deadline} {CELL}" in source, (task["id"], task["deadline"])


def test_texts_are_verbatim(plan, source):
    for section in plan["sections"]:
        if section["id"] != "order":
            assert in_source(section["title"], source), section["id"]
    for _, task in tasks(plan):
        assert in_source(task["activity"], source), (task["id"], "activity")
        assert in_source(task["responsible"]["text"], source), (task["id"], "responsible")
        if task.get("result") is not None:
            assert in_source(task["result"], source), (task["id"], "result")
    assert in_source(plan["title"], source)


def test_every_case_phrase_is_in_the_plan(plan):
    by_id = {t["id"]: t for _, t in tasks(plan)}
    cases = cases_for(PLAN_ID)
    assert cases
    for case in cases:
        task_id = case["item"].replace("order ", "order-")
        assert task_id in by_id, case["item"]
        assert by_id[task_id]["deadline"] == case["text"], case["item"]
        assert case["period"] == "2023-01-01..2026-12-31"
        assert case["school_years"] is False


def test_responsible_parties(plan):
    parties = {p["id"]: p for p in plan["parties"]}
    used = set()
    for task, resp in responsibilities(plan):
        assert resp["parties"], task["id"]
        for party_id in resp["parties"]:
            assert party_id in parties, (task["id"], party_id)
            aliases = parties[party_id].get("aliases") or [parties[party_id]["name"]]
            # every party it maps to is named in the text by one of its wordings
            assert any(alias in resp["text"] for alias in aliases), (task["id"], party_id)
            used.add(party_id)
        if ALL_SCHOOLS.search(resp["text"]):
            assert "oo" in resp["parties"], task["id"]
    assert used == set(parties)


def test_aliases_are_wordings_of_the_source(plan, source):
    for party in plan["parties"]:
        for alias in party.get("aliases", []):
            assert normalise(alias) in source, (party["id"], alias)
        for contact in [*party.get("contacts", []), party.get("escalation") or {}]:
            if contact:  # a flow mapping with an unquoted comma grows a stray key
                assert set(contact) == {"name", "email"}, (party["id"], dict(contact))
                assert contact["email"].endswith("example.org")


def test_register_bound_party(plan):
    bound = [p for p in plan["parties"] if p.get("register")]
    assert [p["id"] for p in bound] == ["oo"]
    for party in bound:
        path = PLANS / "orgs" / f"{party['register']}.yaml"
        assert path.is_file(), path
        register = load_yaml(path)
        assert register["kind"] == "register"
        assert register["id"] == party["register"]


def test_schedule_overrides(plan):
    overrides = {t["id"]: t["schedule"] for _, t in tasks(plan) if t.get("schedule")}
    assert set(overrides) == {"1.5"}
    for schedule in overrides.values():
        assert schedule["why"]
        assert sum(key in schedule for key in ("phrase", "windows", "on_demand")) == 1
    assert overrides["1.5"]["phrase"] == "ежегодно январь-февраль"


def test_indicators(plan, source):
    assert len(plan["indicators"]) == 13
    for indicator in plan["indicators"]:
        assert in_source(indicator["name"], source), indicator["id"]
        for year, value in indicator["targets"].items():
            assert year == 2026
            assert isinstance(value, int)
            assert str(value) in source
