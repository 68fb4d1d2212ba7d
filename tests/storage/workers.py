"""Process entry points for the concurrency tests (importable by a spawned
child, which cannot pickle a test's local function)."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

from roadmap.storage.db import job_lock, open_engine, session_factory, write_session
from roadmap.storage.repository import load_catalog, occurrences_of, record_completion
from tests.storage.factory import catalog, make_plan


def record_many(url: str, data_dir: str, who: str, rounds: int, barrier: Barrier) -> None:
    """Record ``rounds`` completions, each in its own read-then-write unit."""
    engine = open_engine(url, data_dir=Path(data_dir))
    sessions = session_factory(engine)
    barrier.wait(timeout=60)
    for n in range(rounds):
        with write_session(sessions) as session:
            # Read first, then write: the pattern that fails at once under a
            # deferred BEGIN when another process commits in between.
            occurrences = occurrences_of(session, "test-plan")
            target = occurrences[n % len(occurrences)]
            record_completion(session, target.id, by=who, at=datetime.now(UTC), note=str(n))
    engine.dispose()


def load_many(url: str, data_dir: str, rounds: int, barrier: Barrier) -> None:
    """Reload the plan ``rounds`` times, alternating an activity's wording."""
    engine = open_engine(url, data_dir=Path(data_dir))
    sessions = session_factory(engine)
    barrier.wait(timeout=60)
    for n in range(rounds):
        plan = make_plan()
        if n % 2:
            first = plan.sections[0]
            tasks = (dataclasses.replace(first.tasks[0], activity=f"Вариант {n}"), *first.tasks[1:])
            plan = dataclasses.replace(
                plan, sections=(dataclasses.replace(first, tasks=tasks), *plan.sections[1:])
            )
        with write_session(sessions) as session:
            load_catalog(session, catalog(plan), datetime.now(UTC))
    engine.dispose()


def open_only(url: str, data_dir: str, barrier: Barrier) -> None:
    """Open a brand-new database (racing another process to create it)."""
    barrier.wait(timeout=60)
    engine = open_engine(url, data_dir=Path(data_dir))
    with write_session(session_factory(engine)) as session:
        load_catalog(session, catalog(), datetime.now(UTC))
    engine.dispose()


def hold_job_lock(url: str, name: str, held: Event) -> None:
    """Take the job lock ``name``, say so, and keep it until killed."""
    engine = open_engine(url, migrate=False)
    with job_lock(engine, name) as mine:
        assert mine
        held.set()
        time.sleep(600)
