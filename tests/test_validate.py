"""``roadmap validate``: every problem of every file, with exact positions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from roadmap.cli import main
from roadmap.errors import PlanError
from roadmap.plans import read_catalog

GOOD_PLAN = """\
kind: plan
id: town-2023
title: План города (тест)
authority: Управление образования
document: {kind: приказ, number: "1", date: 2023-01-10}
period:
  start: 2023-01-01
  end: 2024-12-31
timezone: Asia/Irkutsk
parties:
  - id: uo
    name: УО
    aliases: [Управление образования]
    contacts: [{name: УО, email: uo@example.org}]
  - id: oo
    name: ОО
    register: town
sections:
  - id: "1"
    title: Раздел
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: Назначить кураторов
        deadline: null
        responsible: {text: "УО, ОО", parties: [uo, oo]}
        result: Приказ
"""

REGISTER = """\
kind: register
id: town
title: Школы (пример)
example: true
organisations:
  - id: school-1
    name: МБОУ СОШ № 1 (пример)
    curator: {name: Иванова, email: c1@example.org}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(tmp_path, "town-2023.yaml", GOOD_PLAN)
    write(tmp_path, "orgs/town.yaml", REGISTER)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--lang", "ru", "validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_valid_plan_passes_and_loads_model(tree: Path) -> None:
    code, out, err = run(str(tree))
    assert code == 0, err
    assert "планов 1, реестров 1" in out
    catalog = read_catalog([tree])
    plan = catalog.plans["town-2023"]
    task = next(plan.tasks())
    assert task.deadline is None and task.parties() == ("uo", "oo")
    assert catalog.registers["town"].organisations[0].curator.email == "c1@example.org"


def replace(tree: Path, old: str, new: str) -> Path:
    path = tree / "town-2023.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "where", "expected"),
    [
        ("authority:", "authorty:", "4:1", "неизвестный ключ «authorty» (может быть, «authority»?)"),
        ("        deadline: null", "        deadlin: null", "25:9", "«deadlin» (может быть, «deadline»?)"),
        ("parties: [uo, oo]", "parties: [uo, ooo]", "26:48", "неизвестная сторона «ooo» (может быть, «oo»?)"),
        ("end: 2024-12-31", "end: 2024-13-31", "8:8", "period.end: ожидается дата ГГГГ-ММ-ДД"),
        ("end: 2024-12-31", "end: 2022-12-31", "8:8", "конец периода 2022-12-31 раньше начала 2023-01-01"),
        ("timezone: Asia/Irkutsk", "timezone: Asia/Irkutks", "9:11", "ожидается часовой пояс IANA"),
        ("title: Раздел", "title: !shell Раздел", "20:12", "тег YAML !shell не допускается"),
        ("        result: Приказ", "        result: Приказ\n        result: Протокол", "28:9", "повторяющийся ключ"),
        ('number: "1.1"', "number: 1.1", "23:17", "возьмите его в кавычки"),
        ("id: town-2023", "id: other-2023", "2:5", "не совпадает с именем файла"),
        ("register: town", "register: nowhere", "17:15", "нет реестра организаций «nowhere»"),
        ("timezone: Asia/Irkutsk", "timezone: Asia/Irkutsk\nparent: region-2020", "10:9", "нет плана «region-2020»"),
        ("title: План города (тест)\n", "", "1:1", "нет обязательного ключа «title»"),
    ],
)
def test_each_error_kind_has_position_and_accepted_values(
    tree: Path, old: str, new: str, where: str, expected: str
) -> None:
    path = replace(tree, old, new)
    code, _out, err = run(str(tree))
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith(str(path))]
    assert any(line.startswith(f"{path}:{where}: ") and expected in line for line in lines), err


def test_duplicate_task_id_names_first_line(tree: Path) -> None:
    replace(
        tree,
        "        result: Приказ\n",
        "        result: Приказ\n"
        '      - id: "1.1"\n        activity: Ещё\n        deadline: Май 2023\n'
        "        responsible: {text: УО, parties: [uo]}\n",
    )
    code, _out, err = run(str(tree))
    assert code == 1
    assert "town-2023.yaml:28:13: sections.tasks: задача «1.1» повторяется (впервые: строка 22)" in err


def test_all_problems_of_all_files_in_one_pass(tree: Path) -> None:
    replace(tree, "authority:", "authorty:")
    replace(tree, "parties: [uo, oo]", "parties: [uo, ooo]")
    write(tree, "orgs/other.yaml", REGISTER.replace("id: town", "id: other").replace("example: true", "example: yes-ish"))
    code, _out, err = run(str(tree))
    assert code == 1
    assert "authorty" in err and "ooo" in err and "example: ожидается true или false" in err
    assert "Ошибок: 4" in err  # + the missing authority


def test_yaml_syntax_error_position(tree: Path) -> None:
    write(tree, "broken.yaml", "kind: plan\nid: [broken\ntitle: x\n")
    code, _out, err = run(str(tree / "broken.yaml"))
    assert code == 1
    assert f"{tree / 'broken.yaml'}:3:6: ошибка YAML" in err


def test_too_deep_and_too_large_input(tree: Path) -> None:
    deep = "kind: plan\nnote: " + "[" * 200 + "]" * 200 + "\n"
    write(tree, "deep.yaml", deep)
    write(tree, "big.yaml", "kind: plan\nnote: '" + "x" * (3 * 1024 * 1024) + "'\n")
    code, _out, err = run(str(tree / "deep.yaml"), str(tree / "big.yaml"))
    assert code == 1
    assert "вложенность" in err and "файл больше 2 МБ" in err


def test_missing_path_and_no_traceback(tmp_path: Path) -> None:
    code, _out, err = run(str(tmp_path / "nope.yaml"))
    assert code == 1
    assert "нет такого файла или каталога" in err and "Traceback" not in err


def test_unknown_kind(tree: Path) -> None:
    write(tree, "x.yaml", "kind: roadmap\n")
    code, _out, err = run(str(tree / "x.yaml"))
    assert code == 1 and "«kind: plan» или «kind: register»" in err


def test_english_messages(tree: Path) -> None:
    replace(tree, "authority:", "authorty:")
    result = CliRunner().invoke(main, ["--lang", "en", "validate", str(tree)])
    assert result.exit_code == 1
    assert "unknown key «authorty» (did you mean «authority»?)" in result.stderr


def test_usage_error_exits_2() -> None:
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2


def test_read_catalog_raises_with_every_problem(tree: Path) -> None:
    replace(tree, "authority:", "authorty:")
    with pytest.raises(PlanError) as info:
        read_catalog([tree])
    assert len(info.value.problems) == 2  # unknown key, missing required key


def test_module_entry_point_matches_command(tree: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "roadmap", "--lang", "ru", "validate", str(tree)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "планов 1" in proc.stdout
