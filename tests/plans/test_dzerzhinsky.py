"""plans/dzerzhinsky-2022-2023.yaml against its source, seed 001 (Дзержинский район).

The road map (Приложение 2) has 26 numbered rows in 5 sections, numbers kept
as printed (no 2.6). The order № 351's ten directives (2.1–2.2, 3.1–3.8) are
an extra section ``order``.
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

PLAN_ID = "dzerzhinsky-2022-2023"
SEED = "001_13846a7166bdb408.txt"
PLAN_TABLE = "Приложение 2\nк приказу Управления"
SECTION_COUNTS = {"1": 7, "2": 6, "3": 5, "4": 3, "5": 5}
# Responsible wordings that name every organisation of the city.
ALL_SCHOOLS = re.compile(r"\b(ОО|[Оо]бразовательные организации|[Рр]уководител\w* образовательных)")
ORDER_TASKS = ["order-2.1", "order-2.2"] + [f"order-3.{n}" for n in range(1, 9)]


@pytest.fixture(scope="module")
def plan():
    return load_yaml(PLANS / f"{PLAN_ID}.yaml")


@pytest.fixture(scope="module")
def source():
    return source_text(SEED)


def test_header(plan):
    assert plan["kind"] == "plan"
    assert plan["id"] == PLAN_ID
    assert plan["period"]["start"] == dt.date(2022, 9, 1)
    assert plan["period"]["end"] == dt.date(2023, 8, 31)
    assert plan["timezone"] == "Asia/Krasnoyarsk"
    assert plan["school_years"] is True
    assert dict(plan["document"]) == {
        "kind": "приказ",
        "number": "351",
        "date": dt.date(2022, 9, 23),
    }
    assert plan["escalation"]["email"].endswith("example.org")


def test_activity_counts(plan):
    counts = {s["id"]: len(s["tasks"]) for s in plan["sections"] if s["id"] != "order"}
    assert counts == SECTION_COUNTS
    assert sum(counts.values()) == 26
    order = next(s for s in plan["sections"] if s["id"] == "order")
    assert [t["id"] for t in order["tasks"]] == ORDER_TASKS


def test_numbering_gap_kept(plan):
    ids = {t["id"]: t for _, t in tasks(plan)}
    assert "2.6" not in ids
    assert "2.6" in ids["2.7"]["note"]
    assert [i["id"] for i in plan["indicators"]] == ["1", "2", "3", "4", "6"]


def test_rows_are_the_rows_of_the_source(plan):
    rows = source_rows(raw_source(SEED), PLAN_TABLE)
    assert len(rows) == 26
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
        assert case["period"] == "2022-09-01..2023-08-31"
        assert case["school_years"] is True


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
    # 5.3–5.5 print 2022 for the closing monitoring of the 2022–2023 school year
    assert set(overrides) == {"5.3", "5.4", "5.5"}
    for schedule in overrides.values():
        assert schedule["why"]
        assert sum(key in schedule for key in ("phrase", "windows", "on_demand")) == 1
        assert "2023" in schedule["phrase"]


def test_indicators(plan, source):
    assert len(plan["indicators"]) == 5
    for indicator in plan["indicators"]:
        assert in_source(indicator["name"], source), indicator["id"]
        assert indicator["unit"] == "%"
        targets = indicator["targets"]
        assert list(targets) == [2022, 2023, 2024]
        values = f" {CELL} ".join(str(targets[year]) for year in (2022, 2023, 2024))
        row = f"{indicator['id']} {CELL} {indicator['name']}"
        # row 4 prints no «%» after its name
        assert f"{row}, % {CELL} {values}" in source or f"{row}, {CELL} {values}" in source, (
            indicator["id"]
        )
