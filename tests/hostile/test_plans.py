"""Hostile plans: bounded work and one clean error each (issue 18, items 1–3).

Each case runs ``roadmap`` in a child capped at 1 GB and 30 s
(:mod:`tests.hostile.bounded`); before the bounds, the alias bomb took 65 s
and 2.3 GB, ``/dev/zero`` ended in a MemoryError, a FIFO hung, and a plan
over 0001–9999 loaded two million occurrences.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from roadmap.deadlines.expand import Result
from tests.hostile.bounded import assert_clean, python, roadmap
from tests.test_validate import GOOD_PLAN, REGISTER

TASK = '{id: "t", activity: A, deadline: null, responsible: {text: X, parties: [uo]}}'


def alias_bomb(n: int) -> str:
    """Sections and tasks that are aliases of each other: n² tasks in 13 KB."""
    head = GOOD_PLAN[: GOOD_PLAN.index("sections:")]
    tasks = ", ".join(["*t0"] * n)
    sections = "\n".join(["  - *s0"] * n)
    return (
        f"{head}sections:\n"
        f'  - &s0 {{id: "1", title: S, tasks: [&t0 {TASK}, {tasks}]}}\n{sections}\n'
    )


def plan_tree(folder: Path, plan: str = GOOD_PLAN) -> Path:
    (folder / "orgs").mkdir(parents=True)
    (folder / "town-2023.yaml").write_text(plan, encoding="utf-8")
    (folder / "orgs" / "town.yaml").write_text(REGISTER, encoding="utf-8")
    return folder


def with_task_deadline(deadline: str, start: str = "2023-01-01", end: str = "2024-12-31") -> str:
    return (
        GOOD_PLAN.replace("start: 2023-01-01", f"start: {start}")
        .replace("end: 2024-12-31", f"end: {end}")
        .replace("deadline: null", f"deadline: {deadline}")
    )


def test_alias_bomb_is_one_error_found_early(tmp_path: Path, child_env: dict[str, str]) -> None:
    path = tmp_path / "town-2023.yaml"
    path.write_text(alias_bomb(1000), encoding="utf-8")
    assert path.stat().st_size < 20_000
    for command in ("validate", "load"):
        result = roadmap(command, str(path), env=child_env)
        err = assert_clean(result, 1)
        assert "слишком большой файл (больше 200000 значений" in err
        assert len(err.splitlines()) < 10, err[:2000]


def test_repeated_problems_are_capped_with_a_count(tmp_path: Path, child_env: dict[str, str]) -> None:
    # 2,000 tasks with one id: 1,999 problems before; 100 and «и ещё N» now.
    tasks = "\n".join(
        f'      - {{id: "1.1", activity: A{i}, deadline: null, '
        f"responsible: {{text: X, parties: [uo]}}}}"
        for i in range(2000)
    )
    plan = GOOD_PLAN[: GOOD_PLAN.index("    tasks:")] + "    tasks:\n" + tasks + "\n"
    plan_tree(tmp_path / "plans", plan)
    err = assert_clean(roadmap("validate", str(tmp_path / "plans"), env=child_env), 1)
    assert "и ещё 1899 сообщений об этом файле (показаны первые 100)" in err
    assert len(err.splitlines()) < 110


@pytest.mark.parametrize("command", ["validate", "load"])
def test_special_files_in_a_plans_folder_are_refused_not_read(
    tmp_path: Path, child_env: dict[str, str], command: str
) -> None:
    folder = plan_tree(tmp_path / "plans")
    os.mkfifo(folder / "x.yaml")
    (folder / "z.yaml").symlink_to("/dev/zero")
    err = assert_clean(roadmap(command, str(folder), env=child_env), 1)
    assert "x.yaml:1:1: это именованный канал (FIFO), а не обычный файл" in err
    assert "z.yaml:1:1: это символьное устройство, а не обычный файл" in err


def test_dev_null_is_not_called_missing(child_env: dict[str, str]) -> None:
    err = assert_clean(roadmap("validate", "/dev/null", env=child_env), 1)
    assert "/dev/null:1:1: это символьное устройство, а не обычный файл" in err
    assert "нет такого" not in err


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_config_and_batch_read_only_regular_files(
    tmp_path: Path, child_env: dict[str, str], special: str
) -> None:
    if special == "fifo":
        special = str(tmp_path / "fifo")
        os.mkfifo(special)
    err = assert_clean(roadmap("--config", special, "plans", env=child_env), 2)
    assert f"{special}: это" in err and "а не обычный файл" in err
    err = assert_clean(roadmap("deadline", "--batch", special, env=child_env), 1)
    assert f"{special}: это" in err and "а не обычный файл" in err


def test_plan_period_is_bounded(tmp_path: Path, child_env: dict[str, str]) -> None:
    plan = with_task_deadline("Ежемесячно", "0001-01-01", "9999-12-31")
    folder = plan_tree(tmp_path / "plans", plan)
    for command in ("validate", "load"):
        err = assert_clean(roadmap(command, str(folder), env=child_env), 1)
        assert "period.end: период 0001-01-01 — 9999-12-31 длиннее 25 лет" in err
    # 25 years less a day is a road map still.
    ok = with_task_deadline("Ежемесячно", "2001-01-01", "2025-12-31")
    (folder / "town-2023.yaml").write_text(ok, encoding="utf-8")
    assert_clean(roadmap("validate", str(folder), env=child_env), 0)


def test_deadline_text_length_is_bounded(tmp_path: Path, child_env: dict[str, str]) -> None:
    phrase = "ежеквартально " + "до 1 марта, " * 1700 + "до 1 мая"  # 20,000 characters
    folder = plan_tree(tmp_path / "plans", with_task_deadline(f'"{phrase}"'))
    err = assert_clean(roadmap("validate", str(folder), env=child_env), 1)
    assert f"deadline: текст срока длиннее 1000 символов ({len(phrase)})" in err
    err = assert_clean(roadmap("deadline", phrase, "--period", "2023-01-01..2024-12-31",
                               env=child_env), 2)
    assert "текст срока длиннее 1000 символов" in err


def test_dates_per_task_are_bounded(tmp_path: Path, child_env: dict[str, str]) -> None:
    phrase = "; ".join(f"ежемесячно до {day} числа" for day in (5, 10, 15, 20))
    plan = with_task_deadline(f'"{phrase}"', "2001-01-01", "2025-12-31")
    folder = plan_tree(tmp_path / "plans", plan)
    err = assert_clean(roadmap("load", str(folder), env=child_env), 1)
    assert "задача 1.1: deadline: срок даёт 1200 дат — больше предела 1000 на одну задачу" in err


def test_repeated_windows_are_kept_once_while_expanding() -> None:
    windows = Result().windows
    for _ in range(1000):
        windows.append((None, date(2023, 5, 31)))
    assert len(windows) == 1


def test_mutated_plans_fuzz(tmp_path: Path, child_env: dict[str, str]) -> None:
    """300 mutations of a valid plan (fixed seed) through validate's core in
    one bounded child: problems, never an exception, a hang or 1 GB."""
    result = python(
        ["-m", "tests.hostile.fuzz", "plans", str(tmp_path), "300"], child_env, timeout=60
    )
    assert_clean(result, 0)
    assert b"cases 300" in result.stdout
