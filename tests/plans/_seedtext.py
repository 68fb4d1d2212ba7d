"""Helpers for checking the YAML plans in ``plans/`` against their sources.

The plans are read with ruamel.yaml directly (not through ``roadmap.plans``),
so the tests check the encoding of the source documents on its own: texts
verbatim, counts, parties, targets. The sources are the text files in
``../shared/seeds`` beside the checkout; where they are missing, the tests
that need them are skipped with a reason.

The source text is normalised: the extraction's markup (``**bold**``, HTML
tags) is dropped, whitespace runs collapse to one space, and a whitespace run
holding a tab (a table-cell boundary) becomes `` ¦ ``. A text found in the
normalised source therefore lies within one cell.
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
CASES = (SHARED / "deadlines" / "cases.json", REPO / "tests" / "data" / "cases.json")

CELL = "¦"  # where the extraction's tabs separated two table cells
_MARKUP = re.compile(r"\*\*|<[^<>]*>")
_CELL = re.compile(r"\s*\t\s*")
_SPACE = re.compile(r"\s+")


def load_yaml(path: Path) -> Any:
    """Round-trip load, the way the project reads plans (duplicate keys fail)."""
    with path.open(encoding="utf-8") as handle:
        return YAML(typ="rt").load(handle)


def load_plan(plan_id: str) -> Any:
    return load_yaml(PLANS / f"{plan_id}.yaml")


def normalise(text: str) -> str:
    """Drop the markup, mark cell boundaries with ``¦``, collapse whitespace."""
    text = _CELL.sub(f" {CELL} ", _MARKUP.sub("", text))
    return _SPACE.sub(" ", text).strip()


def _seed_path(name: str) -> Path:
    path = SEEDS / name
    if not path.is_file():
        pytest.skip(f"source document {path} is not available (it lives outside the repository)")
    return path


def raw_source(name: str) -> str:
    return _seed_path(name).read_text(encoding="utf-8")


def source_text(name: str) -> str:
    """The normalised text of a seed, or skip when it is not there."""
    return normalise(raw_source(name))


def cases_for(plan_id: str) -> list[dict[str, Any]]:
    """The deadline cases of one plan: ../shared first, the repository's copy else."""
    for path in CASES:
        if path.is_file():
            cases = json.loads(path.read_text(encoding="utf-8"))
            return [case for case in cases if case["plan"] == plan_id]
    pytest.skip("deadlines/cases.json is not available")


def in_source(text: str, source: str, pieces: int = 1, reach: int = 2000) -> bool:
    """Whether ``text`` is in the normalised ``source`` within one cell, or,
    with ``pieces`` > 1, is a cell the extraction broke over table rows: at
    most ``pieces`` word runs in reading order, each but the last ending a
    cell and each but the first starting a cell, within ``reach`` characters
    of the previous one (the row's other cells lie in between)."""

    def fits(words: list[str], after: int | None, left: int) -> bool:
        # ``after``: where the previous piece's cell ended (None for the first piece)
        for cut in range(len(words), 0, -1):
            piece, rest = " ".join(words[:cut]), words[cut:]
            if rest and left == 1:
                return False
            found = f"{piece} {CELL} " if rest else piece
            if after is not None:  # a later piece starts a cell
                found = f" {CELL} {found}"
            start = source.find(found, after or 0)
            while start != -1 and (after is None or start + len(found) <= after + reach):
                end = start + len(found) - len(f" {CELL} ")
                if not rest or fits(rest, end, left - 1):
                    return True
                start = source.find(found, start + 1)
        return False

    return fits(normalise(text).split(" "), None, pieces)


def each_task(plan: Any) -> Iterator[tuple[Any, Any]]:
    """(section, task) pairs in order."""
    for section in plan["sections"]:
        for task in section["tasks"]:
            yield section, task


def responsibilities(plan: Any) -> Iterator[tuple[Any, Any]]:
    """(task, responsibility) for every responsible and co_responsible column."""
    for _, task in each_task(plan):
        for key in ("responsible", "co_responsible"):
            if task.get(key) is not None:
                yield task, task[key]


def source_rows(raw: str, after: str) -> list[str]:
    """Numbers of the «N.M» rows of the table that follows the line ``after``."""
    tail = raw[raw.index(after) :]
    return re.findall(r"^(\d+\.\d+)\t", tail, flags=re.MULTILINE)
