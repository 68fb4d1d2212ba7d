"""``roadmap serve``: the feed server and the scheduler in one asyncio process.

The aiohttp feed server (:func:`notifications.feeds.make_app`) listens while
:func:`scheduler.daemon.run_daemon` runs the daily digests; SIGTERM/SIGINT set
one stop event, the scheduler finishes the message in hand, and the server
closes its socket. With ``scheduler=False`` only feeds are served (extra hosts
behind a load balancer; one process per database runs the scheduler).
"""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

from notifications.feeds import RedactingAccessLogger, make_app
from roadmap.app import App
from scheduler.daemon import run_daemon


async def serve_forever(
    app: App, host: str, port: int, *, scheduler: bool = True, stop: asyncio.Event | None = None
) -> None:
    """Serve feeds (and run the scheduler) until ``stop`` is set or a signal arrives."""
    stop = stop or asyncio.Event()
    runner = web.AppRunner(make_app(app), access_log_class=RedactingAccessLogger)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        if scheduler:
            await run_daemon(app, stop)  # installs the signal handlers itself
        else:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
    finally:
        await runner.cleanup()


def serve(app: App, host: str, port: int, *, scheduler: bool = True) -> None:
    """Blocking entry point of the command line."""
    asyncio.run(serve_forever(app, host, port, scheduler=scheduler))
