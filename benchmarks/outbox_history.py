"""The outbox's cost does not grow with its history.

Run: ``.venv/bin/python benchmarks/outbox_history.py [--scale small] [--days 450] [--body-days 60] [--rounds 5]``

Builds the country of ``benchmarks/national.py`` at ``--scale`` (SQLite,
temporary), marks 60 % of the past done, then times the day-1 sweep (status
counts and the outbox fill of every plan, the daily job's work) on the
fresh database. Then it stores ``--days`` (450) days of simulated history —
as many rows a day as that fill stores, finished (``sent``, some
``failed``), the last ``--body-days`` (60) with a body — and times the very
same sweep again; then the purge (:func:`notifications.retention.purge_outbox`,
default retention: bodies 30 days, rows 400), a second purge (nothing left
to visit), and the sweep on the year that is kept. Each sweep is run
``--rounds`` times (the day's rows deleted between rounds); the medians are
compared. Target: within 10 % of the fresh database.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import national  # the country and its phases (this script's folder is on the path)
from sqlalchemy import delete, func, insert, select

from notifications.retention import purge_outbox
from roadmap.app import App
from roadmap.storage.db import write_session
from roadmap.storage.tables import OUTBOX_FAILED, OUTBOX_SENT, OutboxRow

BODY = b"x" * 512  # a stand-in body (the real ones are ~30 KiB; their size is not read)


def day_sweep(app: App, results: national.Results) -> tuple[float, float]:
    """One day-1 sweep, its rows removed afterwards: (counts, fill) seconds."""
    before = dict(results.seconds)
    national.sweep(app, national.TODAY, results, "", lambda _line: None)
    with write_session(app.sessions) as session:
        session.execute(delete(OutboxRow).where(OutboxRow.local_date == national.TODAY))
    return tuple(  # type: ignore[return-value]
        results.seconds[k] - before.get(k, 0.0)
        for k in ("sweep: status counts", "sweep: outbox fill")
    )


def history(app: App, days: int, per_day: int, body_days: int) -> int:
    """``days`` days before TODAY of finished rows, ``per_day`` a day, the
    last ``body_days`` days with a body."""
    stored = 0
    for back in range(1, days + 1):
        day = national.TODAY - timedelta(days=back)
        at = national.NOW - timedelta(days=back)
        rows = [
            dict(key=f"digest/{day}/Asia/Irkutsk/h{n}@example.org", recipient=f"h{n}@example.org",
                 kind="digest", local_date=day, zone="Asia/Irkutsk", subject="Дорожная карта",
                 message=BODY if back <= body_days else b"",
                 status=OUTBOX_FAILED if n % 97 == 0 else OUTBOX_SENT, attempts=1,
                 next_attempt_at=at, created_at=at, sent_at=at, recipe=None)
            for n in range(per_day)
        ]
        with write_session(app.sessions) as session:
            for i in range(0, len(rows), 2000):
                session.execute(insert(OutboxRow), rows[i:i + 2000])
        stored += len(rows)
    national.analyze(app.engine)
    checkpoint(app)
    return stored


def checkpoint(app: App) -> None:
    """Write the WAL back into the database file, so that the next sweeps do
    not pay for the bulk insert before them."""
    with app.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def medians(sweeps: list[tuple[float, float]]) -> tuple[float, float, float]:
    counts = statistics.median(c for c, _f in sweeps)
    fill = statistics.median(f for _c, f in sweeps)
    return counts, fill, statistics.median(c + f for c, f in sweeps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(national.SCALES), default="small")
    parser.add_argument("--days", type=int, default=450)
    parser.add_argument("--body-days", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roadmap-outbox-") as tmp:
        folder = Path(tmp)
        app = national.make_app(f"sqlite:///{folder / 'roadmap.db'}", folder, national.TODAY)
        results = national.Results(args.scale, "sqlite")
        try:
            national.load(app, national.SCALES[args.scale], results, lambda _line: None)
            national.mark_done(app, results)
            fresh = [day_sweep(app, results) for _ in range(args.rounds + 1)][1:]
            national.sweep(app, national.TODAY, results, "", lambda _line: None)
            with app.sessions() as session:
                per_day = session.scalar(select(func.count()).select_from(OutboxRow)) or 0
                session.rollback()
            with write_session(app.sessions) as session:
                session.execute(delete(OutboxRow))
            stored = history(app, args.days, per_day, args.body_days)
            print(f"{args.scale}: {per_day} messages a day; history: {stored} rows "
                  f"({args.days} days, bodies for {args.body_days})")
            rows = [
                ("fresh outbox", medians(fresh)),
                ("full history, before the purge",
                 medians([day_sweep(app, results) for _ in range(args.rounds)])),
            ]
            app.clock.fixed_today = None  # the purge counts from the clock's date (NOW)
            t0 = time.perf_counter()
            purged = purge_outbox(app)
            print(f"purge: {purged.bodies} bodies dropped, {purged.rows} rows deleted, "
                  f"{time.perf_counter() - t0:.2f} s")
            t0 = time.perf_counter()
            again = purge_outbox(app)
            print(f"purge again: {again.bodies} bodies, {again.rows} rows, "
                  f"{(time.perf_counter() - t0) * 1000:.1f} ms")
            app.clock.fixed_today = national.TODAY
            national.analyze(app.engine)
            checkpoint(app)
            rows.append(("after the purge (a year kept)",
                         medians([day_sweep(app, results) for _ in range(args.rounds)])))
            base = rows[0][1][2]
            print(f"{'day-1 sweep (medians of ' + str(args.rounds) + ')':<34} "
                  f"{'counts':>8} {'fill':>8} {'total':>8} {'ratio':>6}")
            for label, (counts, fill, total) in rows:
                print(f"{label:<34} {counts:>8.3f} {fill:>8.3f} {total:>8.3f} {total / base:>6.2f}")
            print("target: the sweep with a year of history within 10 % of the fresh one")
        finally:
            app.close()


if __name__ == "__main__":
    main()
