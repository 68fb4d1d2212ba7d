"""Several daemons on one PostgreSQL database: the daily job of a zone fires
in all of them at the same moment, its body runs in one (the job lock), and
each recipient gets one digest for the day.

Real OS processes (spawned), each running ``scheduler.jobs.daily_digest``
as its scheduler would, a real aiosmtpd relay on loopback and a fresh
PostgreSQL database with the plans of ``conftest.py`` loaded."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from notifications.outbox import missed_daily_runs
from roadmap.app import App
from scheduler import jobs
from tests.backends import fresh_pg_database, postgres_only
from tests.reminders import workers
from tests.reminders.conftest import EVERYONE, TODAY, Relay, Run, Server

ZONE = "Asia/Irkutsk"
PROCESSES = 2
CALLS = 2  # concurrent job runs in each process (cron and catch-up may meet)
# Spawned children start clean (no engine or connection inherited by fork).
CTX = multiprocessing.get_context("spawn")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def env_extra(env_extra: dict[str, str | None], pg_url: str) -> dict[str, str | None]:
    """The suite's SMTP settings, on the fresh PostgreSQL database."""
    return {**env_extra, "ROADMAP_DB_URL": pg_url}


def outbox(run: Run) -> list[dict[str, Any]]:
    result = run("outbox", "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


@postgres_only
@pytest.mark.slow
def test_two_daemons_at_once_send_one_digest_per_recipient(
    loaded: Path,
    server: Server,
    relay: Relay,
    run: Run,
    env: dict[str, str | None],
    tmp_path: Path,
) -> None:
    # Each message takes the relay 0.3 s: the lock holder's body lasts over
    # a second, while the others try the lock within milliseconds of it.
    relay.delay = 0.3
    environ = {k: v for k, v in env.items() if v is not None}
    barrier = CTX.Barrier(PROCESSES)
    logs = [tmp_path / f"jobs-{n}.json" for n in range(PROCESSES)]
    processes = [
        CTX.Process(
            target=workers.daily_jobs,
            args=(environ, ZONE, TODAY.isoformat(), CALLS, barrier, str(log)),
        )
        for log in logs
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=180)
    codes = [p.exitcode for p in processes]
    assert codes == [0] * PROCESSES, f"a daemon failed (see its traceback above): {codes}"

    lines = [line for log in logs for line in json.loads(log.read_text(encoding="utf-8"))]
    ran = [line for line in lines if line.startswith(f"рассылка {ZONE}: ") and "новых" in line]
    skipped = [line for line in lines
               if "её выполняет другой процесс" in line or "уже идёт в этом процессе" in line]
    assert len(ran) == 1, lines  # the body ran once, in one process...
    assert ran[0].startswith(f"рассылка {ZONE}: новых 4, отправлено 4"), ran
    assert len(skipped) == PROCESSES * CALLS - 1, lines  # ...while the others tried

    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    rows = outbox(run)
    assert len({r["key"] for r in rows}) == len(rows)
    mailed = [r for r in rows if r["recipient"] in EVERYONE]
    assert Counter(r["recipient"] for r in mailed) == dict.fromkeys(EVERYONE, 1)
    assert {r["local_date"] for r in mailed} == {TODAY.isoformat()}
    # Claimed once each: a second claim would have counted a second attempt.
    assert [(r["status"], r["attempts"]) for r in mailed] == [("sent", 1)] * len(EVERYONE)


@postgres_only
@pytest.mark.slow
async def test_a_run_lost_with_its_process_is_caught_up_by_another_daemon(
    loaded: Path, server: Server, relay: Relay, env: dict[str, str | None],
    make_app: Callable[..., App], caplog: pytest.LogCaptureFixture,
) -> None:
    environ = {k: v for k, v in env.items() if v is not None}
    held = CTX.Event()
    holder = CTX.Process(target=workers.hold_daily_lock, args=(environ, ZONE, held))
    holder.start()
    try:
        assert held.wait(timeout=60), "the holder did not take the lock"
        app = make_app()
        jobs.use_app(app)  # what build_scheduler does in this daemon
        caplog.set_level("INFO", logger=jobs.__name__)

        # While the other daemon is (seemingly) building, this one's retry
        # job sees the run missing but leaves it to the lock holder.
        await jobs.retry_pending()
        assert "её выполняет другой процесс" in caplog.text
        assert relay.received == []

        # The holder dies mid-build (SIGKILL: no clean-up of any kind). Its
        # session ends, the server drops its lock, and the next retry run
        # here does the day's build and sends it.
        holder.kill()
        holder.join(timeout=30)
        for _attempt in range(50):
            await jobs.retry_pending()
            if relay.received:
                break
            await asyncio.sleep(0.2)  # until the server has ended the session
        assert "сегодняшний запуск не состоялся; выполняется сейчас" in caplog.text
        assert relay.counts() == dict.fromkeys(EVERYONE, 1)
        assert missed_daily_runs(app) == []
    finally:
        jobs.use_app(None)
        if holder.is_alive():
            holder.kill()
            holder.join(timeout=30)
