"""Process entry points for the multi-process reminder test (importable by a
spawned child, which cannot pickle a test's local function)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import date
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

from roadmap.app import App, Clock
from roadmap.settings import load_settings
from roadmap.storage.db import job_lock
from scheduler import jobs


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def daily_jobs(
    environ: dict[str, str], zone: str, today: str, calls: int, barrier: Barrier, out: str
) -> None:
    """Like a daemon whose daily job for ``zone`` fires: ``calls`` concurrent
    runs of ``scheduler.jobs.daily_digest`` once every process is at the
    barrier, «today» pinned to ``today``. The job's log lines go to ``out``
    (JSON)."""
    lines = _Lines()
    logger = logging.getLogger(jobs.__name__)
    logger.setLevel(logging.INFO)
    logger.addHandler(lines)
    app = App(
        settings=load_settings(None, environ=environ),
        clock=Clock(fixed_today=date.fromisoformat(today)),
    )
    app.engine  # noqa: B018 - opened (and its schema checked) before the race
    jobs.use_app(app)  # what build_scheduler does in the daemon
    try:
        barrier.wait(timeout=60)
        asyncio.run(_concurrently(zone, calls))
    finally:
        jobs.use_app(None)
        app.close()
    Path(out).write_text(json.dumps(lines.lines, ensure_ascii=False), encoding="utf-8")


async def _concurrently(zone: str, calls: int) -> None:
    await asyncio.gather(*(jobs.daily_digest(zone) for _n in range(calls)))


def hold_daily_lock(environ: dict[str, str], zone: str, held: Event) -> None:
    """Like a daemon in the middle of ``zone``'s daily build: takes the job
    lock, says so through ``held``, then works until it is killed."""
    app = App(settings=load_settings(None, environ=environ))
    with job_lock(app.engine, jobs.daily_lock_name(zone)) as mine:
        if not mine:
            raise SystemExit("the daily lock was not free")
        held.set()
        time.sleep(600)
