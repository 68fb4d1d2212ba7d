"""Fixtures for the report tests: three small plans (a region and two
cities that name it as ``parent``) and a register of three schools, loaded
with ``roadmap load`` into a real SQLite file in ``tmp_path``; completions
are recorded through the repository (mechanics: ``tests/fixtures.py``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.fixtures import Run, record_done

TODAY = date(2025, 3, 1)
NOW = datetime(2025, 2, 28, 3, 0, tzinfo=UTC)

REGION = """\
kind: plan
id: test-region-2023-2026
title: Региональный план (тест)
authority: Министерство образования (пример)
period: {start: 2023-01-01, end: 2026-12-31}
timezone: Asia/Irkutsk
parties:
  - id: ministry
    name: Министерство образования
    aliases: [Министерство]
sections:
  - id: "r"
    title: Региональные мероприятия
    tasks:
      - id: r.1
        number: "1"
        activity: Утверждение региональной программы
        deadline: в срок до 1 марта 2024 года
        responsible: {text: Министерство, parties: [ministry]}
      - id: r.2
        number: "2"
        activity: Мониторинг реализации программы
        deadline: null
        responsible: {text: Министерство, parties: [ministry]}
"""

CITY_A = """\
kind: plan
id: test-city-a-2023-2026
title: Городской план А (тест)
authority: Департамент образования (пример)
period: {start: 2023-01-01, end: 2026-12-31}
timezone: Asia/Irkutsk
parent: test-region-2023-2026
parties:
  - id: imcro
    name: МКУ ИМЦРО
    aliases: [МКУ ИМЦРО]
  - id: oo
    name: Образовательные организации
    aliases: [ОО]
    register: test-orgs
sections:
  - id: "1"
    number: "1."
    title: Организационное направление
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: 'Назначение кураторов в ОО <приказ> & "учёт"'
        deadline: Ежегодно январь
        responsible: {text: "МКУ ИМЦРО, ОО", parties: [imcro, oo]}
      - id: "1.2"
        number: "1.2"
        activity: Разработка положения о наставничестве
        deadline: в срок до 1 марта 2023 года
        responsible: {text: ОО, parties: [oo]}
      - id: "1.3"
        number: "1.3"
        activity: Участие в проекте
        deadline: По плану проекта
        responsible: {text: ОО, parties: [oo]}
      - id: "1.4"
        number: "1.4"
        activity: Мониторинг
        deadline: null
        responsible: {text: МКУ ИМЦРО, parties: [imcro]}
      - id: "1.5"
        number: "1.5"
        activity: Отчёт за полугодие
        deadline: в срок до 10 марта 2025 года
        responsible: {text: ОО, parties: [oo]}
      - id: "1.6"
        number: "1.6"
        activity: Ежегодная конференция наставников
        deadline: Ежегодно ноябрь
        responsible: {text: ОО, parties: [oo]}
      - id: "1.7"
        number: "1.7"
        activity: Публикация итогов года
        deadline: в срок до 1 декабря 2025 года
        responsible: {text: ОО, parties: [oo]}
"""

CITY_B = """\
kind: plan
id: test-city-b-2023-2026
title: Городской план Б (тест)
authority: Управление образования (пример)
period: {start: 2023-01-01, end: 2026-12-31}
timezone: Asia/Irkutsk
parent: test-region-2023-2026
parties:
  - id: dept
    name: Управление образования
    aliases: [Управление]
sections:
  - id: "b"
    title: Мероприятия
    tasks:
      - id: b.1
        number: "1"
        activity: Муниципальный приказ
        deadline: в срок до 1 марта 2024 года
        responsible: {text: Управление, parties: [dept]}
      - id: b.2
        number: "2"
        activity: Муниципальный отчёт
        deadline: в срок до 1 февраля 2025 года
        responsible: {text: Управление, parties: [dept]}
"""

REGISTER = """\
kind: register
id: test-orgs
title: Школы (пример)
example: true
organisations:
  - id: school-1
    name: 'МБОУ СОШ № 1 «Ромашка» & <Ко>'
  - id: school-2
    name: МБОУ СОШ № 2 (пример)
  - id: school-3
    name: МАОУ Лицей № 3 (пример)
"""

REGION_ID = "test-region-2023-2026"
CITY_A_ID = "test-city-a-2023-2026"
CITY_B_ID = "test-city-b-2023-2026"
SCHOOL_1 = "МБОУ СОШ № 1 «Ромашка» & <Ко>"

# (plan, task, party, org, due) of every occurrence marked done.
DONE = [
    *((CITY_A_ID, "1.1", "oo", "school-1", date(y, 1, 31)) for y in (2023, 2024, 2025)),
    *((CITY_A_ID, "1.1", "oo", "school-2", date(y, 1, 31)) for y in (2023, 2024)),
    *((CITY_A_ID, "1.1", "imcro", None, date(y, 1, 31)) for y in (2023, 2024, 2025)),
    (CITY_A_ID, "1.2", "oo", "school-1", date(2023, 3, 1)),
    (CITY_A_ID, "1.2", "oo", "school-2", date(2023, 3, 1)),
    (CITY_A_ID, "1.5", "oo", "school-3", date(2025, 3, 10)),
    (CITY_B_ID, "b.1", "dept", None, date(2024, 3, 1)),
]


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {
        f"{REGION_ID}.yaml": REGION,
        f"{CITY_A_ID}.yaml": CITY_A,
        f"{CITY_B_ID}.yaml": CITY_B,
        "orgs/test-orgs.yaml": REGISTER,
    }


@pytest.fixture
def env_extra() -> dict[str, str | None]:
    return {"COLUMNS": "120"}


@pytest.fixture
def loaded(loaded: Path, run: Run, sessions: sessionmaker[Session]) -> Run:
    """The three plans and the register loaded, the ``DONE`` list recorded;
    returns ``run``."""
    for plan, task, party, org, due in DONE:
        record_done(sessions, plan, task=task, party=party, org=org, due=due, by="ivanova", at=NOW)
    return run


def counts(**nonzero: int) -> dict[str, Any]:
    """A full counts object: every status, zero unless given."""
    full = dict.fromkeys(("done", "overdue", "due_soon", "upcoming", "on_demand", "undated"), 0)
    full.update(nonzero)
    return full
