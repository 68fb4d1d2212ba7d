"""The server against hostile or broken clients: no token in any log line
whatever the error path, trickling clients cut off, a connection limit,
and ``roadmap serve`` failing cleanly when it cannot listen or is stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from roadmap.app import App
from roadmap.web.server import _bind, serve_forever
from tests.fixtures import Env, Run, process_env
from tests.reminders.conftest import free_port
from tests.web.conftest import LinkMaker


async def raw(port: int, data: bytes, *, read: bool = True) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = b""
    if read:
        with contextlib.suppress(TimeoutError, ConnectionError):
            answer = await asyncio.wait_for(reader.read(65536), 5)
    writer.close()
    return answer


@pytest.fixture
async def served(app: App) -> AsyncIterator[int]:
    """``serve_forever`` as ``roadmap serve`` runs it (no scheduler), with a
    1-second header timeout and a limit of 8 connections."""
    sockets = _bind("127.0.0.1", 0)
    port = sockets[0].getsockname()[1]
    stop = asyncio.Event()
    task = asyncio.create_task(serve_forever(app, sockets, scheduler=False, stop=stop,
                                             header_timeout=1.0, max_connections=8))
    await asyncio.sleep(0.2)
    yield port
    stop.set()
    await task


async def test_no_token_reaches_any_log_line(
    served: int, run: Run, make_link: LinkMaker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    feed = run("feed", "create", "--org", "school-1", "--plan", "test-irk").stdout.split()
    token = next(w for w in feed if "/feeds/" in w).rsplit("/", 1)[1].removesuffix(".ics")
    link = make_link("--org", "school-1", "--plan", "test-irk")["path"].rsplit("/", 1)[1]
    probes = [
        f"GET /feeds/{token}.ics?pad={'A' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n",  # LineTooLong
        f"GET /feeds/{token}.ics HTTP/1.1\r\nHost: x\r\nX-Big: {'B' * 9000}\r\n\r\n",
        f"BREW /feeds/{token}.ics HTTP/1.1\r\nHost: x\r\n\r\n",
        f"GET /feeds/{token}.ics HTTP/9.9\r\nHost: x\r\n\r\n",
        f"GET /feeds/{token}.ics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        f"GET /l/{link} HTTP/1.1\r\nHost: x\r\n\r\n",
        f"GET /l/{link}x HTTP/1.1\r\nHost: x\r\n\r\n",
        f"GET /l/{link}\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        f"POST /done HTTP/1.1\r\nHost: x\r\nReferer: http://x/l/{link}\r\n"
        "Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 10\r\n\r\n--zz\r\nbad",
    ]
    for probe in probes:
        await raw(served, probe.encode("latin-1"))
    await raw(served, f"GET /feeds/{token}.ics HTTP/1.1\r\nHost: x\r\n".encode(), read=False)
    await asyncio.sleep(1.5)  # the header timeout closes the last one
    logged = caplog.text + "".join(
        (r.exc_text or "") + (r.stack_info or "") for r in caplog.records)
    assert caplog.records, "the probes must have been logged"
    assert token not in logged and link not in logged
    assert token[:20] not in logged and link[:20] not in logged


async def test_trickling_clients_are_cut_off_and_others_served(served: int) -> None:
    async def read_until_closed() -> float:
        reader, writer = await asyncio.open_connection("127.0.0.1", served)
        started = time.monotonic()
        writer.write(b"GET / HTTP/1.1\r\n")
        await writer.drain()
        try:
            while True:
                writer.write(b"X-Slow: 1\r\n")  # one header line every 0.3 s
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    if await asyncio.wait_for(reader.read(100), 0.3) == b"":
                        break
        except ConnectionError:
            pass  # the server dropped us
        writer.close()
        return time.monotonic() - started

    slow = [asyncio.create_task(read_until_closed()) for _ in range(5)]
    await asyncio.sleep(0.3)
    ok = await raw(served, b"GET /static/style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200")
    durations = await asyncio.wait_for(asyncio.gather(*slow), 15)
    assert max(durations) < 6, durations  # header timeout 1 s (+ aiohttp's ceil)


async def test_a_connection_over_the_limit_gets_503(served: int) -> None:
    idle = [await asyncio.open_connection("127.0.0.1", served) for _ in range(8)]
    await asyncio.sleep(0.2)
    refused = await raw(served, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert refused.startswith(b"HTTP/1.1 503")
    for _reader, writer in idle:
        writer.close()
    await asyncio.sleep(0.3)
    again = await raw(served, b"GET /static/style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert again.startswith(b"HTTP/1.1 200")


def serve_process(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "roadmap", "serve", "--no-scheduler", *args],
                          env=process_env(env), capture_output=True, text=True, timeout=60)


def test_serve_cannot_listen_is_one_line(env: Env, loaded: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = serve_process(env, "--port", str(port))
    unknown = serve_process(env, "--host", "no-such-host.invalid")
    foreign = serve_process(env, "--host", "203.0.113.9")
    for result in (taken, unknown, foreign):
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "Страницы и календари" not in result.stderr  # nothing announced before the bind
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"127.0.0.1:{port}" in taken.stderr and "no-such-host.invalid" in unknown.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_with_the_scheduler_stops_cleanly(env: Env, loaded: Path, sig: int) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "roadmap", "serve", "--port", str(port)],
                            env=process_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    time.sleep(0.5)  # the scheduler's first jobs run
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
