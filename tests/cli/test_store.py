"""End to end: ``roadmap load``, ``roadmap plans``, ``roadmap show`` on a real
SQLite file in an isolated data directory (``run``, ``plans_dir``, ``env``:
``tests/fixtures.py``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from roadmap.storage.db import open_engine, session_factory, write_session
from roadmap.storage.repository import completions_for, occurrences_of, record_completion
from tests.fixtures import Env, Run, cli, sqlite_url

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 3, 1, 2, 30, tzinfo=UTC)

PLAN = """\
kind: plan
id: test-city-2023-2026
title: План мероприятий (тест)
authority: Департамент образования (пример)
period: {start: 2023-01-01, end: 2026-12-31}
timezone: Asia/Irkutsk
parties:
  - id: imcro
    name: МКУ ИМЦРО
    aliases: [МКУ ИМЦРО]
  - id: oo
    name: Образовательные организации
    aliases: [ОО]
    register: test-city
sections:
  - id: "1"
    number: "1."
    title: Организационно-управленческое направление
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: Назначение кураторов в ОО
        deadline: Ежегодно январь
        responsible: {text: "МКУ ИМЦРО, ОО", parties: [imcro, oo]}
        result: Приказ о назначении куратора
      - id: "1.2"
        number: "1.2"
        activity: Разработка положения
        deadline: в срок до 1 марта 2023 года
        responsible: {text: МКУ ИМЦРО, parties: [imcro]}
        result: Положение
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
        activity: Отчёт о наставничестве
        deadline: Январь-февраль 2023 года
        responsible: {text: ОО, parties: [oo]}
indicators:
  - id: share-mentored
    name: Доля обучающихся, вовлечённых в наставничество
    kind: share
    unit: "%"
    targets: {2023: 10, 2024: 15}
"""

REGISTER = """\
kind: register
id: test-city
title: Школы (пример)
example: true
organisations:
  - id: school-1
    name: МБОУ СОШ № 1 (пример)
  - id: school-2
    name: МБОУ СОШ № 2 (пример)
"""

# 1.1: 4 years × (imcro + 2 schools); 1.2: 1; 1.3: 2 schools; 1.4: 1; 1.5: 2 schools.
TOTAL = 12 + 1 + 2 + 1 + 2


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {"test-city-2023-2026.yaml": PLAN, "orgs/test-city.yaml": REGISTER}


def test_load_then_show_round_trip(run: Run, plans_dir: Path, tmp_path: Path) -> None:
    result = run("load", str(plans_dir))
    assert result.exit_code == 0, result.stderr
    assert "Реестр test-city: новый, организаций 2" in result.stdout
    assert f"План test-city-2023-2026: новый, сроков {TOTAL}" in result.stdout
    assert (tmp_path / "data" / "roadmap.db").is_file()

    shown = run("show", "test-city-2023-2026", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["id"] == "test-city-2023-2026" and data["timezone"] == "Asia/Irkutsk"
    tasks = {t["id"]: t for t in data["tasks"]}
    assert list(tasks) == ["1.1", "1.2", "1.3", "1.4", "1.5"]
    first = tasks["1.1"]
    assert first["deadline"] == "Ежегодно январь"
    assert first["responsible"] == "МКУ ИМЦРО, ОО" and first["parties"] == ["imcro", "oo"]
    assert first["result"] == "Приказ о назначении куратора"
    # Distinct windows of the task, not multiplied by schools.
    assert first["occurrences"] == [
        {"start": f"{y}-01-01", "due": f"{y}-01-31"} for y in (2023, 2024, 2025, 2026)
    ]
    assert tasks["1.2"]["occurrences"] == [{"start": None, "due": "2023-03-01"}]
    assert tasks["1.3"]["on_demand"] and tasks["1.3"]["occurrences"] == []
    assert tasks["1.4"]["undated"] and tasks["1.4"]["deadline"] is None
    assert not tasks["1.1"]["on_demand"] and not tasks["1.1"]["undated"]
    assert data["indicators"] == [
        {
            "id": "share-mentored",
            "name": "Доля обучающихся, вовлечённых в наставничество",
            "unit": "%",
            "kind": "share",
            "who_reports": "organisations",
            "activity": None,
            "targets": {"2023": 10, "2024": 15},
        }
    ]

    table = run("show", "test-city-2023-2026")
    assert table.exit_code == 0
    assert "Назначение кураторов в ОО" in table.stdout
    assert "Срок: Ежегодно январь → 01.01.2023–31.01.2023" in table.stdout
    assert "срок не указан" in table.stdout


def test_loading_twice_changes_nothing(run: Run, plans_dir: Path) -> None:
    assert run("load", str(plans_dir)).exit_code == 0
    again = run("load", str(plans_dir))
    assert again.exit_code == 0
    assert again.stdout.splitlines() == [
        "Реестр test-city: без изменений",
        "План test-city-2023-2026: без изменений",
    ]


def test_reload_of_an_edited_plan_keeps_completions(
    run: Run, plans_dir: Path, tmp_path: Path
) -> None:
    assert run("load", str(plans_dir)).exit_code == 0
    engine = open_engine(sqlite_url(tmp_path / "data"))
    sessions = session_factory(engine)
    kept = "test-city-2023-2026/1.1/oo/school-2/2024-01-31"
    gone = "test-city-2023-2026/1.2/imcro//2023-03-01"
    with write_session(sessions) as session:
        ids = {o.key: o.id for o in occurrences_of(session, "test-city-2023-2026")}
        record_completion(session, ids[kept], by="ivanova", at=NOW, note="приказ № 5")
        record_completion(session, ids[gone], by="petrov", at=NOW)

    path = plans_dir / "test-city-2023-2026.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("в срок до 1 марта 2023 года", "в срок до 1 апреля 2023 года")
    text = text.replace("Назначение кураторов в ОО", "Назначение кураторов наставничества в ОО")
    path.write_text(text, encoding="utf-8")

    result = run("load", str(plans_dir))
    assert result.exit_code == 0, result.stderr
    assert (
        "План test-city-2023-2026: задачи изменены: 1.1, 1.2; "
        "сроки: добавлено 1, изменено 12, снято 1" in result.stdout
    )
    with sessions() as session:
        now = {o.key: o for o in occurrences_of(session, "test-city-2023-2026", withdrawn=True)}
        assert now[kept].id == ids[kept] and not now[kept].withdrawn
        assert now[kept].sequence == 1  # the activity text changed
        assert [c.note for c in completions_for(session, ids[kept])] == ["приказ № 5"]
        assert now[gone].withdrawn  # history kept
        assert [c.by for c in completions_for(session, ids[gone])] == ["petrov"]
        assert "test-city-2023-2026/1.2/imcro//2023-04-01" in now
    engine.dispose()

    shown = json.loads(run("show", "test-city-2023-2026", "--format", "json").stdout)
    task = next(t for t in shown["tasks"] if t["id"] == "1.2")
    assert task["occurrences"] == [{"start": None, "due": "2023-04-01"}]


def test_plans_lists_what_is_loaded(run: Run, plans_dir: Path) -> None:
    empty = run("plans")
    assert empty.exit_code == 0 and "Планы не загружены" in empty.stdout
    run("load", str(plans_dir))
    listed = json.loads(run("plans", "--format", "json").stdout)
    assert listed == [
        {
            "id": "test-city-2023-2026",
            "title": "План мероприятий (тест)",
            "period": {"start": "2023-01-01", "end": "2026-12-31"},
            "timezone": "Asia/Irkutsk",
            "tasks": 5,
            "occurrences": TOTAL,
        }
    ]
    table = run("plans")
    assert table.stdout.splitlines()[0].split() == ["План", "Название", "Период", "Задачи", "Сроки"]
    assert "test-city-2023-2026" in table.stdout and str(TOTAL) in table.stdout


def test_unknown_plan_is_an_error_with_a_suggestion(run: Run, plans_dir: Path) -> None:
    run("load", str(plans_dir))
    result = run("show", "test-city-2023-2025")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Нет плана «test-city-2023-2025» (может быть, «test-city-2023-2026»?)" in result.stderr


def test_invalid_plan_loads_nothing(run: Run, plans_dir: Path) -> None:
    path = plans_dir / "test-city-2023-2026.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("parties: [imcro]}", "parties: [nobody]}", 1)
    )
    result = run("load", str(plans_dir))
    assert result.exit_code == 1
    assert "nobody" in result.stderr
    assert "Планы не загружены" in run("plans").stdout


def test_english_messages_flag(env: Env, plans_dir: Path) -> None:
    run_en = cli(env, lang="en")
    result = run_en("load", str(plans_dir))
    assert result.exit_code == 0, result.stderr
    shown = run_en("show", "test-city-2023-2026", "--format", "json")
    assert json.loads(shown.stdout)["id"] == "test-city-2023-2026"


def test_the_real_plans_load(run: Run) -> None:
    plans = REPO / "plans"
    assert len(list(plans.glob("*.yaml"))) >= 5  # the road maps shipped in plans/
    result = run("load", str(plans))
    assert result.exit_code == 0, result.stderr
    listed = json.loads(run("plans", "--format", "json").stdout)
    assert {p["id"] for p in listed} >= {p.stem for p in plans.glob("*.yaml")}
    assert all(p["occurrences"] > 0 for p in listed)
    again = run("load", str(plans))
    assert all(line.endswith("без изменений") for line in again.stdout.splitlines())
