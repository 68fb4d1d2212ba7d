"""plans/schools/irkutsk-school-1-2023.yaml: an example school road map under
the Irkutsk city plan (order № 214-08-105/23, item 3: each school writes its
own road map and appoints a curator).

The structural checks every plan shares (ids, contacts, registers) are in
``test_plan_sources.py``."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from _seedtext import PLANS, each_task, load_yaml, responsibilities

PATH = PLANS / "schools" / "irkutsk-school-1-2023.yaml"

# One phrase per shape of the deadline language the school plan should show.
SHAPES = {
    "a day": re.compile(r"^до \d"),
    "a month": re.compile(r"^\w+ 20\d\d г\.$"),
    "a range of months": re.compile(r"^\w+ - \w+ 20\d\d г\.$"),
    "a list of months": re.compile(r"^\w+( 20\d\d г\.)?, \w+, \w+( 20\d\d г\.)?$"),
    "ежегодно": re.compile(r"^Ежегодно"),
    "quarters or terms": re.compile(r"квартал|четверть"),
    "halves": re.compile(r"полугоди|2 раза в год"),
    "school year": re.compile(r"^В течение учебного года$"),
    "on demand": re.compile(r"^по мере необходимости$"),
}


@pytest.fixture(scope="module")
def plan():
    return load_yaml(PATH)


def test_header(plan):
    assert plan["kind"] == "plan"
    assert plan["id"] == PATH.stem
    assert "(пример)" in plan["title"]
    assert plan["parent"] == "irkutsk-city-2023-2026"
    parent = load_yaml(PLANS / f"{plan['parent']}.yaml")
    assert parent["id"] == plan["parent"]
    assert plan["school_years"] is True
    assert plan["period"]["start"] == dt.date(2023, 9, 1)
    assert plan["period"]["end"] == dt.date(2024, 8, 31)
    assert plan["timezone"] == parent["timezone"] == "Asia/Irkutsk"


def test_size(plan):
    assert 10 <= len(list(each_task(plan))) <= 15


def test_deadline_shapes(plan):
    deadlines = [t["deadline"] for _, t in each_task(plan)]
    assert all(isinstance(d, str) and d for d in deadlines)
    missing = [
        name for name, shape in SHAPES.items() if not any(shape.search(d) for d in deadlines)
    ]
    assert not missing


def test_responsible_parties(plan):
    parties = {p["id"]: p for p in plan["parties"]}
    for task, resp in responsibilities(plan):
        named = set()
        for part in resp["text"].split(", "):
            owners = [pid for pid, p in parties.items() if part in p.get("aliases", [])]
            assert len(owners) == 1, (task["id"], part)
            named.add(owners[0])
        assert named == set(resp["parties"]), task["id"]
    for party in plan["parties"]:
        assert party["contacts"] and party["escalation"], party["id"]
        assert not party.get("register")


def test_the_school_is_in_the_city_register(plan):
    register = load_yaml(PLANS / "orgs" / "irkutsk-city.yaml")
    assert register["example"] is True
    school = next(o for o in register["organisations"] if o["id"] == "school-1")
    assert school["name"] in plan["title"]
    curator = next(p for p in plan["parties"] if p["id"] == "curator")
    assert curator["contacts"][0]["email"] == school["curator"]["email"]
