"""A plan whose parent or register is already loaded validates and loads on
its own: the database counts as well as the files given (real plans of
``plans/``, a real SQLite file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fixtures import Run

REPO = Path(__file__).resolve().parents[2]
CITY = "irkutsk-city-2023-2026"


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {}


def _alone(tmp_path: Path, name: str) -> Path:
    """A copy of one plan file in a folder of its own (no parent, no orgs/)."""
    folder = tmp_path / "alone"
    folder.mkdir(exist_ok=True)
    return Path(shutil.copy(REPO / "plans" / f"{name}.yaml", folder))


def test_parent_and_register_in_the_database_count(run: Run, tmp_path: Path) -> None:
    city = _alone(tmp_path, CITY)
    before = run("validate", str(city))
    assert before.exit_code == 1
    assert "parent: нет плана «irkutsk-oblast-2020-2024»" in before.stderr
    assert "нет реестра организаций «irkutsk-city»" in before.stderr

    loaded = run("load", str(REPO / "plans" / "irkutsk-oblast-2020-2024.yaml"),
                 str(REPO / "plans" / "orgs" / "irkutsk-city.yaml"))
    assert loaded.exit_code == 0, loaded.stderr

    checked = run("validate", str(city))
    assert checked.exit_code == 0, checked.stderr
    assert "Родительский план «irkutsk-oblast-2020-2024» взят из базы данных" in checked.stdout
    assert "Реестр «irkutsk-city» взят из базы данных" in checked.stdout

    result = run("load", str(city))
    assert result.exit_code == 0, result.stderr
    assert f"План {CITY}: новый" in result.stdout
    shown = run("status", "--plan", CITY, "--org", "school-1", "--format", "json")
    assert shown.exit_code == 0 and "school-1" in shown.stdout
