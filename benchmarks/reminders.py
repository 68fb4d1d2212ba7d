"""Benchmark: sending digests over one reused SMTP connection vs a fresh
connection per message, against a local aiosmtpd sink (in its own process,
so that the server does not share our GIL).

    .venv/bin/python benchmarks/reminders.py [--count 5000] [--fresh 500]

Measures, on the same rendered digests (~3 items each, with .ics):

1. rendering: ``build_digests`` for ``count`` recipients;
2. reused: ``count`` messages, one after another on ONE connection;
3. fresh: ``fresh`` messages, connect → send → QUIT for each;
4. reused ×4: four workers, one reused connection each;
5. outbox: the sending path — the rendered messages stored as outbox rows
   in SQLite, then ``deliver_pending`` (claims, one connection, one commit
   per message). The daily sweep stores rows to be rendered instead; the
   sender then renders each one first (``benchmarks/national.py`` measures
   that part).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from email.headerregistry import Address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from notifications.digest import (
    Contact,
    DigestOptions,
    Directory,
    OutgoingMessage,
    PartyContacts,
    PlanContacts,
    build_digests,
)
from notifications.mailer import SmtpConfig, SmtpTransport
from roadmap.status import Status
from roadmap.tracking import StatusRow

TODAY = date(2024, 3, 1)
SENDER = "roadmap@example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sink(port: int) -> None:
    """The SMTP sink: accepts and counts, nothing else."""
    from aiosmtpd.controller import Controller

    class Count:
        n = 0

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            Count.n += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        controller.stop()
        print(f"sink received {Count.n}", file=sys.stderr)


def digests(count: int) -> tuple[list[OutgoingMessage], float]:
    parties = {
        f"p{i}": PartyContacts(f"МБОУ СОШ № {i}", (Contact(f"Куратор {i}", f"c{i}@example.org"),))
        for i in range(count)
    }
    directory = Directory(
        plans={"plan": PlanContacts("plan", "План мероприятий (бенчмарк)", "Asia/Irkutsk",
                                    None, parties)}
    )
    rows = []
    n = 0
    for i in range(count):
        for task, due, status in (
            ("1.1", date(2024, 2, 27), Status.OVERDUE),
            ("1.2", date(2024, 3, 10), Status.DUE_SOON),
            ("1.3", None, Status.ON_DEMAND),
        ):
            n += 1
            rows.append(StatusRow(
                "plan", task, task, "Раздел", f"Мероприятие {task} по наставничеству",
                "в срок до …", "Приказ о назначении куратора", f"p{i}", f"МБОУ СОШ № {i}",
                None, None, n, f"plan/{task}/p{i}//", "on_demand" if due is None else "dated",
                None, due, status, (TODAY - due).days if status is Status.OVERDUE else 0,
                TODAY, None, None,
            ))
    options = DigestOptions(sender=Address("Дорожная карта", addr_spec=SENDER))
    start = time.perf_counter()
    batch = build_digests(rows, directory, options, datetime(2024, 3, 1, tzinfo=UTC))
    return batch.messages, time.perf_counter() - start


async def reused(config: SmtpConfig, messages: list[OutgoingMessage], workers: int = 1) -> float:
    queue = list(messages)

    async def work() -> None:
        async with SmtpTransport(config) as smtp:
            while queue:
                m = queue.pop()
                delivery = await smtp.send(SENDER, [m.recipient], m.message)
                assert delivery.outcome == "sent", delivery

    start = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(workers)))
    return time.perf_counter() - start


async def fresh(config: SmtpConfig, messages: list[OutgoingMessage]) -> float:
    start = time.perf_counter()
    for m in messages:
        async with SmtpTransport(config) as smtp:
            delivery = await smtp.send(SENDER, [m.recipient], m.message)
            assert delivery.outcome == "sent", delivery
    return time.perf_counter() - start


def outbox_path(port: int, messages: list[OutgoingMessage]) -> tuple[float, float]:
    from notifications.outbox import RetryPolicy, deliver_pending
    from roadmap.app import App
    from roadmap.settings import load_settings
    from roadmap.storage.db import write_session
    from roadmap.storage.tables import OUTBOX_PENDING, OutboxRow

    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(None, environ={
            "ROADMAP_DATA_DIR": folder, "ROADMAP_SMTP_PORT": str(port),
            "ROADMAP_SMTP_TLS": "none", "ROADMAP_SMTP_FROM": SENDER,
        })
        app = App(settings=settings)
        now = datetime.now(UTC) - timedelta(seconds=1)
        start = time.perf_counter()
        with write_session(app.sessions) as session:
            session.add_all(
                OutboxRow(key=m.key, recipient=m.recipient, kind=m.kind, local_date=m.local_date,
                          zone=m.zone, subject=m.subject, message=m.message,
                          status=OUTBOX_PENDING, attempts=0, next_attempt_at=now, created_at=now)
                for m in messages
            )
        stored = time.perf_counter() - start
        start = time.perf_counter()
        report = asyncio.run(deliver_pending(app, policy=RetryPolicy(batch=50)))
        sent = time.perf_counter() - start
        assert report.sent == len(messages), report
        app.close()
    return stored, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--fresh", type=int, default=500)
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        sink(args.sink)
        return

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    try:
        config = SmtpConfig("127.0.0.1", port, tls="none", timeout=30)
        messages, render = digests(args.count)
        size = sum(len(m.message) for m in messages) / len(messages)
        print(f"digests: {len(messages)}, {size / 1024:.1f} KiB each; "
              f"rendering {len(messages) / render:,.0f} msg/s")
        one = asyncio.run(reused(config, messages))
        rate_reused = len(messages) / one
        print(f"reused connection:   {len(messages):5d} msgs in {one:6.2f} s = "
              f"{rate_reused:7,.0f} msg/s")
        subset = messages[: args.fresh]
        each = asyncio.run(fresh(config, subset))
        rate_fresh = len(subset) / each
        print(f"fresh per message:   {len(subset):5d} msgs in {each:6.2f} s = "
              f"{rate_fresh:7,.0f} msg/s")
        four = asyncio.run(reused(config, messages, workers=4))
        print(f"4 reused conns:      {len(messages):5d} msgs in {four:6.2f} s = "
              f"{len(messages) / four:7,.0f} msg/s")
        stored, sent = outbox_path(port, messages)
        print(f"outbox (SQLite):     store {len(messages) / stored:,.0f} msg/s; "
              f"claim+send+commit {len(messages) / sent:,.0f} msg/s")
        print(f"ratio reused / fresh: {rate_reused / rate_fresh:.1f}×")
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
