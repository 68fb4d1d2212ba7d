"""Web page speed: the curator's page and the coordinator's dashboard of a
municipality with ``--orgs`` organisations, served over loopback.

Run: ``.venv/bin/python benchmarks/web.py [--orgs 200] [--rounds 30]``

Builds the data directory of ``benchmarks/calendars.py`` (every plan of
``plans/``, the Irkutsk city register replaced by ``--orgs`` generated
schools), marks a tenth of the schools' first items done, starts the web
application on 127.0.0.1 and measures, with an aiohttp client holding each
link's session, the wall time of complete requests (status, body read):

- ``GET /`` of a curator (one school of the city plan);
- ``GET /plan/<city plan>`` of a coordinator (the matrix over every school);
- ``GET /plan/<region plan>`` of the region's coordinator (its matrix and
  the child plans' totals).

It prints each median next to the 100 ms target and their ratio; for the
dashboards also the first view after a change (the report cache emptied:
built and rendered again).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calendars import PLAN_ID, free_port, setup

from roadmap.app import App
from roadmap.feeds import Scope
from roadmap.links import create_link
from roadmap.storage.db import write_session
from roadmap.tracking import Selector, StatusFilter, mark_done, status_rows
from roadmap.web.pages import PAGE_CACHE
from roadmap.web.server import make_app

REGION = "irkutsk-oblast-2020-2024"
TARGET_MS = 100.0


def links(app: App) -> dict[str, str]:
    now = app.clock.now()
    with write_session(app.sessions) as session:
        _c, curator = create_link(session, Scope("org", "school-1", PLAN_ID), "bench", now)
        _p, city = create_link(session, Scope("plan", PLAN_ID), "bench", now)
        _r, region = create_link(session, Scope("plan", REGION), "bench", now)
    return {"curator": curator, "city": city, "region": region}


def mark_some_done(app: App, orgs: int) -> int:
    """A tenth of the schools mark their first open item done (a URL)."""
    marked = 0
    with app.sessions() as session:
        rows = status_rows(session, app.clock.today, StatusFilter(plan=PLAN_ID))
    first: dict[str, object] = {}
    for row in rows:
        if row.org and row.status.value in ("overdue", "due_soon") and row.org not in first:
            first[row.org] = row
    for n, row in enumerate(first.values()):
        if n % 10:
            continue
        sel = Selector(row.plan, row.task, org=row.org, party=row.party,  # type: ignore[attr-defined]
                       occurrence=row.occurrence_id)  # type: ignore[attr-defined]
        with write_session(app.sessions) as session:
            mark_done(session, app.clock.today, sel, by="bench", at=app.clock.now(),
                      url="https://example.org/doc")
        marked += 1
    return marked


async def measure(app: App, tokens: dict[str, str], rounds: int) -> dict[str, list[float]]:
    port = free_port()
    application = make_app(app)
    cache = application[PAGE_CACHE]
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    pages = {"curator": "/", "city": f"/plan/{PLAN_ID}", "region": f"/plan/{REGION}"}
    results: dict[str, list[float]] = {}
    try:
        for name, token in tokens.items():
            # unsafe=True: keep cookies of an IP address (127.0.0.1)
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
                async with client.get(f"{base}/l/{token}") as opened:
                    assert opened.status == 200, opened.status  # followed to the page
                samples = []
                size = 0
                for _ in range(rounds + 2):
                    t0 = time.perf_counter()
                    async with client.get(base + pages[name]) as response:
                        body = await response.read()
                        assert response.status == 200, response.status
                    samples.append(time.perf_counter() - t0)
                    size = len(body)
                results[name] = samples[2:]  # the first two warm the caches
                print(f"{name:8} {pages[name]}: {size / 1024:.0f} KiB")
                if name == "curator":
                    continue
                # The first view after a change: the report built and rendered again.
                cold = []
                for _ in range(max(3, rounds // 4)):
                    cache.clear()
                    t0 = time.perf_counter()
                    async with client.get(base + pages[name]) as response:
                        await response.read()
                    cold.append(time.perf_counter() - t0)
                results[name + " (after a change)"] = cold
    finally:
        await runner.cleanup()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = setup(Path(tmp), args.orgs)
        print(f"marked done: {mark_some_done(app, args.orgs)}")
        results = asyncio.run(measure(app, links(app), args.rounds))
        app.close()
    for name, samples in results.items():
        median = statistics.median(samples) * 1000
        print(f"{name:25} median {median:6.1f} ms (p90 {sorted(samples)[int(len(samples) * 0.9) - 1] * 1000:.1f}, "
              f"{len(samples)} requests); target {TARGET_MS:.0f} ms: ratio {median / TARGET_MS:.2f}")


if __name__ == "__main__":
    main()
