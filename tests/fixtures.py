"""Scaffolding shared by the end-to-end suites (calendars, report, tracking,
reminders, cli): a plan tree written into ``tmp_path``, ``roadmap`` run
through click's ``CliRunner`` against an isolated data directory, the plans
loaded with ``roadmap load``, an :class:`App` with an injected clock, and
completions recorded through the repository.

Registered for the whole test tree by ``pytest_plugins`` in
``tests/conftest.py``. A suite supplies only its data, by overriding:

- ``plan_files``: ``{path relative to the plans folder: YAML text}``
  (required by ``plans_dir`` and ``loaded``);
- ``env_extra``: variables added to the CLI environment (default none).

Example (a suite's ``conftest.py``)::

    @pytest.fixture
    def plan_files() -> dict[str, str]:
        return {"test-city.yaml": PLAN, "orgs/test-city.yaml": REGISTER}

    def test_plans(run: Run, loaded: Path) -> None:
        assert run("plans").exit_code == 0

The plain helpers (:func:`write_plan_tree`, :func:`cli`, :func:`load_plans`,
:func:`record_done`, :func:`process_env`, ...) serve where a test needs the
same mechanics with other inputs.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from roadmap.app import App, Clock
from roadmap.cli import main
from roadmap.settings import load_settings
from roadmap.storage.db import open_engine, session_factory, write_session
from roadmap.storage.repository import occurrences_of, record_completion

Env = dict[str, str | None]
"""A CLI environment: ``None`` removes the variable."""

Run = Callable[..., Result]
"""``run(*args, **extra_env)``: ``roadmap --lang ru *args``, exceptions raised."""

MakeApp = Callable[..., App]
"""``make_app(later=timedelta(0), today=None)``: an App on the test database."""


# -- plain helpers -----------------------------------------------------------


def write_plan_tree(folder: Path, files: Mapping[str, str]) -> Path:
    """Write ``files`` (relative path → text, UTF-8) below ``folder``; the
    ``orgs/`` subfolder always exists. Returns ``folder``."""
    (folder / "orgs").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def cli_env(data_dir: Path, **extra: str | None) -> Env:
    """The environment of an isolated ``roadmap``: its own data directory,
    no configured database or config file, plus ``extra``."""
    return {
        "ROADMAP_DATA_DIR": str(data_dir),
        "ROADMAP_DB_URL": None,
        "ROADMAP_CONFIG": None,
        **extra,
    }


def cli(env: Env, lang: str = "ru") -> Run:
    """``run(*args, **extra_env)`` invoking ``roadmap --lang <lang> *args``
    in-process with ``env`` (updated by ``extra_env``)."""

    def invoke(*args: str, **extra_env: str | None) -> Result:
        return CliRunner().invoke(
            main, ["--lang", lang, *args], env={**env, **extra_env}, catch_exceptions=False
        )

    return invoke


def benchmark(name: str) -> ModuleType:
    """The module ``benchmarks/<name>.py`` (benchmarks are scripts, not a
    package); imported once."""
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def load_plans(run: Run, folder: Path) -> Path:
    """``roadmap load folder``, which must succeed; returns ``folder``."""
    result = run("load", str(folder))
    assert result.exit_code == 0, result.stderr
    return folder


def sqlite_url(data_dir: Path) -> str:
    """The URL of the SQLite file ``roadmap`` uses in ``data_dir``."""
    return f"sqlite:///{data_dir / 'roadmap.db'}"


def occurrence_id(session: Session, plan_id: str, **where: Any) -> int:
    """The id of the one occurrence of ``plan_id`` whose attributes equal
    ``where`` (``key=...``, or ``task=..., party=..., org=..., due=...``)."""
    matches = [
        o.id
        for o in occurrences_of(session, plan_id)
        if all(getattr(o, name) == value for name, value in where.items())
    ]
    assert len(matches) == 1, (plan_id, where, len(matches))
    return matches[0]


def record_done(
    sessions: sessionmaker[Session],
    plan_id: str,
    *,
    by: str,
    at: datetime,
    note: str | None = None,
    **where: Any,
) -> int:
    """Record, in its own transaction, a completion of the one occurrence
    :func:`occurrence_id` finds; returns the completion's id."""
    with write_session(sessions) as session:
        target = occurrence_id(session, plan_id, **where)
        return record_completion(session, target, by=by, at=at, note=note)


def process_env(env: Env) -> dict[str, str]:
    """The environment for a ``python -m roadmap`` subprocess: this
    process's, with ``env`` applied (``None`` removes a variable)."""
    merged = dict(os.environ)
    for name, value in env.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


# -- fixtures ----------------------------------------------------------------


@pytest.fixture
def plan_files() -> dict[str, str]:
    """The suite's plan tree: ``{relative path: YAML text}``. Override it."""
    pytest.fail("this suite's conftest must define the `plan_files` fixture")


@pytest.fixture
def plans_dir(tmp_path: Path, plan_files: dict[str, str]) -> Path:
    """``plan_files`` written to ``tmp_path / "plans"``."""
    return write_plan_tree(tmp_path / "plans", plan_files)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def env_extra() -> dict[str, str | None]:
    """Variables a suite adds to the CLI environment. Override it."""
    return {}


@pytest.fixture
def env(data_dir: Path, env_extra: dict[str, str | None]) -> Env:
    return cli_env(data_dir, **env_extra)


@pytest.fixture
def run(env: Env) -> Run:
    return cli(env)


@pytest.fixture
def loaded(run: Run, plans_dir: Path) -> Path:
    """``plans_dir`` loaded with ``roadmap load``; returns the folder."""
    return load_plans(run, plans_dir)


@pytest.fixture
def sessions(data_dir: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test's SQLite file (its schema created if need be);
    the engine is disposed of after the test."""
    engine = open_engine(sqlite_url(data_dir))
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def make_app(env: Env) -> Iterator[MakeApp]:
    """Apps on the test database whose «now» is the real one shifted by
    ``later`` and whose «today» is pinned to ``today`` (``None``: derived
    from «now»); all are closed after the test."""
    apps: list[App] = []

    def make(later: timedelta = timedelta(0), today: date | None = None) -> App:
        environ = {k: v for k, v in env.items() if v is not None}
        clock = Clock(now=lambda: datetime.now(UTC) + later, fixed_today=today)
        app = App(settings=load_settings(None, environ=environ), clock=clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()
