"""The daemon's job functions.

They are module-level coroutines so that the persistent job store can keep a
textual reference to them (``scheduler.jobs:daily_digest``; lambdas and
bound methods cannot be stored) with plain arguments (the time zone).

How a job gets its :class:`~roadmap.app.App`: it cannot be pickled into
the job store, so the job asks :func:`current_app`. In the daemon,
:func:`scheduler.daemon.build_scheduler` registers the daemon's own App with
:func:`use_app` (same settings, engine and clock as the rest of the
process). A job run without one (a scheduler someone built by hand, a test)
builds an App from the settings — the file named by ``ROADMAP_CONFIG`` and
the ``ROADMAP_*`` environment — and closes it afterwards.

Both jobs are idempotent (see :mod:`notifications.outbox`): running one twice,
or late after a restart, sends nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from roadmap.app import App
from roadmap.i18n import _
from roadmap.status import Status

log = logging.getLogger(__name__)

_app: App | None = None
_stop: asyncio.Event | None = None
_running: set[asyncio.Task[object]] = set()
_in_progress: set[str] = set()  # zones whose daily body runs in this process


def use_app(app: App | None, stop: asyncio.Event | None = None) -> None:
    """Make ``app`` the App of every job run in this process (None: forget it).

    When ``stop`` is set, running jobs finish the message in hand and stop."""
    global _app, _stop
    _app, _stop = app, stop


@asynccontextmanager
async def current_app() -> AsyncIterator[App]:
    """The registered App, or one built from the settings (and closed after)."""
    if _app is not None:
        yield _app
        return
    config = os.environ.get("ROADMAP_CONFIG")
    app = App(config_path=Path(config) if config else None)
    try:
        yield app
    finally:
        app.close()


@asynccontextmanager
async def _tracked() -> AsyncIterator[None]:
    # run_daemon waits for these before it shuts the scheduler down.
    task = asyncio.current_task()
    if task is not None:
        _running.add(task)
    try:
        yield
    finally:
        if task is not None:
            _running.discard(task)


def running() -> set[asyncio.Task[object]]:
    """Job runs in progress (for a clean shutdown)."""
    return set(_running)


def daily_lock_name(zone: str) -> str:
    """The :func:`~roadmap.storage.db.job_lock` name of ``zone``'s daily job."""
    return f"daily-digest:{zone}"


async def daily_digest(zone: str) -> None:
    """Store today's digests for the plans of ``zone`` and send what is due.

    With several daemons on one PostgreSQL database, the body runs only in
    the one that holds the job lock of ``zone``; the others log that and
    return. (Running it twice would still send nothing twice: the lock
    spares the duplicate rendering and the log noise.)"""
    async with _tracked(), current_app() as app:
        await _daily_locked(app, zone)


async def _daily_locked(app: App, zone: str, *, catching_up: bool = False) -> None:
    """The daily body of ``zone`` if no run of it is in progress, here
    (the cron run and a catch-up may meet) or in another process (the job
    lock). A catch-up checks again under the lock that the run is still
    missing: another process may have finished it meanwhile."""
    from notifications.outbox import missed_daily_runs
    from roadmap.storage.db import job_lock

    if zone in _in_progress:
        log.info(_("рассылка %s: уже идёт в этом процессе; пропущена"), zone)
        return
    _in_progress.add(zone)
    try:
        # The lock is one non-blocking query on a pooled connection, taken
        # on the event loop; the body itself does its database work in threads.
        with job_lock(app.engine, daily_lock_name(zone)) as mine:
            if not mine:
                log.info(_("рассылка %s: её выполняет другой процесс; здесь пропущена"), zone)
                return
            if catching_up:
                if zone not in await asyncio.to_thread(missed_daily_runs, app, [zone]):
                    return
                log.warning(_("рассылка %s: сегодняшний запуск не состоялся; выполняется сейчас"), zone)
            await _daily_body(app, zone)
    finally:
        _in_progress.discard(zone)


async def _daily_body(app: App, zone: str) -> None:
    from notifications.outbox import run_reminders
    from notifications.retention import purge_outbox
    from roadmap.errors import StorageError
    from roadmap.storage.health import ensure_intact
    from roadmap.sweep import run_sweep

    try:  # a damaged or hand-edited database is not written to
        await asyncio.to_thread(ensure_intact, app.engine)
    except StorageError as err:
        log.error(_("рассылка %s: не выполнена: %s"), zone, err)
        return

    # The morning's counts (from yesterday's snapshots: cheap), for the log.
    swept = await asyncio.to_thread(run_sweep, app, zone=zone)
    totals = swept.totals()
    log.info(
        _("подсчёт %s: просрочено %d, скоро срок %d; планов без изменений %d, пересчитано %d"),
        zone, totals.get(Status.OVERDUE, 0), totals.get(Status.DUE_SOON, 0),
        swept.cost.carried, swept.cost.recounted,
    )
    report = await run_reminders(app, zone=zone, stop=_stop)
    send = report.send
    log.info(
        _("рассылка %s: новых %d, отправлено %d, отложено %d, не доставлено %d, пропущено %d"),
        zone,
        len(report.build.added),
        send.sent if send else 0,
        (send.retry + send.deferred) if send else 0,
        send.failed if send else 0,
        len(report.build.skipped),
    )
    if send is not None and send.connection_error:
        log.warning(_("рассылка %s: %s"), zone, send.connection_error)
    # After the day's mail, in small transactions: retention of old rows.
    purged = await asyncio.to_thread(purge_outbox, app, stop=_stopping)
    if purged.bodies or purged.rows:
        log.info(_("очередь писем: удалено старых текстов %d, старых записей %d"), purged.bodies,
                 purged.rows)


def _stopping() -> bool:
    return _stop is not None and _stop.is_set()


async def retry_pending() -> None:
    """Run today's daily digest of any zone that lost it, then send the
    outbox rows whose next attempt has come.

    A zone's run is lost when its reminder time has passed today and no
    build stored its messages (:func:`notifications.outbox.missed_daily_runs`):
    the daemon was down past the misfire grace, or the process that held the
    job died mid-build after every scheduler had moved the job to tomorrow.
    The run then happens here, under the same job lock, within one retry
    period."""
    from notifications.outbox import deliver_pending, missed_daily_runs

    async with _tracked(), current_app() as app:
        for zone in await asyncio.to_thread(missed_daily_runs, app):
            if _stop is not None and _stop.is_set():
                return
            await _daily_locked(app, zone, catching_up=True)
        report = await deliver_pending(app, stop=_stop)
        if report.sent or report.retry or report.failed or report.deferred:
            log.info(
                _("повторная отправка: отправлено %d, отложено %d, не доставлено %d"),
                report.sent,
                report.retry + report.deferred,
                report.failed,
            )
        if report.connection_error:
            log.warning(_("повторная отправка: %s"), report.connection_error)
