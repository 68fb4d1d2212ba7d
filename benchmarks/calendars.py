"""Calendar rendering and feed serving speed.

Run: ``.venv/bin/python benchmarks/calendars.py [--orgs 200] [--rounds 20] [--requests 3000]``

Builds a throw-away data directory: the plans of ``plans/``, the Irkutsk
city register replaced by ``--orgs`` generated organisations, loaded into a
SQLite file. Then measures

- the render time of one organisation's feed (``--org school-1 --plan …``,
  the full path: status query, entries, revision check, serialisation);
- the render time of the coordinator's feed of the plan (one event per task
  window over every organisation);
- requests/s of the coordinator's feed served by the feed server on
  127.0.0.1 (in a process of its own) to an aiohttp client, ``--concurrency``
  (20) requests in flight,
  ``--requests`` in all: the 304 path (``If-None-Match`` with the current
  ETag) and the cached 200 path, gzip and identity. The bodies are cached
  on the database's change marker, so neither builds the calendar.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from multiprocessing import Event, Process
from pathlib import Path

import aiohttp
from aiohttp import web

from notifications.feeds import calendar_for
from roadmap.app import App, Clock
from roadmap.feeds import Scope, create_feed
from roadmap.plans import read_catalog
from roadmap.settings import load_settings
from roadmap.storage.db import write_session
from roadmap.storage.repository import load_catalog
from roadmap.web.logs import RedactingAccessLogger
from roadmap.web.server import make_app

ROOT = Path(__file__).resolve().parents[1]
PLAN_ID = "irkutsk-city-2023-2026"
TODAY = date(2024, 3, 1)


def register(orgs: int) -> str:
    lines = [
        "kind: register",
        "id: irkutsk-city",
        "title: Образовательные организации г. Иркутска (сгенерировано)",
        "example: true",
        "organisations:",
    ]
    for n in range(1, orgs + 1):
        lines.append(f"  - id: school-{n}")
        lines.append(f"    name: МБОУ СОШ № {n} (пример)")
    return "\n".join(lines) + "\n"


def setup(folder: Path, orgs: int) -> App:
    # Every plan (the city plan names its regional parent), the city's
    # register replaced by a generated one.
    plans = folder / "plans"
    shutil.copytree(ROOT / "plans", plans)
    (plans / "orgs" / "irkutsk-city.yaml").write_text(register(orgs), encoding="utf-8")
    settings = load_settings(environ={"ROADMAP_DATA_DIR": str(folder / "data")})
    app = App(settings=settings, clock=Clock(fixed_today=TODAY))
    catalog = read_catalog([plans], strict=False)
    t0 = time.perf_counter()
    with write_session(app.sessions) as session:
        load_catalog(session, catalog, app.clock.now())
    print(f"load: {time.perf_counter() - t0:.2f} s ({orgs} organisations)")
    return app


def timed(label: str, render: Callable[[], bytes], rounds: int) -> None:
    t0 = time.perf_counter()
    data = render()  # the first render also stores every event's revision
    first = time.perf_counter() - t0
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        again = render()
        samples.append(time.perf_counter() - t0)
        assert again == data, "an unchanged calendar must render to the same bytes"
    events = data.count(b"BEGIN:VEVENT")
    print(
        f"{label}: {events} events, {len(data) / 1024:.0f} KiB; first {first * 1000:.0f} ms, "
        f"then median {statistics.median(samples) * 1000:.1f} ms "
        f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}; {rounds} rounds)"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server(data_dir: str, port: int, ready: Event, stop: Event) -> None:
    """The feed server in a process of its own (as ``roadmap serve`` runs)."""
    settings = load_settings(environ={"ROADMAP_DATA_DIR": data_dir})
    app = App(settings=settings, clock=Clock(fixed_today=TODAY))

    async def run() -> None:
        runner = web.AppRunner(make_app(app), access_log=None,
                               access_log_class=RedactingAccessLogger)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await runner.cleanup()

    asyncio.run(run())
    app.close()


async def serve(data_dir: str, token: str, requests: int, concurrency: int) -> None:
    """Requests/s of the feed server (its own process) for one feed: the 304
    path (the current ETag in ``If-None-Match``) and the cached 200 path,
    gzip (as calendar clients ask) and identity."""
    port = free_port()
    ready, stop = Event(), Event()
    server = Process(target=_server, args=(data_dir, port, ready, stop))
    server.start()
    ready.wait(60)
    url = f"http://127.0.0.1:{port}/feeds/{token}.ics"
    try:
        async with aiohttp.ClientSession(auto_decompress=False) as client:
            async with client.get(url, headers={"Accept-Encoding": "gzip"}) as first:
                assert first.status == 200
                etag = first.headers["ETag"]
                zipped = len(await first.read())
            print(f"served: gzip {zipped / 1024:.0f} KiB")
            for label, headers in (
                ("304", {"If-None-Match": etag, "Accept-Encoding": "gzip"}),
                ("200 cached, gzip", {"Accept-Encoding": "gzip"}),
                ("200 cached, identity", {"Accept-Encoding": "identity"}),
            ):
                await _load(client, url, headers, label, requests, concurrency)
    finally:
        stop.set()
        server.join(30)


async def _load(
    client: aiohttp.ClientSession, url: str, headers: dict[str, str], label: str,
    requests: int, concurrency: int,
) -> None:
    statuses: dict[int, int] = {}
    queue = iter(range(requests))
    took: list[float] = []

    async def worker() -> None:
        for _ in queue:
            t0 = time.perf_counter()
            async with client.get(url, headers=headers) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            took.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    print(
        f"{label}: {requests} requests in {elapsed:.2f} s = {requests / elapsed:.0f} req/s, "
        f"p50 {statistics.median(took) * 1000:.1f} ms (concurrency {concurrency}; "
        f"statuses {statuses})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roadmap-bench-") as tmp:
        app = setup(Path(tmp), args.orgs)
        org = Scope("org", "school-1", PLAN_ID)
        timed("organisation feed", lambda: calendar_for(app, org), args.rounds)
        coordinator = Scope("plan", PLAN_ID)
        timed("coordinator feed", lambda: calendar_for(app, coordinator), args.rounds)
        with write_session(app.sessions) as session:
            _view, token = create_feed(session, coordinator, "bench", app.clock.now())
        print("the coordinator's feed over HTTP (the server in a process of its own):")
        asyncio.run(serve(str(Path(tmp) / "data"), token, args.requests, args.concurrency))
        app.close()


if __name__ == "__main__":
    main()
