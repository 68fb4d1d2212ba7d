"""Fixtures for the storage tests: a real SQLite file in ``tmp_path``
(never ``:memory:``); the plan factory is in :mod:`tests.storage.factory`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from roadmap.storage.db import open_engine, session_factory


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'roadmap.db'}"


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    eng = open_engine(db_url, data_dir=tmp_path / "data")
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
