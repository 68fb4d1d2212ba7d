"""Errors in Russian, with what to do, never a traceback: YAML slips,
empty files and folders, click's own words, metavars and statuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_carry import PLAN, PLAN_ID, REGISTER
from tests.fixtures import Env, Run, process_env


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {f"{PLAN_ID}.yaml": PLAN, "orgs/carry-city.yaml": REGISTER}


SLIPS = {
    # file text → (line, column, what the message must say)
    "kind: plan\nid: x\n\ttitle: a\n": (3, 1, "замените табуляцию пробелами"),
    "kind: plan\nid: x\ntitle: План: мероприятия\n": (3, 12, "возьмите текст в кавычки"),
    'kind: plan\nid: x\ntitle: "План\nauthority: y\n': (5, 1, "не закрыта кавычка, открытая в строке 3"),
    "kind: plan\nid: x\nparties:\n  - id: a\n   name: b\n": (5, 4, "неверный отступ"),
    "kind: plan\n  id: x\n": (2, 5, "неверный отступ"),
}


@pytest.mark.parametrize("text", list(SLIPS))
def test_yaml_slips_get_a_russian_hint_at_their_position(
    run: Run, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    line, column, hint = SLIPS[text]
    result = run("validate", str(path))
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{line}:{column}: ошибка YAML: "), first
    assert hint in first


def test_empty_files_and_folders_say_what_to_write(run: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    result = run("validate", str(empty))
    assert result.exit_code == 1
    assert "файл пуст: первая строка — «kind: plan» (план) или «kind: register»" in result.stderr
    assert "None" not in result.stderr
    folder = tmp_path / "nothing"
    folder.mkdir()
    result = run("validate", str(folder))
    assert result.exit_code == 1
    assert "в каталоге нет файлов .yaml или .yml" in result.stderr
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("kind: plan\nid: wrong\ntitle: T\nauthority: A\nperiod: 2024\n",
                     encoding="utf-8")
    result = run("validate", str(wrong))
    assert "словар" not in result.stderr
    assert "строки «ключ: значение» с отступом (start:, end:" in result.stderr


def test_no_english_leftovers(run: Run, loaded: Path, tmp_path: Path) -> None:
    missing = run("done", PLAN_ID, "1.1", "--evidence", str(tmp_path / "nofile.pdf"))
    assert missing.exit_code == 2
    assert f"Файл '{tmp_path / 'nofile.pdf'}' не существует" in missing.stderr
    assert "[обязательный]" in run("reopen", "--help").stdout
    for command in ("status", "ics", "report", "remind", "done"):
        shown = run(command, "--help").stdout
        assert "--today ГГГГ-ММ-ДД" in shown, command
        assert "%Y" not in shown
    english = run("--lang", "en", "ics", "--help").stdout
    assert "--today YYYY-MM-DD" in english


def test_a_path_split_by_the_shell_gets_a_hint(run: Run, loaded: Path, tmp_path: Path) -> None:
    (tmp_path / "Приказ № 5.pdf").write_bytes(b"%PDF")
    result = run("done", PLAN_ID, "1.1", "--org", "school-1", "--evidence",
                 str(tmp_path / "Приказ"), "№", "5.pdf")
    assert result.exit_code == 2
    assert f'возьмите путь в кавычки: "{tmp_path / "Приказ № 5.pdf"}"' in result.stderr


def test_party_in_another_case_is_found(run: Run, loaded: Path) -> None:
    result = run("status", "--plan", PLAN_ID, "--party", "OO", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert '"party": "oo"' in result.stdout


def test_status_on_an_empty_database_says_to_load(env: Env, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "roadmap", "--lang", "ru", "status"],
        capture_output=True, text=True, env=process_env(env), timeout=60, check=False,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stdout.strip() == "Планы не загружены (roadmap load PATH)"
