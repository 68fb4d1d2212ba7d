"""Glazov road map (seed 002) encoded in plans/glazov-2022-2024.yaml."""

from __future__ import annotations

import re
from collections import Counter

import pytest

PLAN = "glazov-2022-2024"
SEED = "002"
# Wordings that name every school (or its staff) of the municipality.
SCHOOL_WORDS = re.compile(r"\bОО\b|[Дд]иректор|[Кк]уратор|[Нн]аставни|ШМО")


@pytest.fixture(scope="module")
def plan(load_plan):
    return load_plan(PLAN)


@pytest.fixture(scope="module")
def tasks(plan, tasks_of):
    return tasks_of(plan)


def test_header(plan):
    assert plan["kind"] == "plan"
    assert plan["id"] == PLAN
    assert plan["timezone"] == "Europe/Samara"
    assert str(plan["period"]["start"]) == "2022-01-01"
    assert str(plan["period"]["end"]) == "2024-12-31"
    assert plan["document"]["number"] == "70-ОД"
    assert str(plan["document"]["date"]) == "2022-04-22"
    assert "@" in plan["escalation"]["email"]


def test_counts(plan, tasks):
    assert [len(s["tasks"]) for s in plan["sections"]] == [8, 9, 13, 5]
    assert len(tasks) == 35


def test_ids_unique(plan, tasks):
    for ids in (
        [t["id"] for t in tasks],
        [s["id"] for s in plan["sections"]],
        [p["id"] for p in plan["parties"]],
    ):
        assert all(isinstance(i, str) for i in ids)
        assert not [i for i, n in Counter(ids).items() if n > 1]


def test_number_3_2_used_twice(tasks):
    rows = [t for t in tasks if t.get("number") == "3.2"]
    assert [t["id"] for t in rows] == ["3.2", "3.2-bis"]
    assert all(t.get("note") for t in rows)
    assert rows[0]["deadline"] == "Январь-февраль2023 г."
    assert rows[1]["deadline"] == "Октябрь-ноябрь 2024"


def test_texts_verbatim(plan, tasks, seed_text, normalise):
    source = seed_text(SEED)
    assert normalise(plan["title"]) in source
    for section in plan["sections"]:
        assert normalise(section["title"]) in source, section["id"]
    for task in tasks:
        for key in ("activity", "deadline", "result"):
            text = task.get(key)
            assert text == text.strip(), (task["id"], key)
            assert normalise(text) in source, (task["id"], key, text)
        assert normalise(task["responsible"]["text"]) in source, task["id"]


def test_every_task_dated(tasks):
    assert all(task["deadline"] for task in tasks)


def test_cases_phrases_present(tasks, deadline_cases):
    cases = deadline_cases(PLAN)
    assert len(cases) == 29
    deadlines = {t["deadline"] for t in tasks}
    by_id = {t["id"]: t["deadline"] for t in tasks}
    for case in cases:
        assert case["text"] in deadlines, case
        task_id = "3.2-bis" if case["item"] == "3.2 (second)" else case["item"]
        assert by_id[task_id] == case["text"], case


def test_responsible_parties_known(plan, tasks):
    parties = {p["id"]: p for p in plan["parties"]}
    aliases = [a for p in plan["parties"] for a in p.get("aliases", [])]
    for task in tasks:
        for key in ("responsible", "co_responsible"):
            if key in task:
                assert task[key]["parties"], (task["id"], key)
                assert set(task[key]["parties"]) <= set(parties), (task["id"], key)
                # each party it names is named by one of its wordings
                for party_id in task[key]["parties"]:
                    own = parties[party_id].get("aliases", [])
                    assert any(a in task[key]["text"] for a in own), (task["id"], party_id)
    assert len(aliases) == len(set(aliases))


def test_school_duties_fan_out(plan, tasks):
    oo = next(p for p in plan["parties"] if p.get("register") == "glazov")
    for task in tasks:
        text = task["responsible"]["text"]
        if SCHOOL_WORDS.search(text):
            assert oo["id"] in task["responsible"]["parties"], task["id"]


def test_registers_exist(plan, plans_dir, load_yaml):
    for party in plan["parties"]:
        if "register" in party:
            register = load_yaml(plans_dir / "orgs" / f"{party['register']}.yaml")
            assert register["kind"] == "register"
            assert register["id"] == party["register"]
            assert register["example"] is True
            assert 5 <= len(register["organisations"]) <= 6
            for org in register["organisations"]:
                assert "(пример)" in org["name"]
                assert org["curator"]["email"].endswith("example.org")
                assert "example.org" in org["website"]


def test_contacts_are_examples(plan):
    emails = [plan["escalation"]["email"]]
    for party in plan["parties"]:
        emails += [c["email"] for c in party.get("contacts", [])]
        if "escalation" in party:
            emails.append(party["escalation"]["email"])
    assert all(e.endswith("example.org") for e in emails)
