"""The outbox's bookkeeping one step at a time (:mod:`notifications.outbox`):
claiming, recording an outcome, deferring when the relay is down, handing
rows back, and an operator's ``roadmap outbox retry`` — on the real plan of
conftest.py (four digests and one invalid address on 2024-03-01), with a
fixed «now» so that every back-off can be written out."""

from __future__ import annotations

import asyncio
import email
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from notifications.mailer import Delivery, Outcome
from notifications.outbox import (
    RetryPolicy,
    build_outbox,
    claim,
    defer_all,
    dry_run,
    record,
    release,
    retry_row,
    run_reminders,
)
from roadmap.app import App, Clock
from roadmap.settings import load_settings
from roadmap.storage.db import write_session
from roadmap.storage.tables import OutboxRow
from tests.fixtures import Env, record_done
from tests.reminders.conftest import (
    COORDINATOR,
    IMCRO,
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
    assert "В очереди писем нет записи 999" in result.stderr


def test_retry_of_a_sent_or_sending_row_is_refused_with_its_number(app: App, run: Run) -> None:
    me = "test-host:1:aaaaaaaaaaaa"
    claim_now(app, me, 5)
    record_now(app, IMCRO, me, Delivery(Outcome.SENT, "250 OK"))
    sent, sending = ids(app)[IMCRO], ids(app)[SCHOOL_1]
    result = run("outbox", "retry", str(sent))
    assert result.exit_code == 2
    assert f"Письмо {sent} уже отправлено" in result.stderr
    result = run("outbox", "retry", str(sending))
    assert result.exit_code == 2
    assert f"Письмо {sending} сейчас отправляется" in result.stderr
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


def test_rows_of_a_live_sender_of_this_host_wait_those_of_a_dead_one_go_at_once(
    app: App,
) -> None:
    # A stand-in for another sender on this host: alive until its stdin closes.
    sender = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                              stdin=subprocess.PIPE)
    try:
        owner = f"{socket.gethostname()}:{sender.pid}:cafecafecafe"
        assert len(claim_now(app, owner, 5)) == 4
        me = "test-host:1:aaaaaaaaaaaa"
        assert claim_now(app, me, 5) == []  # it may still be sending them
        assert sender.poll() is None  # asking whether it lives leaves it alone
    finally:
        assert sender.stdin is not None
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
    app: App, tmp_path: Path
) -> None:
    known = ids(app)
    report = dry_run(app, tmp_path / "dry")
    assert report.build.added == [] and report.send is None
    assert eml_subjects(report.written) == {
        f"{known[IMCRO]}-digest-2024-03-01-{IMCRO}.eml":
            "Дорожная карта: просрочено 1, скоро срок 0 — МКУ ИМЦРО",
        f"{known[SCHOOL_1]}-digest-2024-03-01-{SCHOOL_1}.eml":
            "Дорожная карта: просрочено 1, скоро срок 1 — МБОУ СОШ № 1 (пример)",
        f"{known[SCHOOL_2]}-digest-2024-03-01-{SCHOOL_2}.eml":
            "Дорожная карта: просрочено 1, скоро срок 1 — МБОУ СОШ № 2 (пример)",
        f"{known[COORDINATOR]}-escalation-2024-03-01-{COORDINATOR}.eml":
            "Дорожная карта: эскалация — просрочено более 7 дн.: 1 (исполнителей: 1)",
    }
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
