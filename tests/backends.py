"""Storage backends for the contract tests: one suite, every backend.

A test (or fixture) that asks for :func:`db_url` runs once per backend:

- ``sqlite``: a real file in ``tmp_path`` (never ``:memory:``);
- ``postgres``: a brand-new database on the server of
  ``ROADMAP_TEST_PG_URL``, created for this test alone and dropped after it
  (about 50 ms). Marked ``postgres``; skipped, with the reason, when the
  variable is not set. ``.ci/run`` starts a server and sets it.

The role of ``ROADMAP_TEST_PG_URL`` needs ``CREATEDB``; the database it
names is only used to connect for ``CREATE``/``DROP DATABASE``. Register the
fixtures in a ``conftest.py`` with ``from tests.backends import backend, db_url``.

Example::

    def test_something(db_url: str) -> None:  # runs on SQLite and PostgreSQL
        engine = open_engine(db_url)
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

PG_URL_VARIABLE = "ROADMAP_TEST_PG_URL"
PG_URL = os.environ.get(PG_URL_VARIABLE, "")
PG_SKIP_REASON = (
    f"{PG_URL_VARIABLE} is not set (PostgreSQL tests need a server; .ci/run starts one)"
)
# Databases made by the fixture start with this, so leftovers of a killed
# run are easy to find: SELECT datname FROM pg_database WHERE datname LIKE 'roadmap_t_%'.
PREFIX = "roadmap_t_"

SQLITE = "sqlite"
POSTGRES = "postgres"

requires_postgres = pytest.mark.skipif(not PG_URL, reason=PG_SKIP_REASON)

F = TypeVar("F", bound=Callable[..., Any])


def postgres_only(test: F) -> F:
    """Mark a PostgreSQL-only test: ``postgres``, skipped without a server."""
    return pytest.mark.postgres(requires_postgres(test))


BACKENDS = [
    pytest.param(SQLITE, id=SQLITE),
    pytest.param(POSTGRES, id=POSTGRES, marks=[pytest.mark.postgres, requires_postgres]),
]


@contextmanager
def fresh_pg_database(base_url: str = PG_URL) -> Iterator[str]:
    """A new, empty database on the server of ``base_url``, dropped on exit
    (with ``FORCE``: connections a test leaked do not keep it alive)."""
    if not base_url:
        pytest.skip(PG_SKIP_REASON)
    name = PREFIX + uuid.uuid4().hex[:16]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
        finally:
            drop_database(admin, name)
    finally:
        admin.dispose()


# SQLSTATEs of a DROP that another backend blocks for a moment: an autovacuum
# worker, which WITH (FORCE) may not end for a CREATEDB-only role (42501),
# or a connection that appeared meanwhile (55006).
_DROP_AGAIN = {"42501", "55006"}


def drop_database(admin: Engine, name: str, patience: float = 30.0) -> None:
    """``DROP DATABASE … WITH (FORCE)``, tried again while a passing backend
    blocks it (autovacuum ends within moments), for ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError as err:
            state = getattr(err.orig, "sqlstate", None)
            if state not in _DROP_AGAIN or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'roadmap.db'}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend this test runs on: ``sqlite`` or ``postgres``."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of ``backend``, for this test only."""
    if backend == SQLITE:
        yield sqlite_url(tmp_path / "data")
        return
    with fresh_pg_database() as url:
        yield url
