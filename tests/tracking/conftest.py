"""Fixtures for tracking tests: two small plans (Irkutsk and Moscow time)
and a register of three schools, loaded with ``roadmap load`` into a real
SQLite file in ``tmp_path`` (mechanics: ``tests/fixtures.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap.app import App
from tests.fixtures import MakeApp, process_env, write_plan_tree
from tests.fixtures import Run as Run  # re-exported for the tests

IRK = "test-irk"
MSK = "test-msk"

PLAN = """\
kind: plan
id: {id}
title: План мероприятий ({id})
authority: Департамент образования (пример)
period: {{start: 2023-01-01, end: 2025-12-31}}
timezone: {zone}
parties:
  - id: imcro
    name: МКУ ИМЦРО
    aliases: [МКУ ИМЦРО]
  - id: oo
    name: Образовательные организации
    aliases: [ОО]
    register: test-schools
sections:
  - id: "1"
    number: "1."
    title: Организационно-управленческое направление
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: Назначение кураторов внедрения целевой модели наставничества в образовательных организациях
        deadline: Ежегодно январь
        responsible: {{text: "МКУ ИМЦРО, ОО", parties: [imcro, oo]}}
        result: Приказ о назначении куратора
      - id: "1.2"
        number: "1.2"
        activity: Разработка положения
        deadline: в срок до 1 марта 2024 года
        responsible: {{text: МКУ ИМЦРО, parties: [imcro]}}
        result: Положение
      - id: "1.3"
        number: "1.3"
        activity: Мониторинг
        deadline: null
        responsible: {{text: МКУ ИМЦРО, parties: [imcro]}}
      - id: "1.4"
        number: "1.4"
        activity: Участие в проекте
        deadline: По плану проекта
        responsible: {{text: МКУ ИМЦРО, parties: [imcro]}}
      - id: "1.5"
        number: "1.5"
        activity: Отчёт о реализации
        deadline: Ежегодно до 1 марта
        responsible: {{text: МКУ ИМЦРО, parties: [imcro]}}
      - id: "1.6"
        number: "1.6"
        activity: Итоговый отчёт за год
        deadline: до 31 декабря 2023 г.
        responsible: {{text: МКУ ИМЦРО, parties: [imcro]}}
"""

REGISTER = """\
kind: register
id: test-schools
title: Школы (пример)
example: true
organisations:
  - id: school-1
    name: МБОУ СОШ № 1 (пример)
  - id: school-2
    name: МБОУ СОШ № 2 (пример)
  - id: school-3
    name: МБОУ СОШ № 3 (пример)
"""

SCHOOLS = ("school-1", "school-2", "school-3")


def plan_texts(*, irk_plan: str | None = None) -> dict[str, str]:
    """Both plans (the Irkutsk one replaceable) and the register."""
    return {
        f"{IRK}.yaml": irk_plan or PLAN.format(id=IRK, zone="Asia/Irkutsk"),
        f"{MSK}.yaml": PLAN.format(id=MSK, zone="Europe/Moscow"),
        "orgs/test-schools.yaml": REGISTER,
    }


def write_plans(folder: Path, *, irk_plan: str | None = None) -> Path:
    return write_plan_tree(folder, plan_texts(irk_plan=irk_plan))


@pytest.fixture
def plan_files() -> dict[str, str]:
    return plan_texts()


@pytest.fixture
def env_extra() -> dict[str, str | None]:
    return {"ROADMAP_USER": "curator", "COLUMNS": "200"}


@pytest.fixture
def app(loaded: Path, make_app: MakeApp) -> App:
    """An App on the test database, for calling the core directly."""
    return make_app()


child_env = process_env  # the environment for a ``python -m roadmap`` subprocess
