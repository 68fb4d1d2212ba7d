"""Fixtures of the per-plan tests (``test_<plan>.py``).

A per-plan module names its plan and source at module level, ``PLAN`` (the id
of ``plans/<PLAN>.yaml``) and ``SEED`` (the file name in ``../shared/seeds``),
and gets:

- ``plan``: the plan, read with the round-trip loader;
- ``tasks``: every task of the plan, in order;
- ``source``: the normalised source (see ``_seedtext.normalise``); tests that
  use it are skipped when the sources are absent.

The checks every plan shares are in ``test_plan_sources.py``; the helpers are
in ``_seedtext.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from _seedtext import each_task, load_plan, source_text


@pytest.fixture(scope="module")
def plan(request: pytest.FixtureRequest) -> Any:
    return load_plan(request.module.PLAN)


@pytest.fixture(scope="module")
def tasks(plan: Any) -> list[Any]:
    return [task for _, task in each_task(plan)]


@pytest.fixture(scope="module")
def source(request: pytest.FixtureRequest) -> str:
    return source_text(request.module.SEED)
