"""Several processes writing one database at once (CLI and daemon), on every backend."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from roadmap.storage.db import open_engine, session_factory, write_session
from roadmap.storage.repository import load_catalog, occurrences_of
from roadmap.storage.tables import CompletionRow, PlanRow
from tests.storage import workers
from tests.storage.factory import NOW, TOTAL, catalog

ROUNDS = 40
# Spawned children start clean (no engine or connection inherited by fork).
CTX = multiprocessing.get_context("spawn")


def run_all(targets: list[tuple[Any, tuple[Any, ...]]]) -> None:
    barrier = CTX.Barrier(len(targets))
    processes = [CTX.Process(target=fn, args=(*args, barrier)) for fn, args in targets]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=180)
    codes = [p.exitcode for p in processes]
    assert codes == [0] * len(processes), f"a writer failed (see its traceback above): {codes}"


def prepare(url: str, tmp_path: Path) -> str:
    data = tmp_path / "data"
    engine = open_engine(url, data_dir=data)
    with write_session(session_factory(engine)) as session:
        load_catalog(session, catalog(), NOW)
    engine.dispose()
    return str(data)


def count_completions(url: str) -> list[tuple[str, int]]:
    engine = open_engine(url)
    with session_factory(engine)() as session:
        rows = session.execute(
            select(CompletionRow.by, func.count())
            .group_by(CompletionRow.by)
            .order_by(CompletionRow.by)
        ).all()
    engine.dispose()
    return [(by, n) for by, n in rows]


@pytest.mark.slow
def test_two_processes_record_completions_at_once(db_url: str, tmp_path: Path) -> None:
    url, data = db_url, prepare(db_url, tmp_path)
    run_all(
        [
            (workers.record_many, (url, data, "first", ROUNDS)),
            (workers.record_many, (url, data, "second", ROUNDS)),
        ]
    )
    assert count_completions(url) == [("first", ROUNDS), ("second", ROUNDS)]


@pytest.mark.slow
def test_loads_and_completions_interleave(db_url: str, tmp_path: Path) -> None:
    url, data = db_url, prepare(db_url, tmp_path)
    run_all(
        [
            (workers.load_many, (url, data, ROUNDS // 2)),
            (workers.record_many, (url, data, "curator", ROUNDS)),
        ]
    )
    assert count_completions(url) == [("curator", ROUNDS)]
    engine = open_engine(url)
    with session_factory(engine)() as session:
        assert len(occurrences_of(session, "test-plan")) == TOTAL
    engine.dispose()


@pytest.mark.slow
def test_two_processes_create_a_new_database_at_once(db_url: str, tmp_path: Path) -> None:
    data, url = tmp_path / "data", db_url
    run_all([(workers.open_only, (url, str(data))), (workers.open_only, (url, str(data)))])
    engine = open_engine(url)
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(PlanRow)) == 1
    engine.dispose()
