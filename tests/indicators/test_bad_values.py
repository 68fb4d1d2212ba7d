"""Refused values: a clear error naming what would be accepted, the exit
code of a usage error or of a data problem, and nothing stored — not the
value, not its evidence file.

The checks are the core's, not the database's: these run on a SQLite file
only (``test_rollup`` covers a refused value on every backend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.backends import sqlite_url
from tests.fixtures import Run
from tests.indicators.conftest import CITY, REGION


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "data")


@pytest.fixture(autouse=True)
def _loaded(loaded: Path) -> None:
    """Every test here starts with the region and its two towns loaded."""


def _nothing_stored(run: Run, data_dir: Path) -> None:
    for plan in (CITY, REGION):
        history = run("history", plan, "--indicators", "--format", "json")
        assert history.exit_code == 0 and json.loads(history.stdout) == []
    evidence = data_dir / "evidence"
    assert not evidence.exists() or not [p for p in evidence.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("teachers-share", "--year", "2023", "--value", "140", "--org", "school-1"), 2,
         ("0 до 100", "140")),
        (("teachers-share", "--year", "2023", "--num", "12", "--den", "10", "--org", "school-1"),
         2, ("числитель 12 больше знаменателя 10",)),
        (("teachers-share", "--year", "2023", "--num", "1", "--den", "0", "--org", "school-1"),
         2, ("знаменатель > 0",)),
        (("teachers-share", "--year", "2023", "--value", "40", "--org", "school-1"), 2,
         ("--num N --den D",)),
        (("events", "--year", "2023", "--value", "-3", "--org", "school-1"), 2, ("≥ 0",)),
        (("events", "--year", "2023", "--value", "много", "--org", "school-1"), 2,
         ("не число",)),
        (("satisfaction", "--year", "2023", "--value", "101", "--org", "school-1"), 2,
         ("от 0 до 100",)),
        (("regulation", "--year", "2023", "--value", "может быть", "--org", "school-1"), 2,
         ("да или нет",)),
        (("events", "--year", "2023", "--value", "2", "--org", "school-1", "--respondents", "5"),
         2, ("level",)),
        (("events", "--year", "2031", "--value", "2", "--org", "school-1"), 1,
         ("нет 2031 года", "есть: 2022, 2023, 2024")),
        (("evnts", "--year", "2023", "--value", "2", "--org", "school-1"), 1,
         ("Нет показателя «evnts»", "«events»")),
        (("events", "--year", "2023", "--value", "2", "--org", "school-9"), 1,
         ("«school-9»", "school-1, school-2, school-3")),
        (("events", "--year", "2023", "--value", "2"), 2, ("--org", "school-1")),
        (("events", "--year", "2023", "--value", "2", "--party", "uo"), 1, ("«uo»",)),
    ],
)
def test_a_bad_value_is_refused_and_nothing_is_stored(
    run: Run, data_dir: Path, tmp_path: Path, args: tuple[str, ...], code: int,
    words: tuple[str, ...],
) -> None:
    proof = tmp_path / "протокол.pdf"
    proof.write_bytes(b"%PDF-1.4 protocol")
    result = run("indicator", "set", CITY, *args, "--evidence", str(proof))
    assert result.exit_code == code, result.output
    for word in words:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.output
    _nothing_stored(run, data_dir)


def test_an_unknown_plan_gets_suggestions(run: Run, data_dir: Path) -> None:
    result = run("indicator", "set", "test-sity", "events", "--year", "2023", "--value", "1")
    assert result.exit_code == 1
    assert "test-city" in result.stderr
    _nothing_stored(run, data_dir)


def test_value_and_fraction_together_is_a_usage_error(run: Run, data_dir: Path) -> None:
    result = run("indicator", "set", CITY, "teachers-share", "--year", "2023", "--value", "10",
                 "--num", "1", "--den", "2", "--org", "school-1")
    assert result.exit_code == 2
    _nothing_stored(run, data_dir)


def test_a_listing_of_an_unknown_organisation_names_the_valid_ones(run: Run) -> None:
    result = run("indicators", REGION, "--org", "town-9", "--format", "json")
    assert result.exit_code == 1
    assert "town-1" in result.stderr and "school-1" in result.stderr


def test_evidence_of_a_value_is_stored_and_verified(run: Run, tmp_path: Path) -> None:
    proof = tmp_path / "справка.pdf"
    proof.write_bytes(b"%PDF-1.4 monitoring")
    result = run("indicator", "set", CITY, "events", "--year", "2023", "--value", "3",
                 "--org", "school-2", "--evidence", str(proof))
    assert result.exit_code == 0, result.stderr
    assert "справка.pdf" in result.stdout
    (entry,) = json.loads(run("history", CITY, "--indicators", "--format", "json").stdout)
    assert entry["evidence"]["name"] == "справка.pdf" and entry["org"] == "school-2"
    verify = run("evidence", "verify")
    assert verify.exit_code == 0, verify.output  # the file is expected, not an orphan
    assert "Лишние" not in verify.stdout
