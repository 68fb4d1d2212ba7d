"""``roadmap serve``: one process serves feeds and runs the daily scheduler,
and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.reminders.conftest import free_port


def start(env: dict[str, str | None], *args: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("ROADMAP_")}
    full.update({k: v for k, v in env.items() if v is not None})
    proc = subprocess.Popen(
        [sys.executable, "-m", "roadmap", "serve", "--port", str(port), *args],
        env=full,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nothing", timeout=1)
        except urllib.error.HTTPError as err:
            if err.code == 404:  # listening: nothing is served without a token
                return proc, port
        except OSError:
            time.sleep(0.2)
        if proc.poll() is not None:
            break
    proc.kill()
    _out, err = proc.communicate()
    pytest.fail(f"serve did not start: {err.decode()}")


def jobs(env: dict[str, str | None]) -> list[str]:
    db = Path(str(env["ROADMAP_DATA_DIR"])) / "roadmap.db"
    with sqlite3.connect(db) as conn:
        try:
            return [r[0] for r in conn.execute("SELECT id FROM apscheduler_jobs ORDER BY id")]
        except sqlite3.OperationalError as err:
            if "no such table: apscheduler_jobs" not in str(err):
                raise
            return []  # the scheduler has not created its table yet


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("serve did not stop on SIGTERM")
    assert proc.returncode == 0, err.decode()
    return err.decode()


@pytest.mark.slow
def test_serve_runs_feeds_and_the_daily_job_then_stops_on_sigterm(
    loaded: Path, env: dict[str, str | None], run
) -> None:
    created = run("feed", "create", "--plan", "test-city")
    assert created.exit_code == 0, created.stderr
    url = next(w for w in created.stdout.split() if w.startswith("http") and w.endswith(".ics"))
    proc, port = start(env)
    try:
        path = url.split("/feeds/", 1)[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feeds/{path}", timeout=10) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/calendar")
            assert b"BEGIN:VCALENDAR" in resp.read()
        assert "daily-digest:Asia/Irkutsk" in jobs(env)
    finally:
        log = stop(proc)
    assert path not in log  # tokens never reach the log


@pytest.mark.slow
def test_serve_without_scheduler_schedules_nothing(loaded: Path, env: dict[str, str | None]) -> None:
    proc, _port = start(env, "--no-scheduler")
    stop(proc)
    assert jobs(env) == []
