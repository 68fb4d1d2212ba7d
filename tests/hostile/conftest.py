"""The hostile suite: every case runs ``roadmap`` in a bounded child."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backends import backend, db_url  # noqa: F401  (fixtures)
from tests.fixtures import cli_env, process_env


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a bounded ``python -m roadmap``: an isolated data
    directory, Russian."""
    env = process_env(cli_env(tmp_path / "data", LANG="ru_RU.UTF-8", LANGUAGE=None))
    return env
