"""A corrected deadline carries completions over (``roadmap load``), and
``load --dry-run`` previews a load; end to end on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures import Run

PLAN = """\
kind: plan
id: carry-city-2023-2026
title: План (перенос отметок)
authority: Департамент образования (пример)
period: {start: 2023-01-01, end: 2026-12-31}
timezone: Asia/Irkutsk
parties:
  - id: oo
    name: Образовательные организации
    aliases: [ОО]
    register: carry-city
sections:
  - id: "1"
    title: Направление
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: Утверждение программы наставничества
        deadline: до 1 сентября 2024 г.
        responsible: {text: ОО, parties: [oo]}
      - id: "1.2"
        number: "1.2"
        activity: Отчёт о наставничестве
        deadline: Ежегодно (май)
        responsible: {text: ОО, parties: [oo]}
"""

REGISTER = """\
kind: register
id: carry-city
title: Школы (пример)
example: true
organisations:
  - id: school-1
    name: МБОУ СОШ № 1 (пример)
  - id: school-2
    name: МБОУ СОШ № 2 (пример)
"""

PLAN_ID = "carry-city-2023-2026"


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {f"{PLAN_ID}.yaml": PLAN, "orgs/carry-city.yaml": REGISTER}


def _edit(plans_dir: Path, old: str, new: str) -> None:
    path = plans_dir / f"{PLAN_ID}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _status(run: Run, task: str) -> dict[tuple[str, str], str]:
    result = run("status", "--plan", PLAN_ID, "--format", "json", "--today", "2024-08-20")
    assert result.exit_code == 0, result.stderr
    return {(r["org"], r["due"]): r["status"] for r in json.loads(result.stdout)
            if r["task"] == task}


def test_a_corrected_deadline_keeps_the_school_done(run: Run, plans_dir: Path) -> None:
    assert run("load", str(plans_dir)).exit_code == 0
    done = run("done", PLAN_ID, "1.1", "--org", "school-1", "--url", "https://school-1.example/p",
               "--note", "приказ № 7", "--today", "2024-08-20")
    assert done.exit_code == 0, done.stderr
    _edit(plans_dir, "до 1 сентября 2024 г.", "до 15 сентября 2024 г.")

    preview = run("load", "--dry-run", str(plans_dir))
    assert preview.exit_code == 0, preview.stderr
    assert "Пробный прогон: ничего не записано" in preview.stdout
    assert "сроки: добавлено 2, снято 2" in preview.stdout
    assert ("1.1 (oo/school-1): отметка о выполнении (" in preview.stdout
            and "перенесена со срока 2024-09-01 на 2024-09-15" in preview.stdout)
    # Nothing was written: the old deadline is still the live one.
    assert _status(run, "1.1")[("school-1", "2024-09-01")] == "done"

    result = run("load", str(plans_dir))
    assert result.exit_code == 0, result.stderr
    assert "перенесена со срока 2024-09-01 на 2024-09-15" in result.stdout
    assert _status(run, "1.1") == {("school-1", "2024-09-15"): "done",
                                   ("school-2", "2024-09-15"): "upcoming"}

    shown = run("history", PLAN_ID, "1.1", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    entries = json.loads(shown.stdout)
    assert [(e["due"], e["note"], e["url"]) for e in entries] == [
        ("2024-09-01", "приказ № 7", "https://school-1.example/p"),
        ("2024-09-15", "приказ № 7", "https://school-1.example/p"),
    ]
    assert entries[1]["carried_from"] == entries[0]["id"]
    assert entries[1]["by"] == entries[0]["by"] and entries[1]["at"] == entries[0]["at"]

    # Loading again changes nothing and carries nothing twice.
    again = run("load", str(plans_dir))
    assert "перенесена" not in again.stdout
    assert len(json.loads(run("history", PLAN_ID, "1.1", "--format", "json").stdout)) == 2


def test_an_ambiguous_pairing_is_refused_until_the_user_decides(
    run: Run, plans_dir: Path
) -> None:
    assert run("load", str(plans_dir)).exit_code == 0
    done = run("done", PLAN_ID, "1.2", "--org", "school-2", "--url", "https://s2.example/r",
               "--due", "2024-05-31", "--today", "2024-05-20")
    assert done.exit_code == 0, done.stderr
    # One May window a year becomes two (April and June): which one is it?
    _edit(plans_dir, "Ежегодно (май)", "Ежегодно (апрель, июнь)")

    refused = run("load", str(plans_dir))
    assert refused.exit_code == 1
    assert "Traceback" not in refused.stderr
    assert "ничего не записано" in refused.stderr
    assert "1.2 (oo/school-2): снятый срок 2024-05-31" in refused.stderr
    assert "2024-04-30, 2024-06-30" in refused.stderr
    assert "--carry" in refused.stderr and "--no-carry" in refused.stderr
    # Refused as a whole: the plan still has its May deadlines.
    assert _status(run, "1.2")[("school-2", "2024-05-31")] == "done"

    kept = run("load", "--carry", "--dry-run", str(plans_dir))
    assert "перенесена со срока 2024-05-31 на 2024-06-30" in kept.stdout

    skipped = run("load", "--no-carry", str(plans_dir))
    assert skipped.exit_code == 0, skipped.stderr
    assert "перенесена" not in skipped.stdout
    states = _status(run, "1.2")
    assert states[("school-2", "2024-06-30")] != "done"
    history = json.loads(run("history", PLAN_ID, "1.2", "--format", "json").stdout)
    assert [e["due"] for e in history] == ["2024-05-31"]  # the old record stays
