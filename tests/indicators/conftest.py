"""Fixtures for the indicator tests: a small region with two municipal child
plans (three and two schools), loaded with ``roadmap load`` into a fresh
database of every backend (a SQLite file, and PostgreSQL where
``ROADMAP_TEST_PG_URL`` is set: the storage contract pattern of
``tests/backends.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.backends import backend, db_url
from tests.fixtures import Run

__all__ = ["backend", "db_url"]  # fixtures, re-exported for pytest

REGION = "test-region"
CITY = "test-city"
TOWN = "test-town"

_TASK = """\
sections:
  - id: "1"
    title: Мониторинг
    tasks:
      - id: "1.1"
        activity: Мониторинг достижения показателей
        deadline: Ежегодно (май)
        responsible: {{text: {who}, parties: [{party}]}}
"""

REGION_PLAN = """\
kind: plan
id: test-region
title: Региональная дорожная карта (пример)
authority: Министерство (пример)
period: {start: 2022-01-01, end: 2024-12-31}
timezone: Asia/Irkutsk
parties:
  - id: ministry
    name: Министерство
  - id: oo
    name: Образовательные организации области
""" + _TASK.format(who="Министерство", party="ministry") + """\
indicators:
  - id: mentees
    name: Количество наставляемых в реестре
    kind: count
    activity: "1.1"
    unit: чел.
    targets: {2023: 100, 2024: 200}
  - id: seminars
    name: Проведено семинаров
    kind: count
    who_reports: ministry
    targets: {2023: 2}
"""

MUNICIPAL_PLAN = """\
kind: plan
id: {id}
title: Муниципальная дорожная карта {id} (пример)
authority: Управление образования (пример)
period: {{start: 2022-01-01, end: 2024-12-31}}
timezone: Asia/Irkutsk
parent: test-region
parties:
  - id: uo
    name: Управление образования
    contacts: [{{name: Управление образования (пример), email: uo@{id}.example.org}}]
  - id: oo
    name: Образовательные организации
    register: {id}
{tasks}indicators:
  - id: teachers-share
    name: Доля педагогов, вошедших в программы наставничества
    kind: share
    unit: "%"
    activity: "1.1"
    targets: {{2022: 50, 2023: 70, 2024: 90}}
  - id: events
    name: Проведено мероприятий для наставников
    kind: count
    targets: {{2023: 6}}
  - id: satisfaction
    name: Уровень удовлетворённости наставляемых
    kind: level
    unit: "%"
    targets: {{2023: 75}}
  - id: regulation
    name: В ОО разработано положение о наставничестве
    kind: yes_no
    unit: "% ОО"
    targets: {{2023: 85}}
  - id: uo-share
    name: Доля ОО, участвующих в муниципальных мероприятиях
    kind: share
    who_reports: uo
    targets: {{2023: 50}}
"""

REGISTER = """\
kind: register
id: {id}
title: Школы {id} (пример)
example: true
organisations:
{orgs}"""

CITY_SCHOOLS = ("school-1", "school-2", "school-3")
TOWN_SCHOOLS = ("town-1", "town-2")


def _municipal(ident: str) -> str:
    tasks = _TASK.format(who="Управление образования", party="uo")
    return MUNICIPAL_PLAN.format(id=ident, tasks=tasks)


def _register(ident: str, schools: tuple[str, ...]) -> str:
    orgs = "".join(f"  - id: {s}\n    name: Школа {s} (пример)\n" for s in schools)
    return REGISTER.format(id=ident, orgs=orgs)


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {
        f"{REGION}.yaml": REGION_PLAN,
        f"{CITY}.yaml": _municipal(CITY),
        f"{TOWN}.yaml": _municipal(TOWN),
        f"orgs/{CITY}.yaml": _register(CITY, CITY_SCHOOLS),
        f"orgs/{TOWN}.yaml": _register(TOWN, TOWN_SCHOOLS),
    }


@pytest.fixture
def env_extra(db_url: str) -> dict[str, str | None]:
    return {"ROADMAP_DB_URL": db_url, "ROADMAP_USER": "curator", "COLUMNS": "200"}


def rows(run: Run, *args: str) -> list[dict[str, Any]]:
    """``roadmap indicators *args --format json``, which must succeed."""
    result = run("indicators", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def row(run: Run, plan: str, indicator: str, year: int, *, part: str | None = None,
        org: str | None = None) -> dict[str, Any]:
    """The one listing row of ``indicator`` in ``year`` (the main row of
    ``plan``, or the part of child plan ``part``)."""
    extra = ("--org", org) if org else ()
    found = [
        r for r in rows(run, plan, "--year", str(year), *extra)
        if r["indicator"] == indicator and r["plan"] == (part or plan)
    ]
    assert len(found) == 1, found
    return found[0]


def set_value(run: Run, *args: str) -> None:
    """``roadmap indicator set *args``, which must succeed."""
    result = run("indicator", "set", *args)
    assert result.exit_code == 0, result.stderr or result.stdout
