"""The outbox's bookkeeping one step at a time (:mod:`notifications.outbox`):
claiming, recording an outcome, deferring when the relay is down, handing
rows back, and an operator's ``roadmap outbox retry`` — on the real plan of
conftest.py (four digests and one invalid address on 2024-03-01), with a
fixed «now» so that every back-off can be written out."""

from __future__ import annotations

import asyncio
import email
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from notifications.mailer import ConnectionFailed, Delivery, Outcome
from notifications.outbox import (
    RemindReport,
    RetryPolicy,
    SendReport,
    build_outbox,
    claim,
    defer_all,
    deliver_pending,
    dry_run,
    list_outbox,
    missed_daily_runs,
    record,
    release,
    render_claimed,
    retry_row,
    run_reminders,
    store_rendered,
)
from roadmap.app import App, Clock
from roadmap.settings import load_settings
from roadmap.storage.db import write_session
from roadmap.storage.tables import OutboxRow
from tests.fixtures import Env, record_done
from tests.reminders.conftest import (
    COORDINATOR,
    IMCRO,
    REGISTER,
    SCHOOL_1,
    SCHOOL_2,
    TODAY,
    Relay,
    Run,
    Server,
)
from tests.reminders.test_remind import MOSCOW_PLAN

NOW = datetime(2024, 3, 1, 0, 30, tzinfo=UTC)  # 08:30 in Irkutsk
LEASE = timedelta(minutes=30)
INVALID = "curator@school-3..example.org"
DOWN = "нет соединения с SMTP-сервером"
GREYLISTED = Delivery(Outcome.RETRY, "451 4.7.1 Greylisted")


@dataclass(frozen=True)
class Seen:
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    owner: str | None


@pytest.fixture
def at_now(env: Env, loaded: Path) -> Iterator[App]:
    """An App on the loaded plans whose clock stands at ``NOW``."""
    environ = {k: v for k, v in env.items() if v is not None}
    made = App(settings=load_settings(None, environ=environ),
               clock=Clock(now=lambda: NOW, fixed_today=TODAY))
    yield made
    made.close()


@pytest.fixture
def app(at_now: App) -> App:
    """``at_now`` with the day's outbox built (nothing sent)."""
    build_outbox(at_now)
    return at_now


def rows(app: App) -> dict[str, Seen]:
    with app.sessions() as session:
        return {
            r.recipient: Seen(r.status, r.attempts, r.next_attempt_at, r.last_error, r.claimed_by)
            for r in session.scalars(select(OutboxRow))
        }


def ids(app: App) -> dict[str, int]:
    with app.sessions() as session:
        return {r.recipient: r.id for r in session.scalars(select(OutboxRow))}


def claim_now(app: App, owner: str, limit: int, at: datetime = NOW) -> list[str]:
    """Claim up to ``limit`` due rows for ``owner``; their recipients."""
    with write_session(app.sessions) as session:
        return [c.recipient for c in claim(session, owner, at, limit, LEASE)]


def record_now(
    app: App, recipient: str, owner: str, delivery: Delivery, at: datetime = NOW
) -> str:
    with write_session(app.sessions) as session:
        return record(session, ids(app)[recipient], owner, delivery, at)


def outbox_json(run: Run) -> dict[str, dict[str, Any]]:
    result = run("outbox", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {r["recipient"]: r for r in json.loads(result.stdout)}


# ---------------------------------------------------------------- back-off


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 60), (1, 60), (2, 120), (3, 240), (4, 480), (7, 3840), (8, 7200), (12, 7200)],
)
def test_the_back_off_doubles_from_a_minute_up_to_two_hours(attempts: int, seconds: int) -> None:
    assert RetryPolicy().delay(attempts) == timedelta(seconds=seconds)


def test_a_deferred_row_is_due_again_after_its_back_off(app: App) -> None:
    owner = "test-host:1:aaaaaaaaaaaa"
    assert sorted(claim_now(app, owner, 5)) == sorted([IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR])
    for attempt, (minutes, wait) in enumerate([(0, 1), (1, 2), (3, 4)], start=1):
        at = NOW + timedelta(minutes=minutes)
        if attempt > 1:
            assert claim_now(app, owner, 5, at) == [IMCRO]
        assert record_now(app, IMCRO, owner, GREYLISTED, at) == "pending"
        seen = rows(app)[IMCRO]
        assert (seen.status, seen.attempts, seen.owner) == ("pending", attempt, None)
        assert seen.next_attempt_at == at + timedelta(minutes=wait)
        assert seen.last_error == "451 4.7.1 Greylisted"
        # Not a moment before its back-off has passed.
        assert claim_now(app, owner, 5, at + timedelta(minutes=wait, seconds=-1)) == []


def hold(app: App, recipient: str, owner: str) -> None:
    """``recipient``'s row as another sender holds it: ``sending``, its lease
    running."""
    with write_session(app.sessions) as session:
        row = session.get(OutboxRow, ids(app)[recipient])
        assert row is not None
        row.status, row.claimed_by, row.next_attempt_at = "sending", owner, NOW + LEASE


# ---------------------------------------------------------------- relay down


def test_relay_down_defers_this_senders_rows_then_every_due_row(app: App) -> None:
    me, other = "test-host:1:aaaaaaaaaaaa", "test-host:2:bbbbbbbbbbbb"
    claim_now(app, me, 5)
    record_now(app, IMCRO, me, GREYLISTED)  # due again in a minute
    record_now(app, SCHOOL_1, me, Delivery(Outcome.SENT, "250 OK"))
    hold(app, COORDINATOR, other)
    claimed = [ids(app)[r] for r in (SCHOOL_2, SCHOOL_1, COORDINATOR)]
    with write_session(app.sessions) as session:
        assert defer_all(session, me, claimed, DOWN, NOW) == 1
    seen = rows(app)
    assert (seen[SCHOOL_2].status, seen[SCHOOL_2].attempts, seen[SCHOOL_2].owner) == (
        "pending", 1, None)
    assert seen[SCHOOL_2].next_attempt_at == NOW + timedelta(minutes=1)
    assert seen[SCHOOL_2].last_error == DOWN
    assert seen[SCHOOL_1].status == "sent"  # went out before the relay went away
    assert (seen[COORDINATOR].status, seen[COORDINATOR].owner) == ("sending", other)
    # Not due yet: left as it was.
    assert (seen[IMCRO].status, seen[IMCRO].attempts, seen[IMCRO].last_error) == (
        "pending", 1, "451 4.7.1 Greylisted")
    assert (seen[INVALID].status, seen[INVALID].attempts) == ("failed", 0)

    # A minute later the relay is still down: the rows due at that very
    # moment count one more attempt each and back off further.
    later = NOW + timedelta(minutes=1)
    with write_session(app.sessions) as session:
        assert defer_all(session, me, [], DOWN, later) == 2
    seen = rows(app)
    for recipient in (IMCRO, SCHOOL_2):
        assert (seen[recipient].status, seen[recipient].attempts) == ("pending", 2)
        assert seen[recipient].next_attempt_at == later + timedelta(minutes=2)
        assert seen[recipient].last_error == DOWN
    assert (seen[COORDINATOR].status, seen[COORDINATOR].owner) == ("sending", other)
    assert seen[INVALID].status == "failed"


def test_relay_down_leaves_rows_in_another_workers_hands_of_the_same_sender(app: App) -> None:
    # Two workers of one sender share its owner; only the failing worker's
    # batch is deferred.
    me = "test-host:1:aaaaaaaaaaaa"
    first = claim_now(app, me, 2)
    second = claim_now(app, me, 2)
    assert len(set(first + second)) == 4
    with write_session(app.sessions) as session:
        defer_all(session, me, [ids(app)[r] for r in first], DOWN, NOW)
    seen = rows(app)
    assert {seen[r].status for r in first} == {"pending"}
    assert {(seen[r].status, seen[r].owner) for r in second} == {("sending", me)}


# ---------------------------------------------------------------- handing back


def test_a_stopping_sender_hands_back_only_its_own_unsent_rows(app: App) -> None:
    me, other = "test-host:1:aaaaaaaaaaaa", "test-host:2:bbbbbbbbbbbb"
    claim_now(app, me, 5)
    record_now(app, IMCRO, me, GREYLISTED)
    record_now(app, SCHOOL_1, me, Delivery(Outcome.SENT, "250 OK"))
    later = NOW + timedelta(minutes=1)
    assert claim_now(app, me, 5, later) == [IMCRO]  # its second attempt
    hold(app, COORDINATOR, other)
    with write_session(app.sessions) as session:
        release(session, me, [ids(app)[r] for r in (IMCRO, SCHOOL_1, COORDINATOR)], later)
    seen = rows(app)
    # The attempt it did not make is not counted; due at once.
    assert (seen[IMCRO].status, seen[IMCRO].attempts, seen[IMCRO].owner) == ("pending", 1, None)
    assert seen[IMCRO].next_attempt_at == later
    assert seen[SCHOOL_1].status == "sent"
    assert (seen[COORDINATOR].status, seen[COORDINATOR].owner) == ("sending", other)
    # Held by this sender but not named (another worker's): kept.
    assert (seen[SCHOOL_2].status, seen[SCHOOL_2].owner) == ("sending", me)


# ---------------------------------------------------------------- outbox retry


def test_retry_of_a_row_that_does_not_exist(app: App, run: Run) -> None:
    result = run("outbox", "retry", "999")
    assert result.exit_code == 1
    assert result.stderr == "Ошибка: В очереди писем нет записи 999\n"


def test_retry_of_a_sent_or_sending_row_is_refused_with_its_number(app: App, run: Run) -> None:
    me = "test-host:1:aaaaaaaaaaaa"
    claim_now(app, me, 5)
    record_now(app, IMCRO, me, Delivery(Outcome.SENT, "250 OK"))
    sent, sending = ids(app)[IMCRO], ids(app)[SCHOOL_1]
    result = run("outbox", "retry", str(sent))
    assert result.exit_code == 2
    assert result.stderr == f"Ошибка: Письмо {sent} уже отправлено\n"
    result = run("outbox", "retry", str(sending))
    assert result.exit_code == 2
    assert result.stderr == f"Ошибка: Письмо {sending} сейчас отправляется\n"
    assert rows(app)[SCHOOL_1].status == "sending"


def test_retry_of_a_row_never_composed_says_what_to_fix(app: App, run: Run) -> None:
    row_id = ids(app)[INVALID]
    result = run("outbox", "retry", str(row_id))
    assert result.exit_code == 2
    reason = rows(app)[INVALID].last_error
    assert reason is not None and "домен" in reason
    assert (
        f"Письмо {row_id} не было составлено ({reason}): исправьте адрес в плане или "
        "реестре, загрузите его заново и запустите roadmap remind"
    ) in result.stderr.replace("\n", " ")
    assert rows(app)[INVALID].status == "failed"


def test_retry_of_a_failed_row_starts_its_attempts_again(app: App, run: Run) -> None:
    me = "test-host:1:aaaaaaaaaaaa"
    claim_now(app, me, 5)
    record_now(app, SCHOOL_2, me, Delivery(Outcome.FAILED, "550 5.1.1 mailbox unavailable"))
    result = run("outbox", "retry", str(ids(app)[SCHOOL_2]))
    assert result.exit_code == 0, result.stderr
    assert f"Письмо {ids(app)[SCHOOL_2]} ({SCHOOL_2}) снова в очереди" in result.stdout
    row = outbox_json(run)[SCHOOL_2]
    assert (row["status"], row["attempts"]) == ("pending", 0)


def test_retry_of_a_waiting_row_makes_it_due_now_and_keeps_its_count(app: App) -> None:
    me = "test-host:1:aaaaaaaaaaaa"
    claim_now(app, me, 5)
    record_now(app, IMCRO, me, GREYLISTED)
    with write_session(app.sessions) as session:
        view = retry_row(session, ids(app)[IMCRO], NOW)
    assert (view.recipient, view.status, view.attempts, view.next_attempt_at) == (
        IMCRO, "pending", 1, NOW)
    assert rows(app)[IMCRO] == Seen("pending", 1, NOW, "451 4.7.1 Greylisted", None)


# ---------------------------------------------------------------- orphans


SIGNAL_COUNTER = """\
import signal, sys
got = []
for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
    signal.signal(sig, lambda *_a: got.append(1))
for _line in sys.stdin:
    print(len(got), flush=True)
"""


def test_rows_of_a_live_sender_of_this_host_wait_those_of_a_dead_one_go_at_once(
    app: App,
) -> None:
    # A stand-in for another sender on this host: alive until its stdin
    # closes; asked, it tells how many signals it has received.
    sender = subprocess.Popen(
        [sys.executable, "-c", SIGNAL_COUNTER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )
    assert sender.stdin is not None and sender.stdout is not None
    try:
        owner = f"{socket.gethostname()}:{sender.pid}:cafecafecafe"
        assert len(claim_now(app, owner, 5)) == 4
        me = "test-host:1:aaaaaaaaaaaa"
        assert claim_now(app, me, 5) == []  # it may still be sending them
        sender.stdin.write("?\n")
        sender.stdin.flush()
        assert sender.stdout.readline() == "0\n"  # asking whether it lives left it alone
    finally:
        sender.stdin.close()
        sender.wait(timeout=30)
    assert sorted(claim_now(app, me, 5)) == sorted([IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR])
    assert {(s.status, s.attempts, s.owner) for r, s in rows(app).items() if r != INVALID} == {
        ("sending", 2, me)}


# ---------------------------------------------------------------- dry run


def plain_text(message: bytes) -> str:
    parsed = email.message_from_bytes(message, policy=default)
    assert isinstance(parsed, EmailMessage)
    part = parsed.get_body(preferencelist=("plain",))
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text


def eml_subjects(paths: list[Path]) -> dict[str, str]:
    return {
        p.name: str(email.message_from_bytes(p.read_bytes(), policy=default)["Subject"])
        for p in paths
    }


def test_a_dry_run_renders_the_queued_rows_and_adds_no_new_ones(
    app: App, sessions: Any, tmp_path: Path
) -> None:
    # Since the build school-1 has done 1.2 and 1.4: nothing left to tell it.
    for task in ("1.2", "1.4"):
        record_done(sessions, "test-city", task=task, org="school-1", by="ivanova", at=NOW)
    known = ids(app)
    report = dry_run(app, tmp_path / "dry")
    assert report.build.added == [] and report.send is None
    assert eml_subjects(report.written) == {
        f"{known[IMCRO]}-digest-2024-03-01-{IMCRO}.eml":
            "Дорожная карта: просрочено 1, скоро срок 0 — МКУ ИМЦРО",
        f"{known[SCHOOL_2]}-digest-2024-03-01-{SCHOOL_2}.eml":
            "Дорожная карта: просрочено 1, скоро срок 1 — МБОУ СОШ № 2 (пример)",
        f"{known[COORDINATOR]}-escalation-2024-03-01-{COORDINATOR}.eml":
            "Дорожная карта: эскалация — просрочено более 7 дн.: 1 (исполнителей: 1)",
    }
    imcro = tmp_path / "dry" / f"{known[IMCRO]}-digest-2024-03-01-{IMCRO}.eml"
    assert "1.1 Разработка положения о наставничестве" in plain_text(imcro.read_bytes())
    assert sorted(p.name for p in (tmp_path / "dry").iterdir()) == sorted(
        p.name for p in report.written)
    assert {s.status for s in rows(app).values()} == {"pending", "failed"}


def test_a_dry_run_shows_a_waiting_row_as_it_was_composed(
    at_now: App, server: Server, relay: Relay, sessions: Any, tmp_path: Path
) -> None:
    relay.replies[SCHOOL_1] = ["451 4.7.1 Greylisted"]
    report = asyncio.run(run_reminders(at_now))
    assert report.send is not None and (report.send.sent, report.send.retry) == (3, 1)
    with at_now.sessions() as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.recipient == SCHOOL_1)).one()
        row_id, stored = row.id, row.message
    # school-1 has done 1.4 since: the retry still sends the message as composed.
    record_done(sessions, "test-city", task="1.4", org="school-1", by="ivanova",
                at=NOW + timedelta(minutes=1))
    dry = dry_run(at_now, tmp_path / "dry")
    assert [p.name for p in dry.written] == [f"{row_id}-digest-2024-03-01-{SCHOOL_1}.eml"]
    assert dry.written[0].read_bytes() == stored
    assert "1.4 Отчёт о наставничестве за полугодие" in plain_text(stored)


def test_a_dry_run_for_one_plan_or_one_zone(
    at_now: App, loaded: Path, run: Run, tmp_path: Path
) -> None:
    (loaded / "test-moscow.yaml").write_text(MOSCOW_PLAN, encoding="utf-8")
    assert run("load", str(loaded)).exit_code == 0
    everything = dry_run(at_now, tmp_path / "all")
    assert len(everything.written) == 5
    moscow = {"new-digest-2024-03-01-IMCRO@example.org.eml":
              "Дорожная карта: просрочено 0, скоро срок 1 — Методический центр (Москва)"}
    by_plan = dry_run(at_now, tmp_path / "plan", plan="test-moscow")
    assert eml_subjects(by_plan.written) == moscow
    by_zone = dry_run(at_now, tmp_path / "zone", zone="Europe/Moscow")
    assert eml_subjects(by_zone.written) == moscow


# ---------------------------------------------------------------- the send loop


class Scripted:
    """A mail sender standing in for the relay: answers from ``replies``
    (by recipient; «250 OK» otherwise), raises ``ConnectionFailed`` for
    the recipients in ``down``; sees each row as the database holds it at
    the moment it is sent."""

    def __init__(self, app: App, replies: dict[str, Delivery] | None = None,
                 down: set[str] | None = None) -> None:
        self.app = app
        self.replies = replies or {}
        self.down = down or set()
        self.sent: list[tuple[str, list[str], bytes]] = []
        self.seen: dict[str, Seen] = {}
        self.holding: list[int] = []  # rows in `sending` at each send
        self.closed = 0

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> Delivery:
        now = await asyncio.to_thread(rows, self.app)
        self.seen[recipients[0]] = now[recipients[0]]
        self.holding.append(sum(s.status == "sending" for s in now.values()))
        if recipients[0] in self.down:
            raise ConnectionFailed(DOWN)
        self.sent.append((sender, list(recipients), message))
        return self.replies.get(recipients[0], Delivery(Outcome.SENT, "250 OK"))

    async def close(self) -> None:
        self.closed += 1


def test_a_send_reports_each_outcome_with_the_relays_replies(app: App) -> None:
    made: list[Scripted] = []

    def factory() -> Scripted:
        made.append(Scripted(app, replies={
            IMCRO: GREYLISTED,
            SCHOOL_2: Delivery(Outcome.FAILED, "550 5.1.1 mailbox unavailable"),
        }))
        return made[-1]

    report = asyncio.run(deliver_pending(app, transport_factory=factory))
    assert len(made) == 1 and made[0].closed == 1  # one connection, closed at the end
    relay = made[0]
    assert (report.sent, report.retry, report.failed, report.deferred, report.dropped) == (
        2, 1, 1, 0, 0)
    assert report.connection_error is None
    known = ids(app)
    assert sorted(report.errors) == sorted([
        (known[IMCRO], "451 4.7.1 Greylisted"),
        (known[SCHOOL_2], "550 5.1.1 mailbox unavailable"),
    ])
    assert sorted(r for _s, (r,), _m in relay.sent) == sorted(
        [IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR])
    assert {s for s, _r, _m in relay.sent} == {"roadmap@example.org"}
    # While a row is being sent it is held for the lease: smtp.timeout (10 s)
    # for each row of a batch (20) and one more, and a minute.
    owner = relay.seen[IMCRO].owner
    assert owner is not None and owner.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert {(s.status, s.attempts, s.next_attempt_at, s.owner) for s in relay.seen.values()} \
        == {("sending", 1, NOW + timedelta(seconds=270), owner)}
    seen = rows(app)
    assert (seen[IMCRO].status, seen[SCHOOL_2].status) == ("pending", "failed")
    assert {seen[r].status for r in (SCHOOL_1, COORDINATOR)} == {"sent"}
    with app.sessions() as session:
        stored = {r.recipient: r.message for r in session.scalars(select(OutboxRow))}
    assert {(r, m) for _s, (r,), m in relay.sent} == {
        (r, stored[r]) for r in (IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR)}


def test_every_outcome_is_counted(app: App) -> None:
    relay = Scripted(app, replies={
        IMCRO: GREYLISTED,
        SCHOOL_1: Delivery(Outcome.RETRY, "452 4.2.2 Mailbox full"),
        SCHOOL_2: Delivery(Outcome.FAILED, "550 5.1.1 mailbox unavailable"),
        COORDINATOR: Delivery(Outcome.FAILED, "554 5.7.1 rejected"),
    })
    report = asyncio.run(deliver_pending(app, transport_factory=lambda: relay))
    assert (report.sent, report.retry, report.failed) == (0, 2, 2)


def test_dropped_digests_are_counted_across_batches(app: App, sessions: Any) -> None:
    # imcro has done 1.1 (so nothing is escalated), school-1 all its items.
    record_done(sessions, "test-city", task="1.1", by="imcro", at=NOW)
    for task in ("1.2", "1.4"):
        record_done(sessions, "test-city", task=task, org="school-1", by="ivanova", at=NOW)
    relay = Scripted(app)
    report = asyncio.run(deliver_pending(app, policy=RetryPolicy(batch=1),
                                         transport_factory=lambda: relay))
    assert (report.sent, report.dropped) == (1, 3)
    assert [r for _s, (r,), _m in relay.sent] == [SCHOOL_2]


def test_relay_down_backs_off_by_the_runs_policy(app: App) -> None:
    relay = Scripted(app, down={IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR})
    policy = RetryPolicy(base=timedelta(minutes=5))
    report = asyncio.run(deliver_pending(app, policy=policy, transport_factory=lambda: relay))
    assert report.deferred == 4
    assert {s.next_attempt_at for r, s in rows(app).items() if r != INVALID} == {
        NOW + timedelta(minutes=5)}


def test_rows_are_claimed_a_batch_at_a_time(app: App) -> None:
    relay = Scripted(app)
    report = asyncio.run(deliver_pending(app, policy=RetryPolicy(batch=3),
                                         transport_factory=lambda: relay))
    assert report.sent == 4
    assert relay.holding == [3, 2, 1, 1]
    assert relay.closed == 1


def test_two_workers_each_use_a_connection_of_their_own(app: App) -> None:
    made: list[Scripted] = []

    def factory() -> Scripted:
        made.append(Scripted(app))
        return made[-1]

    report = asyncio.run(deliver_pending(app, policy=RetryPolicy(batch=1, concurrency=2),
                                         transport_factory=factory))
    assert report.sent == 4
    assert [t.closed for t in made] == [1, 1]
    assert sorted(r for t in made for _s, (r,), _m in t.sent) == sorted(
        [IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR])


def test_the_relay_going_away_mid_batch_defers_the_rest(app: App) -> None:
    known = ids(app)
    order = sorted((i, r) for r, i in known.items() if r != INVALID)
    first, second = order[0][1], order[1][1]
    relay = Scripted(app, down={second})
    report = asyncio.run(deliver_pending(app, transport_factory=lambda: relay))
    assert (report.sent, report.deferred, report.retry) == (1, 3, 0)
    assert report.connection_error == DOWN
    assert relay.closed == 1
    seen = rows(app)
    assert seen[first].status == "sent"
    assert {(seen[r].status, seen[r].attempts, seen[r].last_error, seen[r].owner)
            for _i, r in order[1:]} == {("pending", 1, DOWN, None)}
    assert {seen[r].next_attempt_at for _i, r in order[1:]} == {NOW + timedelta(minutes=1)}


def test_a_sender_told_to_stop_before_it_starts_sends_nothing(app: App) -> None:
    async def stopped() -> SendReport:
        stop = asyncio.Event()
        stop.set()
        return await deliver_pending(app, transport_factory=lambda: relay, stop=stop)

    relay = Scripted(app)
    report = asyncio.run(stopped())
    assert (report.sent, relay.sent, relay.closed) == (0, [], 1)
    assert {s.status for r, s in rows(app).items() if r != INVALID} == {"pending"}


# ---------------------------------------------------------------- claiming and recording


def test_claim_takes_the_longest_waiting_rows_first_and_holds_them_for_the_lease(
    app: App,
) -> None:
    me = "test-host:1:aaaaaaaaaaaa"
    known = {r: i for r, i in ids(app).items() if r != INVALID}
    by_id = sorted(known, key=known.__getitem__)
    last = by_id[-1]
    claim_now(app, me, 5)
    record_now(app, last, me, GREYLISTED)  # due again at NOW + 1 min
    with write_session(app.sessions) as session:  # the others at NOW + 2 min
        release(session, me, [known[r] for r in by_id[:-1]], NOW + timedelta(minutes=2))
    later = NOW + timedelta(minutes=2)
    assert claim_now(app, me, 2, later) == [last, by_id[0]]
    seen = rows(app)
    assert (seen[last].status, seen[last].attempts, seen[last].next_attempt_at) == (
        "sending", 2, later + LEASE)
    assert (seen[by_id[0]].status, seen[by_id[0]].attempts) == ("sending", 1)
    assert {seen[r].status for r in by_id[1:-1]} == {"pending"}


def test_a_row_held_by_a_sender_elsewhere_is_taken_over_when_its_lease_ends(app: App) -> None:
    hold(app, IMCRO, "another-host:4242:0123456789ab")
    me = "test-host:1:aaaaaaaaaaaa"
    assert IMCRO not in claim_now(app, me, 5, NOW + LEASE - timedelta(seconds=1))
    assert claim_now(app, me, 5, NOW + LEASE) == [IMCRO]
    assert rows(app)[IMCRO].owner == me


def test_a_row_sent_after_a_refusal_shows_no_error(app: App) -> None:
    me = "test-host:1:aaaaaaaaaaaa"
    claim_now(app, me, 5)
    record_now(app, IMCRO, me, GREYLISTED)
    later = NOW + timedelta(minutes=1)
    claim_now(app, me, 5, later)
    assert record_now(app, IMCRO, me, Delivery(Outcome.SENT, "250 2.0.0 OK"), later) == "sent"
    assert record_now(app, SCHOOL_1, me, Delivery(
        Outcome.SENT, "250 2.0.0 OK; отклонены: copy@example.org"), later) == "sent"
    seen = rows(app)
    assert (seen[IMCRO].status, seen[IMCRO].attempts, seen[IMCRO].last_error) == (
        "sent", 2, None)
    # Accepted with some recipients refused: the refusals stay visible.
    assert seen[SCHOOL_1].last_error == "250 2.0.0 OK; отклонены: copy@example.org"
    sent = outbox_json_at(app)
    assert sent[IMCRO]["sent_at"] == later.isoformat()


def test_a_late_report_does_not_undo_a_sent_row_and_a_vanished_row_counts_as_failed(
    app: App,
) -> None:
    me, other = "test-host:1:aaaaaaaaaaaa", "test-host:2:bbbbbbbbbbbb"
    claim_now(app, me, 5)
    record_now(app, IMCRO, other, Delivery(Outcome.SENT, "250 OK"))
    # The first sender's answer comes in late: the row stays sent, once.
    assert record_now(app, IMCRO, me, GREYLISTED) == "sent"
    assert (rows(app)[IMCRO].status, rows(app)[IMCRO].last_error) == ("sent", None)
    with write_session(app.sessions) as session:
        assert record(session, 10_000, me, Delivery(Outcome.SENT, "250 OK"), NOW) == "failed"
        assert session.get(OutboxRow, 10_000) is None


def test_rendered_messages_are_kept_only_for_rows_the_sender_still_holds(
    app: App, sessions: Any
) -> None:
    me, other = "test-host:1:aaaaaaaaaaaa", "test-host:2:bbbbbbbbbbbb"
    with write_session(app.sessions) as session:
        claimed = claim(session, me, NOW, 5, LEASE)
    # school-2 has done everything since the build: nothing left to tell it.
    for task in ("1.2", "1.4"):
        record_done(sessions, "test-city", task=task, org="school-2", by="petrov", at=NOW)
    rendered = render_claimed(app, claimed)
    assert len(rendered) == 4
    hold(app, SCHOOL_1, other)  # taken over meanwhile
    with write_session(app.sessions) as session:
        release(session, me, [ids(app)[COORDINATOR]], NOW)  # handed back meanwhile
        stored = store_rendered(session, me, rendered, NOW)
    assert list(stored) == [ids(app)[IMCRO]]
    with app.sessions() as session:
        found = {r.recipient: (r.status, r.subject, r.message, r.last_error, r.claimed_by)
                 for r in session.scalars(select(OutboxRow))}
    assert found[IMCRO][:2] == ("sending", "Дорожная карта: просрочено 1, скоро срок 0 — МКУ ИМЦРО")
    assert found[IMCRO][2] == stored[ids(app)[IMCRO]]
    assert found[SCHOOL_2] == (
        "dropped", "", b"", "нечего сообщать: всё выполнено до отправки", None)
    assert found[SCHOOL_1] == ("sending", "", b"", None, other)
    assert found[COORDINATOR] == ("pending", "", b"", None, None)
    # Composed once: a row that has its message is not rendered again.
    with write_session(app.sessions) as session:
        release(session, me, [ids(app)[IMCRO]], NOW)
        again = claim(session, me, NOW, 5, LEASE)
    assert {c.recipient for c in again} == {IMCRO, COORDINATOR}
    assert [r.id for r in render_claimed(app, again)] == [ids(app)[COORDINATOR]]


# ---------------------------------------------------------------- listing


def outbox_json_at(app: App) -> dict[str, dict[str, Any]]:
    with app.sessions() as session:
        return {v.recipient: v.as_json() for v in list_outbox(session)}


def test_the_outbox_lists_every_field_of_a_row(app: App, run: Run) -> None:
    me = "test-host:1:aaaaaaaaaaaa"
    claim_now(app, me, 5)
    record_now(app, SCHOOL_2, me, Delivery(Outcome.FAILED, "550 5.1.1 mailbox unavailable"))
    listed = outbox_json(run)
    known = ids(app)
    assert listed[IMCRO] == {
        "id": known[IMCRO],
        "key": "digest/2024-03-01/Asia/Irkutsk/imcro@example.org",
        "recipient": IMCRO,
        "kind": "digest",
        "local_date": "2024-03-01",
        "zone": "Asia/Irkutsk",
        "subject": "",
        "status": "sending",
        "attempts": 1,
        "next_attempt_at": "2024-03-01T01:00:00+00:00",
        "last_error": None,
        "created_at": "2024-03-01T00:30:00+00:00",
        "sent_at": None,
        "size": 0,
    }
    assert listed[SCHOOL_2]["status"] == "failed"
    assert listed[SCHOOL_2]["last_error"] == "550 5.1.1 mailbox unavailable"
    assert listed[INVALID]["subject"] == "не отправлено: МБОУ СОШ № 3 (пример)"
    assert list(listed) == sorted(listed, key=known.__getitem__)  # by number
    with app.sessions() as session:
        assert [v.recipient for v in list_outbox(session, "failed")] == sorted(
            [SCHOOL_2, INVALID], key=known.__getitem__)


# ---------------------------------------------------------------- settings and scope


def test_the_settings_shape_what_a_digest_says(loaded: Path, run: Run, tmp_path: Path) -> None:
    def dry(out: str, **settings: str | None) -> dict[str, EmailMessage]:
        result = run("remind", "--today", "2024-03-01", "--dry-run", "--out",
                     str(tmp_path / out), **settings)
        assert result.exit_code == 0, result.stderr
        # A dry run reports whom it would skip, like a real one.
        assert f"Пропущен получатель (МБОУ СОШ № 3 (пример), {INVALID}): " in result.stderr
        found = {}
        for path in (tmp_path / out).glob("*.eml"):
            parsed = email.message_from_bytes(path.read_bytes(), policy=default)
            assert isinstance(parsed, EmailMessage)
            found[parsed["To"].addresses[0].addr_spec] = parsed
        return found

    plain = dry("plain")
    assert plain[SCHOOL_1]["Reply-To"] is None
    assert plain[SCHOOL_1]["From"].addresses[0].display_name == "Дорожная карта"
    assert "попросите у координатора личную ссылку" in plain_text(plain[SCHOOL_1].as_bytes())
    assert "#occ-" not in plain_text(plain[SCHOOL_1].as_bytes())

    tuned = dry(
        "tuned",
        ROADMAP_SMTP_FROM="roadmap@example.org",
        ROADMAP_SMTP_REPLY_TO="Отдел развития <coordinator@example.org>",
        ROADMAP_FEED_BASE_URL="https://roadmap.example.org/",
        ROADMAP_LOOKAHEAD_DAYS="5",
        ROADMAP_ESCALATE_AFTER_DAYS="2",
    )
    school = tuned[SCHOOL_1]
    assert school["From"].addresses[0].display_name == "Дорожная карта"  # the default name
    assert school["From"].addresses[0].addr_spec == "roadmap@example.org"
    reply_to = school["Reply-To"].addresses[0]
    assert (reply_to.display_name, reply_to.addr_spec) == ("Отдел развития", COORDINATOR)
    text = plain_text(school.as_bytes())
    assert "https://roadmap.example.org/#occ-" in text
    assert "Отметить выполнение и приложить документ" in text
    # 1.2 (due in 9 days) is beyond a 5-day look-ahead.
    assert school["Subject"] == "Дорожная карта: просрочено 1, скоро срок 0 — МБОУ СОШ № 1 (пример)"
    # 1.4 (3 days late) is escalated after 2 days.
    assert tuned[COORDINATOR]["Subject"].startswith(
        "Дорожная карта: эскалация — просрочено более 2 дн.:")
    assert "1.4 Отчёт о наставничестве за полугодие" in plain_text(tuned[COORDINATOR].as_bytes())

    bad = run("remind", "--today", "2024-03-01", "--dry-run", "--out", str(tmp_path / "bad"),
              ROADMAP_SMTP_REPLY_TO="coordinator@intranet")
    assert bad.exit_code == 2
    assert "smtp.from / smtp.reply_to: адрес «coordinator@intranet»: недопустимый домен" \
        in bad.stderr


def test_a_run_for_one_zone_one_plan_another_day_or_with_another_policy(
    at_now: App, loaded: Path, run: Run, server: Server, relay: Relay
) -> None:
    (loaded / "test-moscow.yaml").write_text(MOSCOW_PLAN, encoding="utf-8")
    assert run("load", str(loaded)).exit_code == 0
    moscow = asyncio.run(run_reminders(at_now, zone="Europe/Moscow"))
    assert [e.key for e in moscow.build.added] == [
        "digest/2024-03-01/Europe/Moscow/imcro@example.org"]
    assert moscow.send is not None and moscow.send.sent == 1
    assert missed_daily_runs(at_now) == ["Asia/Irkutsk"]

    # One plan, on the 28th: school-1's 1.4 is one day late then.
    relay.replies[SCHOOL_1] = ["451 4.7.1 Greylisted"]
    day = asyncio.run(run_reminders(at_now, plan="test-city", today=date(2024, 2, 28),
                                    policy=RetryPolicy(max_attempts=1)))
    assert sorted(e.key for e in day.build.added) == sorted(
        f"{kind}/2024-02-28/Asia/Irkutsk/{who}"
        for kind, who in [("digest", IMCRO), ("digest", SCHOOL_1), ("digest", SCHOOL_2),
                          ("escalation", COORDINATOR)])
    assert day.send is not None and (day.send.sent, day.send.failed) == (3, 1)
    assert outbox_json_at(at_now)[SCHOOL_1]["last_error"] == (
        "отказ после 1 попыток: 451 4.7.1 Greylisted")
    assert missed_daily_runs(at_now) == ["Asia/Irkutsk"]  # one plan's run is not the zone's

    async def stopped() -> RemindReport:
        stop = asyncio.Event()
        stop.set()
        return await run_reminders(at_now, zone="Asia/Irkutsk", stop=stop)

    held = asyncio.run(stopped())
    assert len(held.build.added) == 4
    assert held.send is not None and held.send.sent == 0
    assert missed_daily_runs(at_now) == []


@pytest.mark.parametrize(
    ("now", "missed"),
    [
        (datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC), []),  # 07:59:59 in Irkutsk
        (datetime(2024, 3, 1, 0, 0, tzinfo=UTC), ["Asia/Irkutsk"]),  # 08:00 sharp
    ],
)
def test_a_zones_run_is_due_from_its_reminder_time_on(
    env: Env, loaded: Path, now: datetime, missed: list[str]
) -> None:
    environ = {k: v for k, v in env.items() if v is not None}
    app = App(settings=load_settings(None, environ=environ), clock=Clock(now=lambda: now))
    try:
        assert missed_daily_runs(app) == missed
        assert missed_daily_runs(app, zones=["Europe/Moscow"]) == []  # 03:00 there
    finally:
        app.close()


# ---------------------------------------------------------------- who is not mailed


MORE_SCHOOLS = REGISTER + """\
  - id: school-4
    name: МБОУ СОШ № 4 (пример)
  - id: school-5
    name: МБОУ СОШ № 5 (пример)
    curator: {name: Кузнецова, email: "куратор@школа..пример"}
"""


def test_a_school_without_an_address_is_reported_and_one_with_a_bad_address_recorded(
    at_now: App, loaded: Path, run: Run
) -> None:
    (loaded / "orgs" / "test-city.yaml").write_text(MORE_SCHOOLS, encoding="utf-8")
    assert run("load", str(loaded)).exit_code == 0
    report = build_outbox(at_now)
    skipped = {s.who: (s.address, s.reason) for s in report.skipped}
    assert skipped["МБОУ СОШ № 4 (пример)"] == (None, "нет адреса получателя")
    assert skipped["МБОУ СОШ № 5 (пример)"][0] == "куратор@школа..пример"
    assert sorted(s.who for s in report.recorded) == [
        "МБОУ СОШ № 3 (пример)", "МБОУ СОШ № 5 (пример)"]
    listed = outbox_json_at(at_now)
    assert sorted(listed) == sorted([
        IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR, INVALID,
        "\\u043a\\u0443\\u0440\\u0430\\u0442\\u043e\\u0440@\\u0448\\u043a\\u043e\\u043b\\u0430"
        "..\\u043f\\u0440\\u0438\\u043c\\u0435\\u0440",
    ])
    assert {(v["status"], v["attempts"], v["size"]) for v in listed.values()
            if v["recipient"] not in (IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR)} == {
        ("failed", 0, 0)}
    # A second build the same day stores nothing again.
    again = build_outbox(at_now)
    assert (again.added, again.recorded) == ([], [])
    assert len(again.skipped) == len(report.skipped)


def test_a_run_for_a_plan_that_is_not_loaded_is_refused(loaded: Path, run: Run) -> None:
    result = run("remind", "--today", "2024-03-01", "--plan", "no-such-plan")
    assert result.exit_code == 1
    assert result.stderr == "Ошибка: План «no-such-plan» не загружен\n"


def test_a_reply_to_without_a_name_has_none(loaded: Path, run: Run, tmp_path: Path) -> None:
    out = tmp_path / "dry"
    result = run("remind", "--today", "2024-03-01", "--dry-run", "--out", str(out),
                 ROADMAP_SMTP_REPLY_TO="coordinator@example.org")
    assert result.exit_code == 0, result.stderr
    first = email.message_from_bytes(sorted(out.glob("*.eml"))[0].read_bytes(), policy=default)
    assert str(first["Reply-To"]) == "coordinator@example.org"
