"""Fixtures for checking the YAML plans in ``plans/`` against their sources.

These tests read the YAML files with ruamel.yaml directly (not through
``roadmap.plans``), so they check the encoding of the source documents on its
own: texts verbatim, counts, parties, targets.

Fixtures:

- ``plans_dir``: the repository's ``plans/`` directory;
- ``seeds_dir``: the source documents (``/work/shared/seeds`` beside the
  checkout); tests that use it are skipped when it is absent;
- ``normalise``: ``normalise(text) -> str`` collapses whitespace (line breaks
  of the extraction) and drops the extraction's markup (``**``, HTML tags);
- ``load_yaml``: ``load_yaml(path) -> data`` with the round-trip loader;
- ``load_plan``: ``load_plan(plan_id) -> data`` of ``plans/<plan_id>.yaml``;
- ``seed_text``: ``seed_text(prefix) -> str``, the normalised source whose
  file name starts with ``prefix`` (e.g. ``"002"``);
- ``deadline_cases``: ``deadline_cases(plan_id) -> list`` of the
  ``tests/data/cases.json`` entries of that plan;
- ``tasks_of``: ``tasks_of(plan) -> list`` of every task of a loaded plan;
- ``in_source``: ``in_source(text, source, pieces=3) -> bool``: the normalised
  ``text`` occurs in ``source`` whole, or as at most ``pieces`` consecutive
  word runs in reading order (a table row that the extraction split over two
  lines, with the next cell's text in between).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
CASES = REPO / "tests" / "data" / "cases.json"

_MARKUP = re.compile(r"\*\*|<[^<>]*>")
_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Whitespace runs (line breaks, tabs, NBSP) become one space; the
    extraction's markup (``**bold**``, ``<u>…</u>``, ``<ol …>``) is dropped."""
    return _SPACE.sub(" ", _MARKUP.sub("", text)).strip()


def in_source_text(text: str, source: str, pieces: int = 3) -> bool:
    """See ``in_source`` above; ``source`` is already normalised."""

    def fits(words: list[str], pos: int, left: int) -> bool:
        if not words:
            return True
        if left == 0:
            return False
        for k in range(len(words), 0, -1):
            piece = " ".join(words[:k])
            found = source.find(piece, pos)
            while found >= 0:
                if fits(words[k:], found + len(piece), left - 1):
                    return True
                found = source.find(piece, found + 1)
        return False

    return fits(normalise_text(text).split(" "), 0, pieces)


@pytest.fixture(scope="session")
def plans_dir() -> Path:
    return REPO / "plans"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"source documents not found at {SEEDS} (they live outside the repository)")
    return SEEDS


@pytest.fixture(scope="session")
def normalise() -> Callable[[str], str]:
    return normalise_text


@pytest.fixture(scope="session")
def load_yaml() -> Callable[[Path], Any]:
    def load(path: Path) -> Any:
        yaml = YAML()  # round-trip: rejects duplicate keys
        with path.open(encoding="utf-8") as f:
            return yaml.load(f)

    return load


@pytest.fixture(scope="session")
def load_plan(plans_dir: Path, load_yaml: Callable[[Path], Any]) -> Callable[[str], Any]:
    def load(plan_id: str) -> Any:
        return load_yaml(plans_dir / f"{plan_id}.yaml")

    return load


@pytest.fixture(scope="session")
def seed_text(seeds_dir: Path) -> Callable[[str], str]:
    def read(prefix: str) -> str:
        found = sorted(seeds_dir.glob(f"{prefix}*.txt"))
        if not found:
            pytest.skip(f"no source document {prefix}*.txt in {seeds_dir}")
        return normalise_text(found[0].read_text(encoding="utf-8"))

    return read


@pytest.fixture(scope="session")
def deadline_cases() -> Callable[[str], list[dict[str, Any]]]:
    cases = json.loads(CASES.read_text(encoding="utf-8"))

    def of(plan_id: str) -> list[dict[str, Any]]:
        return [case for case in cases if case.get("plan") == plan_id]

    return of


@pytest.fixture(scope="session")
def tasks_of() -> Callable[[Any], list[Any]]:
    def tasks(plan: Any) -> list[Any]:
        return [task for section in plan["sections"] for task in section["tasks"]]

    return tasks


@pytest.fixture(scope="session")
def in_source() -> Callable[..., bool]:
    return in_source_text
