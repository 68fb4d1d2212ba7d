"""Fixtures for the storage contract suite.

Every test that uses ``db_url``, ``engine`` or ``sessions`` runs once per
backend (:mod:`tests.backends`): on a real SQLite file in ``tmp_path`` and on
a fresh PostgreSQL database (skipped when ``ROADMAP_TEST_PG_URL`` is not
set). Tests of one backend's mechanics (SQLite pragmas, ``BEGIN
IMMEDIATE``, PostgreSQL's advisory lock) are named ``test_sqlite_…`` or
``test_postgres_…`` and use ``sqlite_db`` or ``pg_db``. The plan factory is
in :mod:`tests.storage.factory`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from roadmap.storage.db import open_engine, session_factory
from tests.backends import backend, db_url, fresh_pg_database, sqlite_url

__all__ = ["backend", "db_url"]  # fixtures, re-exported for pytest


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    eng = open_engine(db_url, data_dir=tmp_path / "data")
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    """SQLite only: the URL of a (not yet created) file in ``tmp_path``."""
    return sqlite_url(tmp_path / "data")


@pytest.fixture
def pg_db() -> Iterator[str]:
    """PostgreSQL only: a fresh, empty database (skipped without a server)."""
    with fresh_pg_database() as url:
        yield url
