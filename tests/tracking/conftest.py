"""Fixtures for tracking tests: two small plans (Irkutsk and Moscow time)
and a register of three schools, loaded with ``roadmap load`` into a real
SQLite file in ``tmp_path``."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from roadmap.app import App, Clock
from roadmap.cli import main
from roadmap.deadlines.api import Context, interpret
from roadmap.settings import load_settings
from roadmap.storage.db import open_engine, session_factory

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


@pytest.fixture(autouse=True)
def deadline_engine() -> None:
    try:
        interpret("Ежегодно январь", Context(date(2023, 1, 1), date(2026, 12, 31)))
    except NotImplementedError:
        pytest.skip("the deadline engine is not implemented yet")


def write_plans(folder: Path, *, irk_plan: str | None = None) -> Path:
    (folder / "orgs").mkdir(parents=True, exist_ok=True)
    (folder / f"{IRK}.yaml").write_text(
        irk_plan or PLAN.format(id=IRK, zone="Asia/Irkutsk"), encoding="utf-8"
    )
    (folder / f"{MSK}.yaml").write_text(PLAN.format(id=MSK, zone="Europe/Moscow"), encoding="utf-8")
    (folder / "orgs" / "test-schools.yaml").write_text(REGISTER, encoding="utf-8")
    return folder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env(data_dir: Path) -> dict[str, str | None]:
    return {
        "ROADMAP_DATA_DIR": str(data_dir),
        "ROADMAP_DB_URL": None,
        "ROADMAP_CONFIG": None,
        "ROADMAP_USER": "curator",
        "COLUMNS": "200",
    }


Run = Callable[..., Result]


@pytest.fixture
def run(env: dict[str, str | None]) -> Run:
    def invoke(*args: str, **extra_env: str) -> Result:
        return CliRunner().invoke(
            main, ["--lang", "ru", *args], env={**env, **extra_env}, catch_exceptions=False
        )

    return invoke


@pytest.fixture
def loaded(run: Run, tmp_path: Path) -> Path:
    """Both plans and the register loaded; returns the plans folder."""
    folder = write_plans(tmp_path / "plans")
    result = run("load", str(folder))
    assert result.exit_code == 0, result.stderr
    return folder


@pytest.fixture
def app(data_dir: Path, loaded: Path) -> Any:
    """An App on the test database, for calling the core directly."""
    settings = load_settings(None, {"ROADMAP_DATA_DIR": str(data_dir)})
    made = App(settings=settings, clock=Clock())
    yield made
    made.close()


def sessions(data_dir: Path) -> Any:
    engine = open_engine(f"sqlite:///{data_dir / 'roadmap.db'}", data_dir=data_dir)
    return session_factory(engine)


def child_env(env: dict[str, str | None]) -> dict[str, str]:
    """The environment for a ``python -m roadmap`` subprocess."""
    merged = dict(os.environ)
    for key, value in env.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
