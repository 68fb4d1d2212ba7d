"""APScheduler 3.11 wiring of the daily digests (``roadmap serve`` runs it).

- One daily job per distinct time zone of the loaded plans, id
  ``daily-digest:<zone>``, at ``reminder_time`` *in that zone*
  (``CronTrigger(..., timezone=zone)`` — never the host's zone), calling
  ``scheduler.jobs:daily_digest(zone)``.
- A retry job (``retry-pending``) every few minutes sends rows whose
  back-off has passed; it also runs once right after start.
- Jobs live in a :class:`SQLAlchemyJobStore` (table ``apscheduler_jobs``)
  on the App's database, so a restart knows what was missed. Every job has a
  stable id and is added with ``replace_existing=True``; ``coalesce=True``
  with a ``misfire_grace_time`` of hours means a daemon that was down at
  08:00 sends once when it comes back (one digest, not one per missed day;
  the job is idempotent anyway thanks to the outbox key). Because
  ``replace_existing`` would otherwise recompute — and so skip — a missed
  run, :func:`build_scheduler` keeps a stored run time that is already due.
- A run the job store has moved past without it happening — down past the
  grace, or the process died mid-build — is caught up by the retry job the
  same day (:func:`scheduler.jobs.retry_pending`, from the ``daily_runs``
  record of each zone's build).
- Several daemons on one PostgreSQL database: each has its scheduler on
  the shared job rows, but a daily job's body runs in the one process that
  gets its job lock (:func:`scheduler.jobs.daily_digest`), and outbox rows
  are claimed with ``SKIP LOCKED``; the outbox key keeps each digest to one
  copy regardless. On SQLite, run one daemon per database.
- Shutdown (SIGTERM/SIGINT → ``stop``): no new runs, running jobs finish the
  message in hand and give the rest back to the queue, then
  ``scheduler.shutdown(wait=True)``. Never ``start(paused=True)``: a paused
  scheduler shut down loses its due runs.

Example (what ``roadmap serve`` does)::

    stop = asyncio.Event()
    await run_daemon(app, stop)   # until SIGTERM/SIGINT or stop.set()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from roadmap.app import App
from roadmap.i18n import _
from scheduler import jobs

log = logging.getLogger(__name__)

JOBSTORE_TABLE = "apscheduler_jobs"
DAILY_PREFIX = "daily-digest:"
RETRY_ID = "retry-pending"
DAILY_FUNC = "scheduler.jobs:daily_digest"
RETRY_FUNC = "scheduler.jobs:retry_pending"
# A daily run missed by up to this much (daemon down, host asleep) still
# happens, once; later it is dropped and the next day's run covers it.
MISFIRE_GRACE = timedelta(hours=12)
RETRY_EVERY = timedelta(minutes=5)
# How long a shutdown waits for running jobs to finish their message.
SHUTDOWN_WAIT = timedelta(seconds=90)


def daily_trigger(at: time, zone: str) -> CronTrigger:
    """Every day at ``at`` local time in ``zone`` (DST handled by the zone)."""
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=ZoneInfo(zone))


def _stored_run_times(store: SQLAlchemyJobStore) -> dict[str, datetime | None]:
    table = store.jobs_t
    table.create(store.engine, checkfirst=True)
    with store.engine.connect() as connection:
        rows = connection.execute(select(table.c.id, table.c.next_run_time)).all()
    return {
        job_id: datetime.fromtimestamp(ts, UTC) if ts is not None else None
        for job_id, ts in rows
    }


def build_scheduler(app: App, stop: asyncio.Event | None = None) -> AsyncIOScheduler:
    """A configured, not yet started scheduler for ``app``'s plans.

    Registers ``app`` for the job functions (:func:`scheduler.jobs.use_app`)
    and removes the daily jobs of zones no loaded plan uses any more."""
    from notifications.outbox import plan_zones

    jobs.use_app(app, stop)
    store = SQLAlchemyJobStore(engine=app.engine, tablename=JOBSTORE_TABLE)
    # Set on every job, not only as defaults: a job's own values are stored
    # with it and are what a restarted scheduler uses.
    once: dict[str, Any] = {
        "coalesce": True,
        "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
        "max_instances": 1,
    }
    scheduler = AsyncIOScheduler(jobstores={"default": store}, job_defaults=once, timezone=UTC)
    with app.sessions() as session:
        zones = plan_zones(session)
    stored = _stored_run_times(store)
    now = app.clock.now()
    at: time = app.settings["reminder_time"]
    for zone in zones:
        job_id = DAILY_PREFIX + zone
        extra: dict[str, Any] = {}
        previous = stored.get(job_id)
        if previous is not None and previous <= now:
            # A run that was due while we were down: replacing the job would
            # compute the next run from now and skip it. Keep it due.
            extra["next_run_time"] = previous
        scheduler.add_job(
            DAILY_FUNC,
            trigger=daily_trigger(at, zone),
            args=[zone],
            id=job_id,
            name=f"daily digest {zone}",
            replace_existing=True,
            **once,
            **extra,
        )
    for job_id in stored:
        if job_id.startswith(DAILY_PREFIX) and job_id[len(DAILY_PREFIX):] not in zones:
            with contextlib.suppress(JobLookupError):
                store.remove_job(job_id)
    scheduler.add_job(
        RETRY_FUNC,
        trigger=IntervalTrigger(seconds=int(RETRY_EVERY.total_seconds()), timezone=UTC),
        id=RETRY_ID,
        name="retry pending mail",
        replace_existing=True,
        next_run_time=now,
        **once,
    )
    return scheduler


async def run_daemon(app: App, stop: asyncio.Event) -> None:
    """Run the scheduler until ``stop`` is set (SIGTERM/SIGINT set it)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread / platform
            pass
    scheduler = build_scheduler(app, stop)
    scheduler.start()
    log.info(_("планировщик запущен: %s"), ", ".join(j.id for j in scheduler.get_jobs()))
    try:
        await stop.wait()
    finally:
        log.info(_("планировщик останавливается"))
        scheduler.pause()  # no new runs
        running = jobs.running()
        if running:
            # The jobs see ``stop`` and return after the message in hand.
            await asyncio.wait(running, timeout=SHUTDOWN_WAIT.total_seconds())
        scheduler.shutdown(wait=True)
        jobs.use_app(None)
        for sig in installed:
            loop.remove_signal_handler(sig)
