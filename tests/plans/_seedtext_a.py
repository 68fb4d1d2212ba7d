"""Helpers for the plan tests of seeds 000 (Irkutsk city) and 001 (Dzerzhinsky).

The plans are read with ruamel.yaml directly (not through the project's loader)
and checked against the source text files in ``../shared/seeds`` beside the
repository. Where the sources are missing, the assertions that need them are
skipped with a reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
PLANS = REPO / "plans"
SHARED = Path(__file__).resolve().parents[3] / "shared"
SEEDS = SHARED / "seeds"
CASES = SHARED / "deadlines" / "cases.json"

_TAG = re.compile(r"<[^>]+>")
_CELL = re.compile(r"\s*\t\s*")
_SPACE = re.compile(r"\s+")
CELL = "¦"  # where the extraction's tabs separated two table cells


def load_yaml(path: Path) -> Any:
    """Round-trip load, the way the project reads plans (duplicate keys fail)."""
    with path.open(encoding="utf-8") as handle:
        return YAML(typ="rt").load(handle)


def normalise(text: str) -> str:
    """Drop the HTML markup the extraction left in cells and collapse whitespace;
    a run of whitespace holding a tab (a cell boundary) becomes `` ¦ ``, so that
    a text found in the normalised source lies within one cell."""
    text = _CELL.sub(f" {CELL} ", _TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def source_text(name: str) -> str:
    """The whitespace-normalised text of a seed, or skip when it is not there."""
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"source document {path} is not available")
    return normalise(path.read_text(encoding="utf-8"))


def raw_source(name: str) -> str:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"source document {path} is not available")
    return path.read_text(encoding="utf-8")


def cases_for(plan_id: str) -> list[dict[str, Any]]:
    """The deadline cases of one plan: ../shared first, the repository's copy else."""
    for path in (CASES, REPO / "tests" / "data" / "cases.json"):
        if path.is_file():
            cases = json.loads(path.read_text(encoding="utf-8"))
            return [case for case in cases if case["plan"] == plan_id]
    pytest.skip("deadlines/cases.json is not available")


def in_source(text: str, source: str, reach: int = 2000) -> bool:
    """Whether ``text`` is in the (normalised) source as one piece, or is a
    cell the extraction broke over two table rows: a head that ends a cell and
    a tail that starts a later cell within ``reach`` characters, split at a
    space."""
    text = normalise(text)
    if text in source:
        return True
    words = text.split(" ")
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        start = source.find(f"{head} {CELL} ")
        while start != -1:
            window = source[start + len(head) : start + len(head) + reach]
            if f" {CELL} {tail}" in window:
                return True
            start = source.find(f"{head} {CELL} ", start + 1)
    return False


def tasks(plan: Any) -> Iterator[tuple[Any, Any]]:
    """(section, task) pairs in order."""
    for section in plan["sections"]:
        for task in section["tasks"]:
            yield section, task


def responsibilities(plan: Any) -> Iterator[tuple[Any, Any]]:
    """(task, responsibility) for every responsible and co_responsible column."""
    for _, task in tasks(plan):
        for key in ("responsible", "co_responsible"):
            if task.get(key) is not None:
                yield task, task[key]


def source_rows(raw: str, after: str) -> list[str]:
    """Numbers of the «N.M» rows of the table that follows the line ``after``."""
    tail = raw[raw.index(after) :]
    return re.findall(r"^(\d+\.\d+)\t", tail, flags=re.MULTILINE)
