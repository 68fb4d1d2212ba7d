"""The checks every plan in ``plans/`` shares, parametrized over the plans.

``SOURCED`` lists the plans encoded from a source document, with what the
source gives (counts, dates, parties); their texts are checked against the
source. The structural checks run over every plan file (the school plan is an
example with no source). What is particular to one plan is in its
``test_<plan>.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _seedtext import (
    CELL,
    PLANS,
    cases_for,
    each_task,
    in_source,
    load_yaml,
    normalise,
    raw_source,
    responsibilities,
    source_rows,
    source_text,
)

ALL = "all"  # every task of the plan


@dataclass(frozen=True)
class Sourced:
    plan: str  # plans/<plan>.yaml
    seed: str  # its source document in ../shared/seeds
    timezone: str
    period: tuple[dt.date, dt.date]
    sections: Mapping[str, int]  # tasks per numbered section of the source, in order
    cases: int  # entries of the plan in deadlines/cases.json
    school_years: bool | None = None  # None: the key is absent
    parent: str | None = None
    document: Mapping[str, Any] | None = None
    order: tuple[str, ...] = ()  # tasks of the extra section «order»: the order's own items
    table: str | None = None  # the line after which the source's numbered rows follow
    split: frozenset[str] = frozenset()  # tasks whose row the extraction broke over two lines
    undated: frozenset[str] | str = frozenset()  # tasks with «deadline: null» (or ALL)
    results: bool = True  # every task of the numbered rows has a result (order items have none)
    overrides: frozenset[str] = frozenset()  # tasks with a «schedule» override
    indicators: int = 0
    registers: Mapping[str, str] = field(default_factory=dict)  # party id -> register
    all_schools: re.Pattern[str] | None = None  # wordings naming every school: «oo» fans out
    case_items: Mapping[str, str] = field(default_factory=dict)  # cases.json item -> task id
    own_aliases: frozenset[str] = frozenset()  # aliases not worded by the source

    @property
    def activities(self) -> int:
        return sum(self.sections.values())


SOURCED = [
    Sourced(
        plan="irkutsk-city-2023-2026",
        seed="000_e3449784d90bef1b.txt",
        timezone="Asia/Irkutsk",
        period=(dt.date(2023, 1, 1), dt.date(2026, 12, 31)),
        school_years=False,
        parent="irkutsk-oblast-2020-2024",
        document={"kind": "приказ", "number": "214-08-105/23", "date": dt.date(2023, 2, 24)},
        # 28 numbered rows (the seed README says 29)
        sections={"1": 16, "2": 7, "3": 3, "4": 2},
        order=("order-3.1", "order-3.2"),
        table="№ п/п\tНаправления деятельности",
        split=frozenset({"1.3", "3.3"}),
        undated=frozenset({"order-3.2"}),
        overrides=frozenset({"1.5"}),
        indicators=13,
        cases=22,
        registers={"oo": "irkutsk-city"},
        all_schools=re.compile(
            r"\b(ОО|[Оо]бразовательные организации|[Рр]уководител\w* (муниципальных )?"
            r"образовательных организаций|[Кк]уратор\w* образовательных организаций)"
        ),
    ),
    Sourced(
        plan="dzerzhinsky-2022-2023",
        seed="001_13846a7166bdb408.txt",
        timezone="Asia/Krasnoyarsk",
        period=(dt.date(2022, 9, 1), dt.date(2023, 8, 31)),
        school_years=True,
        document={"kind": "приказ", "number": "351", "date": dt.date(2022, 9, 23)},
        sections={"1": 7, "2": 6, "3": 5, "4": 3, "5": 5},
        order=("order-2.1", "order-2.2", *(f"order-3.{n}" for n in range(1, 9))),
        table="Приложение 2\nк приказу Управления",
        split=frozenset({"1.3", "2.1", "3.2"}),
        undated=frozenset({"order-2.2", "order-3.5", "order-3.6"}),
        overrides=frozenset({"5.3", "5.4", "5.5"}),
        indicators=5,
        cases=18,
        registers={"oo": "dzerzhinsky"},
        all_schools=re.compile(
            r"\b(ОО|[Оо]бразовательные организации|[Рр]уководител\w* образовательных)"
        ),
    ),
    Sourced(
        plan="glazov-2022-2024",
        seed="002_470faa68609d21e7.txt",
        timezone="Europe/Samara",
        period=(dt.date(2022, 1, 1), dt.date(2024, 12, 31)),
        document={"kind": "приказ", "number": "70-ОД", "date": dt.date(2022, 4, 22)},
        sections={"1": 8, "2": 9, "3": 13, "4": 5},
        cases=29,
        case_items={"3.2 (second)": "3.2-bis"},
        registers={"oo": "glazov"},
        all_schools=re.compile(r"\bОО\b|[Дд]иректор|[Кк]уратор|[Нн]аставни|ШМО"),
    ),
    Sourced(
        plan="irkutsk-oblast-2020-2024",
        seed="003_281dcb6361331b8a.txt",
        timezone="Asia/Irkutsk",
        period=(dt.date(2020, 1, 1), dt.date(2024, 12, 31)),
        sections={"1": 4, "2": 3, "3": 6, "4": 8, "5": 4},
        split=frozenset({"2.1", "4.2"}),
        cases=17,
        indicators=12,  # the figures of the result column
    ),
    Sourced(
        plan="bokhan-2022-2024",
        seed="004_e20e996a81b62201.txt",
        timezone="Asia/Irkutsk",
        period=(dt.date(2022, 1, 1), dt.date(2024, 12, 31)),
        parent="irkutsk-oblast-2020-2024",
        sections={"1": 9, "2": 11, "3": 4},
        undated=ALL,  # the source lost its «Сроки» column
        results=False,  # … and its results column
        indicators=3,
        cases=0,
        registers={"ou": "bokhan"},
        own_aliases=frozenset({"муниципальные образовательные учреждения"}),
    ),
]
PLAN_FILES = sorted(PLANS.glob("*.yaml")) + sorted(PLANS.glob("schools/*.yaml"))
REGISTER_FILES = sorted(PLANS.glob("orgs/*.yaml"))


def _path_id(path: Path) -> str:
    return path.stem


@pytest.fixture(scope="module", params=SOURCED, ids=lambda spec: spec.plan)
def spec(request: pytest.FixtureRequest) -> Sourced:
    return request.param


@pytest.fixture(scope="module")
def plan(spec: Sourced) -> Any:
    return load_yaml(PLANS / f"{spec.plan}.yaml")


@pytest.fixture(scope="module")
def source(spec: Sourced) -> str:
    return source_text(spec.seed)


@pytest.fixture(scope="module", params=PLAN_FILES, ids=_path_id)
def any_plan(request: pytest.FixtureRequest) -> Any:
    return load_yaml(request.param)


def test_every_sourced_plan_is_listed():
    listed = {spec.plan for spec in SOURCED}
    assert {path.stem for path in PLANS.glob("*.yaml")} == listed


def numbered(plan: Any) -> list[Any]:
    """The tasks of the source's numbered rows (not of the order's items)."""
    return [task for section, task in each_task(plan) if section["id"] != "order"]


def split_texts(plan: Any, spec: Sourced) -> set[str]:
    """Texts of the rows the extraction broke over two lines."""
    found = set()
    for task in numbered(plan):
        if task["id"] in spec.split:
            found.update(task.get(key) or "" for key in ("activity", "deadline", "result"))
            found.update(
                resp["text"] for key in ("responsible", "co_responsible") if (resp := task.get(key))
            )
    return found


# -- the header and the shape of the plan ---------------------------------------------


def test_header(plan, spec):
    assert plan["kind"] == "plan"
    assert plan["id"] == spec.plan
    assert plan["timezone"] == spec.timezone
    assert (plan["period"]["start"], plan["period"]["end"]) == spec.period
    assert plan.get("school_years") == spec.school_years
    assert plan.get("parent") == spec.parent
    assert dict(plan.get("document") or {}) == dict(spec.document or {})


def test_parent_plan_exists(any_plan):
    if any_plan.get("parent"):
        parent = load_yaml(PLANS / f"{any_plan['parent']}.yaml")
        assert parent["id"] == any_plan["parent"]


def test_activity_counts(plan, spec):
    counts = {s["id"]: len(s["tasks"]) for s in plan["sections"] if s["id"] != "order"}
    assert list(counts.items()) == list(spec.sections.items())
    assert len(numbered(plan)) == spec.activities
    order = [t["id"] for s, t in each_task(plan) if s["id"] == "order"]
    assert order == list(spec.order)
    if order:  # the order's section comes first
        assert plan["sections"][0]["id"] == "order"


@pytest.mark.parametrize(
    "spec", [s for s in SOURCED if s.table], ids=lambda s: s.plan, indirect=True
)
def test_rows_are_the_rows_of_the_source(plan, spec):
    rows = source_rows(raw_source(spec.seed), spec.table)
    assert len(rows) == spec.activities
    assert [t["number"] for t in numbered(plan)] == rows


def test_ids_unique(any_plan):
    for what, ids in (
        ("task", [t["id"] for _, t in each_task(any_plan)]),
        ("section", [s["id"] for s in any_plan["sections"]]),
        ("party", [p["id"] for p in any_plan["parties"]]),
        ("indicator", [i["id"] for i in any_plan.get("indicators") or []]),
    ):
        assert all(isinstance(i, str) for i in ids), (what, ids)
        duplicates = [i for i, n in Counter(ids).items() if n > 1]
        assert not duplicates, f"duplicate {what} ids: {duplicates}"
    for _, task in each_task(any_plan):
        assert re.fullmatch(r"[A-Za-z0-9._-]+", task["id"]), task["id"]


def test_texts_are_clean(any_plan):
    """No stray whitespace or extraction markup in the texts."""
    texts = [("title", any_plan["title"])]
    texts += [(s["id"], s["title"]) for s in any_plan["sections"]]
    for _, task in each_task(any_plan):
        texts += [(task["id"], task.get(key)) for key in ("activity", "deadline", "result")]
    texts += [(task["id"], resp["text"]) for task, resp in responsibilities(any_plan)]
    for where, text in texts:
        if text is not None:
            assert isinstance(text, str) and text, where
            assert text == text.strip(), (where, text)
            assert "<" not in text and "**" not in text, (where, text)


# -- texts against the source ---------------------------------------------------------


def test_deadlines_are_cells_of_the_source(plan, spec, source):
    for section, task in each_task(plan):
        assert "deadline" in task, task["id"]
        if task["deadline"] is None:
            continue
        deadline = normalise(task["deadline"])
        assert deadline in source, (task["id"], task["deadline"])
        if section["id"] != "order":  # a whole «Сроки» cell of the table
            assert f"{CELL} {deadline} {CELL}" in source, (task["id"], task["deadline"])


def test_undated_tasks(plan, spec):
    undated = {t["id"] for _, t in each_task(plan) if t["deadline"] is None}
    everything = {t["id"] for _, t in each_task(plan)}
    assert undated == (everything if spec.undated == ALL else spec.undated)


def test_results(plan, spec):
    without = {t["id"] for _, t in each_task(plan) if t.get("result") is None}
    expected = {t["id"] for t in numbered(plan)} if not spec.results else set()
    assert without == expected | set(spec.order)


def test_texts_are_verbatim(plan, spec, source):
    assert in_source(plan["title"], source), "title"
    for section in plan["sections"]:
        if section["id"] != "order":
            assert in_source(section["title"], source), section["id"]
    for _, task in each_task(plan):
        pieces = 2 if task["id"] in spec.split else 1
        for key in ("activity", "result"):
            if task.get(key) is not None:
                assert in_source(task[key], source, pieces), (task["id"], key)
        for key in ("responsible", "co_responsible"):
            if task.get(key) is not None:
                assert in_source(task[key]["text"], source, pieces), (task["id"], key)


def test_every_case_phrase_is_in_the_plan(plan, spec):
    by_id = {t["id"]: t for _, t in each_task(plan)}
    cases = cases_for(spec.plan)
    assert len(cases) == spec.cases
    for case in cases:
        task_id = spec.case_items.get(case["item"], case["item"].replace("order ", "order-"))
        assert task_id in by_id, case["item"]
        assert by_id[task_id]["deadline"] == case["text"], case["item"]
        start, end = spec.period
        assert case["period"] == f"{start}..{end}"
        assert case["school_years"] is bool(spec.school_years)


# -- parties --------------------------------------------------------------------------


def test_responsible_parties(plan, spec):
    parties = {p["id"]: p for p in plan["parties"]}
    used = set()
    for task, resp in responsibilities(plan):
        assert resp["parties"], task["id"]
        for party_id in resp["parties"]:
            assert party_id in parties, (task["id"], party_id)
            # every party it maps to is named in the text by one of its wordings
            assert any(alias in resp["text"] for alias in parties[party_id]["aliases"]), (
                task["id"],
                party_id,
            )
            used.add(party_id)
    assert used == set(parties)
    aliases = [alias for party in plan["parties"] for alias in party["aliases"]]
    assert len(aliases) == len(set(aliases))


@pytest.mark.parametrize(
    "spec", [s for s in SOURCED if s.all_schools], ids=lambda s: s.plan, indirect=True
)
def test_school_duties_fan_out(plan, spec):
    """A text naming every school maps to the party bound to the schools' register."""
    (schools,) = spec.registers
    for task, resp in responsibilities(plan):
        if spec.all_schools.search(resp["text"]):
            assert schools in resp["parties"], task["id"]


def test_aliases_are_wordings_of_the_source(plan, spec, source):
    split = split_texts(plan, spec)
    for party in plan["parties"]:
        for alias in party["aliases"]:
            if alias not in spec.own_aliases:  # split only where a broken row's text has it
                pieces = 2 if any(alias in text for text in split) else 1
                assert in_source(alias, source, pieces), (party["id"], alias)
    assert spec.own_aliases <= {a for p in plan["parties"] for a in p["aliases"]}


def test_contacts(any_plan):
    """A flow mapping with an unquoted comma grows a stray key: name and email only."""
    contacts = [("plan", any_plan["escalation"])]
    for party in any_plan["parties"]:
        contacts += [(party["id"], c) for c in party.get("contacts", [])]
        if party.get("escalation") is not None:
            contacts.append((party["id"], party["escalation"]))
    for where, contact in contacts:
        assert set(contact) == {"name", "email"}, (where, dict(contact))
        assert contact["name"], where
        assert contact["email"].endswith("example.org"), (where, contact["email"])


def test_register_bound_parties(plan, spec):
    bound = {p["id"]: p["register"] for p in plan["parties"] if "register" in p}
    assert bound == dict(spec.registers)


def test_register_files_exist(any_plan):
    for party in any_plan["parties"]:
        if "register" in party:
            path = PLANS / "orgs" / f"{party['register']}.yaml"
            assert path.is_file(), path


@pytest.mark.parametrize("path", REGISTER_FILES, ids=_path_id)
def test_registers(path):
    register = load_yaml(path)
    assert register["kind"] == "register"
    assert register["id"] == path.stem
    assert register["example"] is True
    organisations = register["organisations"]
    assert 5 <= len(organisations) <= 6
    assert len({o["id"] for o in organisations}) == len(organisations)
    for org in organisations:
        assert org["name"].endswith("(пример)"), org["id"]
        assert ".example.org" in org["website"], org["id"]
        assert org["curator"]["name"], org["id"]
        assert org["curator"]["email"].endswith("example.org"), org["id"]


# -- schedules and indicators ---------------------------------------------------------


def test_schedule_overrides(plan, spec):
    overrides = {t["id"]: t["schedule"] for _, t in each_task(plan) if "schedule" in t}
    assert set(overrides) == spec.overrides
    for schedule in overrides.values():
        assert schedule["why"]
        assert sum(key in schedule for key in ("phrase", "windows", "on_demand")) == 1


def test_indicators(plan, spec, source):
    indicators = plan.get("indicators") or []
    assert len(indicators) == spec.indicators
    for indicator in indicators:
        assert in_source(indicator["name"], source), indicator["id"]
