"""The scheduler: trigger times as pure functions (Asia/Irkutsk has no DST,
Europe/Berlin changes twice a year), catch-up of a missed run from a real
SQLAlchemyJobStore on a SQLite file, and the daemon end to end."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from notifications.outbox import build_outbox, missed_daily_runs
from roadmap.app import App
from scheduler import jobs
from scheduler.daemon import (
    DAILY_FUNC,
    JOBSTORE_TABLE,
    MISFIRE_GRACE,
    RETRY_ID,
    build_scheduler,
    daily_trigger,
    run_daemon,
)
from tests.reminders.conftest import DEFAULTS, EVERYONE, PLAN, TODAY, Relay, Server

IRKUTSK = ZoneInfo("Asia/Irkutsk")
BERLIN = ZoneInfo("Europe/Berlin")

# ---------------------------------------------------------------- pure triggers


def fire_after(trigger: CronTrigger, now: datetime) -> datetime:
    fire = trigger.get_next_fire_time(None, now)
    assert fire is not None
    return fire


def test_irkutsk_fires_at_eight_local_which_is_midnight_utc() -> None:
    trigger = daily_trigger(time(8, 0), "Asia/Irkutsk")
    # 23:30 UTC on 29 Feb is already 07:30 on 1 March in Irkutsk.
    fire = fire_after(trigger, datetime(2024, 2, 29, 23, 30, tzinfo=UTC))
    assert fire == datetime(2024, 3, 1, 8, 0, tzinfo=IRKUTSK)
    assert fire.astimezone(UTC) == datetime(2024, 3, 1, 0, 0, tzinfo=UTC)
    # Just after: the next one is a day (exactly 24 h of real time: no DST) later.
    after = fire_after(trigger, fire + timedelta(seconds=1))
    assert after.astimezone(UTC) - fire.astimezone(UTC) == timedelta(hours=24)
    # The same wall time all year round.
    summer = fire_after(trigger, datetime(2024, 7, 1, 1, 0, tzinfo=UTC))
    assert summer.astimezone(UTC).time() == time(0, 0)


def test_berlin_keeps_eight_local_across_both_dst_changes() -> None:
    trigger = CronTrigger(hour=8, minute=0, timezone=BERLIN)
    # Spring forward: night of 30→31 March 2024 (CET+1 → CEST+2).
    sat = fire_after(trigger, datetime(2024, 3, 30, 0, 0, tzinfo=UTC))
    sun = fire_after(trigger, sat + timedelta(seconds=1))
    assert sat.astimezone(UTC) == datetime(2024, 3, 30, 7, 0, tzinfo=UTC)
    assert sun.astimezone(UTC) == datetime(2024, 3, 31, 6, 0, tzinfo=UTC)
    assert sun.astimezone(UTC) - sat.astimezone(UTC) == timedelta(hours=23)
    assert (sun.hour, sun.minute) == (8, 0)  # the same wall time, 23 real hours later
    # Fall back: night of 26→27 October 2024.
    sat = fire_after(trigger, datetime(2024, 10, 26, 0, 0, tzinfo=UTC))
    sun = fire_after(trigger, sat + timedelta(seconds=1))
    assert sat.astimezone(UTC) == datetime(2024, 10, 26, 6, 0, tzinfo=UTC)
    assert sun.astimezone(UTC) == datetime(2024, 10, 27, 7, 0, tzinfo=UTC)
    assert sun.astimezone(UTC) - sat.astimezone(UTC) == timedelta(hours=25)


def test_the_zone_is_the_triggers_not_the_hosts() -> None:
    trigger = daily_trigger(time(8, 30), "Europe/Berlin")
    assert trigger.timezone == BERLIN
    # Noon in Irkutsk is 05:00 in Berlin: Berlin's 08:30 is still ahead today.
    fire = fire_after(trigger, datetime(2024, 1, 10, 12, 0, tzinfo=IRKUTSK))
    assert fire == datetime(2024, 1, 10, 8, 30, tzinfo=BERLIN)
    assert fire.astimezone(UTC) == datetime(2024, 1, 10, 7, 30, tzinfo=UTC)


# ---------------------------------------------------------------- catch-up

RUNS: list[datetime] = []


def record_run(label: str) -> None:
    """A job function the store can refer to by name."""
    RUNS.append(datetime.now(UTC))


def store_job(url: str, job_id: str, func: str, args: list[Any], trigger: CronTrigger,
              next_run_time: datetime) -> None:
    """Put a job in the store as a daemon that then died would have left it."""
    holder = AsyncIOScheduler()  # never started: only lends the job a scheduler
    store = SQLAlchemyJobStore(url=url, tablename=JOBSTORE_TABLE)
    store.start(holder, "default")
    job = Job(
        holder,
        id=job_id,
        func=func,
        trigger=trigger,
        executor="default",
        args=args,
        kwargs={},
        name=job_id,
        misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
        coalesce=True,
        max_instances=1,
        next_run_time=next_run_time,
    )
    store.add_job(job)
    store.shutdown()


def finished(caplog: pytest.LogCaptureFixture, job_name: str) -> bool:
    """Whether a run of the daemon's job ``job_name`` has returned (APScheduler's
    executor logs it then; needs ``caplog`` at INFO for ``apscheduler``)."""
    return any(
        r.name.startswith("apscheduler.executors")
        and r.getMessage().startswith(f'Job "{job_name} (')
        and r.getMessage().endswith('" executed successfully')
        for r in caplog.records
    )


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(("late", "runs"), [(timedelta(hours=2), 1), (timedelta(hours=13), 0)])
async def test_missed_days_within_the_grace_run_once_when_the_scheduler_starts(
    tmp_path: Path, late: timedelta, runs: int
) -> None:
    RUNS.clear()
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    last_due = now - late  # today's run, missed
    trigger = CronTrigger(hour=last_due.hour, minute=last_due.minute, timezone=UTC)
    # Down for three days: the stored next run is three days old.
    store_job(url, "daily-digest:UTC", "tests.reminders.test_scheduler:record_run",
              ["x"], trigger, last_due - timedelta(days=3))

    scheduler = AsyncIOScheduler(jobstores={"default": SQLAlchemyJobStore(url=url)},
                                 timezone=UTC)
    # The executor reports once the runs it was handed are all done (run or
    # missed): any second run of this wake-up would be counted by then.
    handled = asyncio.Event()
    loop = asyncio.get_running_loop()
    scheduler.add_listener(lambda _event: loop.call_soon_threadsafe(handled.set),
                           EVENT_JOB_EXECUTED | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        await asyncio.wait_for(handled.wait(), timeout=15)
        assert len(RUNS) == runs  # coalesced: one run for four missed ones, or none
        job = scheduler.get_job("daily-digest:UTC")
        assert job is not None and job.next_run_time == last_due + timedelta(days=1)
    finally:
        scheduler.shutdown(wait=True)


def second_plan(plans_dir: Path) -> None:
    text = (PLAN % DEFAULTS).replace("id: test-city\n", "id: test-berlin\n", 1)
    text = text.replace("timezone: Asia/Irkutsk", "timezone: Europe/Berlin")
    (plans_dir / "test-berlin.yaml").write_text(text, encoding="utf-8")


def test_build_scheduler_one_daily_job_per_zone(
    plans_dir: Path, run: Any, make_app: Callable[..., App]
) -> None:
    second_plan(plans_dir)
    assert run("load", str(plans_dir)).exit_code == 0
    app = make_app()
    scheduler = build_scheduler(app)
    try:
        found = {job.id: job for job in scheduler.get_jobs()}
        assert set(found) == {
            "daily-digest:Asia/Irkutsk", "daily-digest:Europe/Berlin", RETRY_ID
        }
        for zone in ("Asia/Irkutsk", "Europe/Berlin"):
            job = found[f"daily-digest:{zone}"]
            assert job.func_ref == DAILY_FUNC and list(job.args) == [zone]
            assert isinstance(job.trigger, CronTrigger)
            assert job.trigger.timezone == ZoneInfo(zone)
            assert str(job.trigger) == "cron[hour='8', minute='0']"
            assert job.coalesce is True
            assert job.misfire_grace_time == MISFIRE_GRACE.total_seconds() >= 6 * 3600
    finally:
        jobs.use_app(None)


async def test_daemon_catches_up_a_missed_morning_once_and_stops_on_sigterm(
    loaded: Path, server: Server, relay: Relay, make_app: Callable[..., App], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="apscheduler")
    app = make_app()
    url = app.settings.db_url
    now = datetime.now(UTC)
    missed = now - timedelta(hours=3)
    zone_trigger = CronTrigger(hour=missed.hour, minute=missed.minute, timezone=UTC)
    store_job(url, "daily-digest:Asia/Irkutsk", DAILY_FUNC, ["Asia/Irkutsk"], zone_trigger,
              missed)
    store_job(url, "daily-digest:Europe/Moscow", DAILY_FUNC, ["Europe/Moscow"], zone_trigger,
              now + timedelta(hours=1))  # no plan uses this zone any more

    # build_scheduler keeps the missed run due (replace_existing alone would
    # recompute it from now and skip today's digest).
    scheduler = build_scheduler(app)
    pending = {job.id: job for job in scheduler.get_jobs()}
    assert pending["daily-digest:Asia/Irkutsk"].next_run_time == missed
    assert "daily-digest:Europe/Moscow" not in pending
    jobs.use_app(None)

    stop = asyncio.Event()
    daemon = asyncio.create_task(run_daemon(app, stop))
    # Both jobs due at start (the missed morning, and the retry job that also
    # catches up lost mornings) have run: a duplicate would be in by now.
    await wait_for(lambda: finished(caplog, "daily digest Asia/Irkutsk")
                   and finished(caplog, "retry pending mail"))
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)  # once, not once per job run

    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(daemon, timeout=30)
    assert stop.is_set()

    store = SQLAlchemyJobStore(url=url, tablename=JOBSTORE_TABLE)
    store.start(AsyncIOScheduler(), "default")
    try:
        ids = {job.id for job in store.get_all_jobs()}
        assert ids == {"daily-digest:Asia/Irkutsk", RETRY_ID}
        job = store.lookup_job("daily-digest:Asia/Irkutsk")
        assert job is not None
        # Next: the configured 08:00 in Irkutsk, in the future.
        assert job.next_run_time > now
        assert job.next_run_time.astimezone(IRKUTSK).time() == time(8, 0)
    finally:
        store.shutdown()


async def test_retry_job_sends_pending_rows_and_daemon_stops_on_event(
    loaded: Path, server: Server, relay: Relay, make_app: Callable[..., App]
) -> None:
    app = make_app()
    build_outbox(app)  # rows pending, nothing sent yet
    assert relay.received == []
    stop = asyncio.Event()
    daemon = asyncio.create_task(run_daemon(app, stop))
    await wait_for(lambda: len(relay.received) >= 4)
    stop.set()
    await asyncio.wait_for(daemon, timeout=30)
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)


# ---------------------------------------------------------------- a lost run


def at(day: date, clock: str, zone: ZoneInfo) -> timedelta:
    """The shift of an App's «now» that puts it at ``clock`` on ``day`` in ``zone``."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=zone) - datetime.now(UTC)


def test_a_zones_run_is_missing_from_its_reminder_time_until_a_build_stores_it(
    plans_dir: Path, run: Any, make_app: Callable[..., App]
) -> None:
    second_plan(plans_dir)
    assert run("load", str(plans_dir)).exit_code == 0

    def clock_at(day: date, clock: str, zone: ZoneInfo) -> App:
        return make_app(at(day, clock, zone), today=None)  # «today» from «now», zone by zone

    # 07:59 in Irkutsk: nothing is due yet anywhere.
    assert missed_daily_runs(clock_at(TODAY, "07:59", IRKUTSK)) == []
    # 08:01 in Irkutsk is 01:01 in Berlin: only Irkutsk's run is due, and missing.
    app = clock_at(TODAY, "08:01", IRKUTSK)
    assert missed_daily_runs(app) == ["Asia/Irkutsk"]
    # One plan's build (``remind --plan``) is not the zone's daily run...
    build_outbox(app, plan="test-city")
    assert missed_daily_runs(app) == ["Asia/Irkutsk"]
    # ...the zone's build is, for that zone and day only.
    build_outbox(app, zone="Asia/Irkutsk")
    assert missed_daily_runs(app) == []
    assert missed_daily_runs(clock_at(TODAY, "08:01", BERLIN)) == ["Europe/Berlin"]
    tomorrow = clock_at(TODAY + timedelta(days=1), "08:01", IRKUTSK)
    assert missed_daily_runs(tomorrow) == ["Asia/Irkutsk"]
    # A build of every zone (``roadmap remind``) records each zone's own date.
    build_outbox(clock_at(TODAY, "23:30", BERLIN))  # already the 2nd in Irkutsk
    assert missed_daily_runs(tomorrow) == []
    assert missed_daily_runs(clock_at(TODAY, "23:31", BERLIN)) == []


async def test_daemon_runs_a_morning_lost_after_the_scheduler_had_moved_on(
    loaded: Path, server: Server, relay: Relay, make_app: Callable[..., App],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app()  # «today» is TODAY, long past its 08:00
    now = datetime.now(UTC)
    # The process that ran this morning's job died before its build was
    # stored, after the scheduler had already set the job to tomorrow: the
    # job store has nothing due, and the grace of a misfire does not apply.
    store_job(app.settings.db_url, "daily-digest:Asia/Irkutsk", DAILY_FUNC, ["Asia/Irkutsk"],
              daily_trigger(time(8, 0), "Asia/Irkutsk"), now + timedelta(hours=20))
    assert missed_daily_runs(app) == ["Asia/Irkutsk"]

    caplog.set_level("INFO", logger=jobs.__name__)
    caplog.set_level("INFO", logger="apscheduler")
    stop = asyncio.Event()
    daemon = asyncio.create_task(run_daemon(app, stop))
    # The catch-up runs inside the retry job, started at once.
    await wait_for(lambda: finished(caplog, "retry pending mail"))
    stop.set()
    await asyncio.wait_for(daemon, timeout=30)
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    assert "сегодняшний запуск не состоялся; выполняется сейчас" in caplog.text
    assert missed_daily_runs(app) == []

    # Started again the same day: the run is on record and is not repeated.
    caplog.clear()
    stop = asyncio.Event()
    daemon = asyncio.create_task(run_daemon(app, stop))
    await wait_for(lambda: finished(caplog, "retry pending mail"))
    stop.set()
    await asyncio.wait_for(daemon, timeout=30)
    said = "\n".join(r.getMessage() for r in caplog.records if r.name == jobs.__name__)
    assert "today's run" not in said
    assert "daily digest Asia/Irkutsk" not in said
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
