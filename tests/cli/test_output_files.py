"""Files written for people: readable by others (the umask, not 0600), and
a folder that cannot be written is a one-line error, never a traceback
(``python -m roadmap`` run as a subprocess, as a user runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_carry import PLAN, PLAN_ID, REGISTER
from tests.fixtures import Env, process_env


@pytest.fixture
def plan_files() -> dict[str, str]:
    with_curator = REGISTER.replace(
        "    name: МБОУ СОШ № 1 (пример)\n",
        "    name: МБОУ СОШ № 1 (пример)\n"
        "    curator: {name: Иванова А. П., email: curator@school-1.example.org}\n",
    )
    return {f"{PLAN_ID}.yaml": PLAN, "orgs/carry-city.yaml": with_curator}


def _roadmap(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roadmap", "--lang", "ru", *args],
        capture_output=True, text=True, env=process_env(env), timeout=120, check=False,
        preexec_fn=lambda: os.umask(0o022),
    )


def test_exports_follow_the_umask(env: Env, loaded: Path, tmp_path: Path) -> None:
    target = tmp_path / "school.ics"
    result = _roadmap(env, "ics", "--plan", PLAN_ID, "--org", "school-1", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.stat().st_mode & 0o777 == 0o644
    report = tmp_path / "report.html"
    result = _roadmap(env, "report", PLAN_ID, "--format", "html", "-o", str(report))
    assert result.returncode == 0, result.stderr
    assert report.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("where", ["missing/school.ics", "a-file/school.ics"])
def test_ics_into_a_folder_that_cannot_be_written(
    env: Env, loaded: Path, tmp_path: Path, where: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    target = tmp_path / where
    result = _roadmap(env, "ics", "--plan", PLAN_ID, "-o", str(target))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Ошибка: Не удалось записать {target}: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_remind_out_into_a_folder_that_cannot_be_made(
    env: Env, loaded: Path, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "a-file" / "outbox"
    result = _roadmap(env, "remind", "--dry-run", "--out", str(out), "--today", "2024-08-20")
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    assert f"Не удалось записать {out}" in result.stderr
