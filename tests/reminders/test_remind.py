"""End to end: ``roadmap remind`` against a real SMTP server (aiosmtpd) on
loopback and a real SQLite file; see conftest.py for the plan and who gets
what on 2024-03-01."""

from __future__ import annotations

import asyncio
import email
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from notifications.outbox import (
    RetryPolicy,
    build_outbox,
    claim,
    deliver_pending,
    run_reminders,
)
from roadmap.app import App
from roadmap.storage.db import write_session
from tests.fixtures import Env, record_done
from tests.reminders.conftest import (
    COORDINATOR,
    EVERYONE,
    IMCRO,
    PASSWORD,
    SCHOOL_1,
    SCHOOL_2,
    USER,
    Accounts,
    Relay,
    Run,
    Server,
    forms_of,
    process_env,
)

REPO = Path(__file__).resolve().parents[2]


def remind(run: Run, *extra: str) -> Any:
    result = run("remind", "--today", "2024-03-01", *extra)
    assert result.exit_code == 0, result.stderr
    return result


def outbox(run: Run, *extra: str) -> list[dict[str, Any]]:
    result = run("outbox", "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def by_recipient(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["recipient"]: r for r in rows}


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    content = part.get_content()
    assert isinstance(content, str)
    return content


def attachment(message: EmailMessage) -> bytes:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_filename() == "roadmap.ics"
    data = parts[0].get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def events(ics: bytes) -> dict[str, icalendar.Event]:
    """Parsed twice: with icalendar and with ``ical`` (another parser)."""
    stream = IcsCalendarStream.calendar_from_ics(ics.decode("utf-8"))
    other = {e.summary: e for e in stream.events}
    calendar = icalendar.Calendar.from_ical(ics)
    found = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(found) == set(other)
    for summary, event in found.items():
        assert other[summary].dtstart == event.decoded("DTSTART")
        assert other[summary].dtend == event.decoded("DTEND")
    return found


# ---------------------------------------------------------------- content


def test_digests_arrive_once_with_the_right_items(
    loaded: Path, server: Server, relay: Relay, run: Run
) -> None:
    result = remind(run)
    assert "Новых писем в очереди: 4" in result.stdout
    assert "Отправлено: 4; отложено: 0; не доставлено: 0" in result.stdout
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    assert all(r.mail_from == "roadmap@example.org" for r in relay.received)

    imcro = relay.to(IMCRO)[0].message
    assert imcro["Subject"] == "Дорожная карта: просрочено 1, скоро срок 0 — МКУ ИМЦРО"
    assert imcro["To"].addresses[0].addr_spec == IMCRO
    assert imcro["To"].addresses[0].display_name == "Методисты ИМЦРО"
    assert imcro["From"].addresses[0].display_name == "Дорожная карта"
    assert imcro["Auto-Submitted"] == "auto-generated"
    text = body(imcro, "plain")
    assert "Здравствуйте, Методисты ИМЦРО!" in text
    assert "Просрочено (1)" in text
    assert "1.1 Разработка положения о наставничестве" in text
    assert "Срок: 20.02.2024 — просрочено на 10 дн." in text
    assert "Ожидаемый результат: Положение о наставничестве <утверждено> & подписано" in text
    # Only imcro's own items: not the schools', not the upcoming 1.5.
    for other in ("1.2 ", "1.3 ", "1.4 ", "1.5 "):
        assert other not in text
    html = body(imcro, "html")
    assert "&lt;утверждено&gt; &amp; подписано" in html
    assert "<утверждено>" not in html
    found = events(attachment(imcro))
    assert list(found) == ["[просрочено] Разработка положения о наставничестве"]
    event = next(iter(found.values()))
    assert event.decoded("DTSTART") == date(2024, 2, 20)
    assert event.decoded("DTEND") == date(2024, 2, 21)  # exclusive
    assert event["DTSTART"].params.get("VALUE") == "DATE"

    school = relay.to(SCHOOL_1)[0].message
    assert school["Subject"] == (
        "Дорожная карта: просрочено 1, скоро срок 1 — МБОУ СОШ № 1 (пример)"
    )
    text = body(school, "plain")
    assert "Здравствуйте, Иванова Анна Петровна!" in text
    assert "1.4 Отчёт о наставничестве за полугодие" in text
    assert "Срок: 27.02.2024 — просрочено на 3 дн." in text
    assert "Скоро срок — в ближайшие 14 дн. (1)" in text
    assert "Срок: 10.03.2024 — осталось 9 дн." in text
    assert "Ожидаемый результат: Приказ о назначении куратора" in text
    assert "По мере необходимости (без срока)" in text
    assert "1.3 Участие в региональном проекте" in text  # the footnote
    assert "1.1 " not in text
    assert set(events(attachment(school))) == {
        "[просрочено] Отчёт о наставничестве за полугодие",
        "Назначение кураторов наставничества",
    }

    escalation = relay.to(COORDINATOR)[0].message
    assert escalation["Subject"] == (
        "Дорожная карта: эскалация — просрочено более 7 дн.: 1 (исполнителей: 1)"
    )
    text = body(escalation, "plain")
    assert "МКУ ИМЦРО (1)" in text  # grouped by who is late
    assert "1.1 Разработка положения о наставничестве" in text
    assert "1.4 " not in text  # only 3 days late: not escalated

    # school-3's address is invalid: skipped, said so, and recorded with why.
    assert "curator@school-3..example.org" in result.stderr
    failed = outbox(run, "--status", "failed")
    assert [r["recipient"] for r in failed] == ["curator@school-3..example.org"]
    assert "домен" in failed[0]["last_error"]
    sent = outbox(run, "--status", "sent")
    assert {r["recipient"] for r in sent} == EVERYONE
    assert all(r["attempts"] == 1 and r["sent_at"] for r in sent)


MOSCOW_PLAN = """\
kind: plan
id: test-moscow
title: План (Москва, тест)
authority: Департамент образования (пример)
period: {start: 2023-01-01, end: 2026-12-31}
timezone: Europe/Moscow
parties:
  - id: imcro
    name: Методический центр (Москва)
    contacts: [{name: Методисты, email: IMCRO@example.org}]
sections:
  - id: "1"
    number: "1."
    title: Раздел
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: Московский семинар
        deadline: в срок до 5 марта 2024 года
        responsible: {text: Методический центр, parties: [imcro]}
"""


def test_one_person_in_plans_of_two_zones_gets_one_digest_per_zone(
    loaded: Path, server: Server, relay: Relay, run: Run
) -> None:
    (loaded / "test-moscow.yaml").write_text(MOSCOW_PLAN, encoding="utf-8")
    assert run("load", str(loaded)).exit_code == 0
    result = remind(run)
    assert "Отправлено: 5; отложено: 0; не доставлено: 0" in result.stdout
    to_imcro = [r for r in relay.received if [a.lower() for a in r.rcpt_tos] == [IMCRO]]
    texts = [body(r.message, "plain") for r in to_imcro]
    moscow = [t for t in texts if "на 01.03.2024 (Europe/Moscow)" in t]
    irkutsk = [t for t in texts if "на 01.03.2024 (Asia/Irkutsk)" in t]
    assert (len(texts), len(moscow), len(irkutsk)) == (2, 1, 1)
    assert "1.1 Московский семинар" in moscow[0] and "Разработка положения" not in moscow[0]
    assert "1.1 Разработка положения о наставничестве" in irkutsk[0]
    assert "Московский семинар" not in irkutsk[0]
    keys = sorted(
        r["key"] for r in outbox(run, "--status", "sent") if r["recipient"].lower() == IMCRO
    )
    assert keys == [
        "digest/2024-03-01/Asia/Irkutsk/imcro@example.org",
        "digest/2024-03-01/Europe/Moscow/imcro@example.org",
    ]


def test_running_twice_sends_nothing_new(
    loaded: Path, server: Server, relay: Relay, run: Run
) -> None:
    remind(run)
    again = remind(run)
    assert "Новых писем в очереди: 0" in again.stdout
    assert "Отправлено: 0" in again.stdout
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    assert len(outbox(run)) == 5  # 4 sent + 1 recorded failure


def test_no_mail_when_nothing_is_due(loaded: Path, server: Server, relay: Relay, run: Run) -> None:
    # On 2023-06-01 the nearest deadline is months away; the on-demand item
    # alone does not make a digest.
    result = run("remind", "--today", "2023-06-01")
    assert result.exit_code == 0, result.stderr
    assert "Новых писем в очереди: 0" in result.stdout
    assert relay.received == [] and relay.entered == 0
    assert outbox(run) == []


def test_dry_run_writes_eml_files_and_changes_nothing(
    loaded: Path, server: Server, relay: Relay, run: Run, tmp_path: Path
) -> None:
    out = tmp_path / "dry"
    result = remind(run, "--dry-run", "--out", str(out))
    files = sorted(out.glob("*.eml"))
    assert len(files) == 4, result.stdout
    assert relay.entered == 0
    assert outbox(run) == []
    subjects = set()
    for path in files:
        subjects.add(email.message_from_bytes(path.read_bytes(), policy=default)["Subject"])
    assert "Дорожная карта: просрочено 1, скоро срок 0 — МКУ ИМЦРО" in subjects
    # A real run afterwards still sends everything, once.
    remind(run)
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)


def test_out_of_the_box_sender_works_and_other_dotless_domains_do_not(
    loaded: Path, run: Run, tmp_path: Path
) -> None:
    # No smtp.from configured: the default roadmap@localhost is used.
    out = tmp_path / "dry"
    result = run("remind", "--today", "2024-03-01", "--dry-run", "--out", str(out),
                 ROADMAP_SMTP_FROM=None)
    assert result.exit_code == 0, result.stderr
    first = email.message_from_bytes(sorted(out.glob("*.eml"))[0].read_bytes(), policy=default)
    assert first["From"].addresses[0].addr_spec == "roadmap@localhost"
    # Only our own mailbox may be on localhost; other dotless domains are refused.
    bad = run("remind", "--today", "2024-03-01", "--dry-run", "--out", str(out),
              ROADMAP_SMTP_FROM="roadmap@intranet")
    assert bad.exit_code == 2
    assert "smtp.from / smtp.reply_to: адрес «roadmap@intranet»: недопустимый домен" in bad.stderr


@pytest.mark.parametrize(
    "plan_text",
    [
        {
            "imcro_name": '"МКУ ИМЦРО\\r\\nBcc: evil@example.org"',
            "contact_name": '"Методисты\\r\\nBcc: evil2@example.org\\r\\n\\r\\nbody"',
            "activity": '"Разработка положения\\r\\nX-Injected: 1"',
        }
    ],
)
def test_header_injection_adds_no_header(
    loaded: Path, server: Server, relay: Relay, run: Run
) -> None:
    remind(run)
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    received = relay.to(IMCRO)[0]
    assert received.rcpt_tos == [IMCRO]
    message = received.message
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "evil@example.org" in message["Subject"]  # kept as text, on one line
    assert "\r" not in message["Subject"] and "\n" not in message["Subject"]
    headers = received.data.split(b"\r\n\r\n", 1)[0]
    assert not any(
        line.lower().startswith((b"bcc:", b"x-injected:")) for line in headers.split(b"\r\n")
    )
    assert message["To"].addresses[0].addr_spec == IMCRO
    assert len(message["To"].addresses) == 1


# ---------------------------------------------------------------- failures


def test_451_once_then_accepted_is_delivered_exactly_once(
    loaded: Path, server: Server, relay: Relay, run: Run, make_app: Callable[..., App]
) -> None:
    relay.replies[IMCRO] = ["451 4.7.1 Greylisted, try again later"]
    first = remind(run)
    assert "Отправлено: 3; отложено: 1; не доставлено: 0" in first.stdout
    row = by_recipient(outbox(run))[IMCRO]
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == "451 4.7.1 Greylisted, try again later"

    # Right away: the back-off has not passed, nothing is tried.
    remind(run)
    assert relay.entered == 4

    # Two minutes later (injected clock): delivered, once.
    report = asyncio.run(run_reminders(make_app(later=timedelta(minutes=2))))
    assert report.send is not None and report.send.sent == 1
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    row = by_recipient(outbox(run))[IMCRO]
    assert row["status"] == "sent" and row["attempts"] == 2


def test_550_fails_without_retry_and_can_be_retried_by_hand(
    loaded: Path, server: Server, relay: Relay, run: Run, make_app: Callable[..., App]
) -> None:
    relay.replies[SCHOOL_2] = ["550 5.1.1 <curator@school-2.example.org>: mailbox unavailable"] * 3
    first = remind(run)
    assert "не доставлено: 1" in first.stdout
    row = by_recipient(outbox(run, "--status", "failed"))[SCHOOL_2]
    assert row["attempts"] == 1
    assert row["last_error"] == "550 5.1.1 <curator@school-2.example.org>: mailbox unavailable"
    table = run("outbox", "--status", "failed")
    assert "mailbox unavailable" in table.stdout

    entered = relay.entered
    asyncio.run(run_reminders(make_app(later=timedelta(hours=3))))
    assert relay.entered == entered  # permanent: never tried again
    assert SCHOOL_2 not in relay.counts()

    relay.replies.clear()  # the mailbox was fixed
    retried = run("outbox", "retry", str(row["id"]))
    assert retried.exit_code == 0, retried.stderr
    assert by_recipient(outbox(run))[SCHOOL_2]["status"] == "pending"
    remind(run)
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)

    again = run("outbox", "retry", str(row["id"]))
    assert again.exit_code == 2 and "уже отправлено" in again.stderr


def test_refusals_at_rcpt_one_permanent_one_temporary(
    loaded: Path, server: Server, relay: Relay, run: Run
) -> None:
    relay.rcpt_replies[SCHOOL_2] = "550 5.1.1 <curator@school-2.example.org>: no such user"
    relay.rcpt_replies[IMCRO] = "451 4.3.0 <imcro@example.org>: try again later"
    first = remind(run)
    assert "Отправлено: 2; отложено: 1; не доставлено: 1" in first.stdout
    rows = by_recipient(outbox(run))
    assert (rows[SCHOOL_2]["status"], rows[SCHOOL_2]["last_error"]) == (
        "failed",
        "curator@school-2.example.org: 550 5.1.1 <curator@school-2.example.org>: no such user",
    )
    assert (rows[IMCRO]["status"], rows[IMCRO]["attempts"], rows[IMCRO]["last_error"]) == (
        "pending",
        1,
        "imcro@example.org: 451 4.3.0 <imcro@example.org>: try again later",
    )
    assert relay.counts() == {SCHOOL_1: 1, COORDINATOR: 1}


def test_after_the_last_attempt_a_row_fails_with_the_last_reply(
    loaded: Path, server: Server, relay: Relay, run: Run, make_app: Callable[..., App]
) -> None:
    relay.replies[IMCRO] = [
        "451 4.7.1 Greylisted, try again later",
        "452 4.2.2 Mailbox full",
        "451 4.3.0 Queue full",
        "450 4.2.0 never reached",
    ]
    policy = RetryPolicy(max_attempts=3)  # back-off 1 min, then 2 min
    for minutes, status in [(0, "pending"), (1, "pending"), (3, "failed")]:
        asyncio.run(run_reminders(make_app(later=timedelta(minutes=minutes)), policy=policy))
        assert by_recipient(outbox(run))[IMCRO]["status"] == status, minutes
    row = by_recipient(outbox(run, "--status", "failed"))[IMCRO]
    assert row["attempts"] == 3
    assert row["last_error"] == "отказ после 3 попыток: 451 4.3.0 Queue full"

    # Given up: hours later it is not tried again.
    asyncio.run(run_reminders(make_app(later=timedelta(hours=5)), policy=policy))
    assert relay.replies[IMCRO] == ["450 4.2.0 never reached"]
    assert IMCRO not in relay.counts()
    assert relay.counts() == {SCHOOL_1: 1, SCHOOL_2: 1, COORDINATOR: 1}


def test_remind_over_starttls_with_login_keeps_the_password_out_of_sight(
    loaded: Path,
    port: int,
    relay: Relay,
    env: Env,
    run: Run,
    make_app: Callable[..., App],
    server_tls: ssl.SSLContext,
    ca_file: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    env.update(
        ROADMAP_SMTP_TLS="starttls",
        ROADMAP_SMTP_CA_FILE=str(ca_file),
        ROADMAP_SMTP_USER=USER,
        ROADMAP_SMTP_PASSWORD_FILE=str(secret),
        ROADMAP_SMTP_PASSWORD="an-old-password",  # wins over the file
    )
    relay_server = Server(
        port,
        relay,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=Accounts(),
    )
    relay_server.start()
    try:
        refused = run("remind", "--today", "2024-03-01")
        assert refused.exit_code == 1  # nothing sent: the messages stay queued
        assert "535" in refused.stderr and "Отправлено: 0; отложено: 4" in refused.stdout
        rows = by_recipient(outbox(run))
        assert {rows[address]["status"] for address in EVERYONE} == {"pending"}
        env["ROADMAP_SMTP_PASSWORD"] = None  # now from the file
        report = asyncio.run(run_reminders(make_app(later=timedelta(minutes=5))))
    finally:
        relay_server.stop()
    assert report.send is not None and report.send.sent == 4
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    assert {(r.login, r.tls) for r in relay.received} == {(USER, True)}
    shown = "\n".join(
        [refused.stdout, refused.stderr, json.dumps(outbox(run), ensure_ascii=False)]
        + [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    )
    leaks = forms_of(PASSWORD) + forms_of("an-old-password")
    assert not [form for form in leaks if form in shown]


async def test_a_stopping_sender_hands_back_what_it_has_not_sent(
    loaded: Path, server: Server, relay: Relay, run: Run, make_app: Callable[..., App]
) -> None:
    app = make_app()
    await asyncio.to_thread(build_outbox, app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGTERM arrives while the first message of the batch is being sent.
    relay.on_accept = lambda: loop.call_soon_threadsafe(stop.set)
    report = await deliver_pending(app, stop=stop)
    assert (report.sent, report.retry, report.failed) == (1, 0, 0)
    rows = [r for r in await asyncio.to_thread(outbox, run) if r["recipient"] in EVERYONE]
    assert sorted((r["status"], r["attempts"]) for r in rows) == [
        ("pending", 0), ("pending", 0), ("pending", 0), ("sent", 1)
    ]
    relay.on_accept = None
    again = await deliver_pending(make_app())  # due at once, each sent once
    assert again.sent == 3
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)


def test_rows_held_by_a_finished_sender_of_this_process_go_at_once_others_wait_for_the_lease(
    loaded: Path, server: Server, relay: Relay, run: Run, make_app: Callable[..., App]
) -> None:
    app = make_app()
    build_outbox(app)
    now = app.clock.now()
    elsewhere = "another-host:4242:0123456789ab"  # alive, as far as we can know
    finished = f"{socket.gethostname()}:{os.getpid()}:finished0000"  # this process, done
    with write_session(app.sessions) as session:
        held = {
            elsewhere: claim(session, elsewhere, now, 2, timedelta(hours=1)),
            finished: claim(session, finished, now, 2, timedelta(hours=1)),
        }
    mine = {c.recipient for c in held[finished]}
    theirs = {c.recipient for c in held[elsewhere]}
    assert len(mine) == len(theirs) == 2

    first = asyncio.run(deliver_pending(make_app()))
    assert first.sent == 2 and relay.counts() == dict.fromkeys(mine, 1)
    # The other host's sender may still be at work: its rows wait out the lease.
    later = asyncio.run(deliver_pending(make_app(later=timedelta(hours=1, minutes=1))))
    assert later.sent == 2 and relay.counts() == dict.fromkeys(EVERYONE, 1)


def test_relay_down_keeps_rows_pending_until_it_comes_back(
    loaded: Path, port: int, relay: Relay, run: Run, make_app: Callable[..., App]
) -> None:
    down = run("remind", "--today", "2024-03-01")  # nothing listens on the port
    assert down.exit_code == 1  # nothing went out: a cron job must notice
    assert "нет соединения с SMTP-сервером" in down.stderr
    assert "Ни одно письмо не отправлено; 4 остались в очереди" in down.stderr
    rows = [r for r in outbox(run) if r["status"] != "failed"]
    assert len(rows) == 4
    assert all(r["status"] == "pending" and r["attempts"] == 1 for r in rows)
    assert all("нет соединения" in r["last_error"] for r in rows)

    server = Server(port, relay)
    server.start()
    try:
        report = asyncio.run(run_reminders(make_app(later=timedelta(minutes=2))))
    finally:
        server.stop()
    assert report.send is not None and report.send.sent == 4
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    assert all(r["attempts"] == 2 for r in outbox(run, "--status", "sent"))


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_delivers_each_digest_once(
    loaded: Path,
    server: Server,
    relay: Relay,
    run: Run,
    env: dict[str, str | None],
    tmp_path: Path,
) -> None:
    relay.delay = 1.0
    proc = subprocess.Popen(
        [sys.executable, "-m", "roadmap", "--lang", "ru", "remind", "--today", "2024-03-01"],
        env=process_env(env),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        # The first message accepted (and so committed before the client
        # moved on), the second one in the slow relay's hands: kill now.
        while not (len(relay.received) >= 1 and relay.entered >= 2):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the relay never got two messages"
            time.sleep(0.01)
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -9
    # The relay drops the half-sent message when its client is gone.
    deadline = time.monotonic() + 30
    while relay.settled < relay.entered:
        assert time.monotonic() < deadline, "the relay still holds the second message"
        time.sleep(0.01)
    assert len(relay.received) == 1
    statuses = sorted(r["status"] for r in outbox(run) if r["recipient"] in EVERYONE)
    assert statuses.count("sent") == 1 and "sending" in statuses

    relay.delay = 0
    again = remind(run)
    assert "Новых писем в очереди: 0" in again.stdout
    assert "Отправлено: 3" in again.stdout
    assert relay.counts() == dict.fromkeys(EVERYONE, 1)
    assert {r["recipient"] for r in outbox(run, "--status", "sent")} == EVERYONE


def test_a_digest_is_written_when_sent_from_what_is_still_open(
    loaded: Path, server: Server, relay: Relay, run: Run, make_app: Callable[..., App],
    sessions: Any,
) -> None:
    # The morning sweep decides who gets mail; nothing is rendered yet.
    app = make_app()
    build = build_outbox(app)
    assert sorted(e.address for e in build.added) == sorted(EVERYONE)
    pending = outbox(run, "--status", "pending")
    assert len(pending) == 4 and all(r["size"] == 0 for r in pending)

    # Before the sender comes: imcro does 1.1 (so nothing is escalated any
    # more), school-1 does 1.2 and 1.4 (only its on-demand item is left).
    at = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)
    record_done(sessions, "test-city", task="1.1", by="imcro", at=at)
    for task in ("1.2", "1.4"):
        record_done(sessions, "test-city", task=task, org="school-1", by="ivanova", at=at)
    send = asyncio.run(deliver_pending(app))

    assert (send.sent, send.dropped, send.failed) == (1, 3, 0)
    assert relay.counts() == {SCHOOL_2: 1}
    school = relay.to(SCHOOL_2)[0].message
    assert school["Subject"] == "Дорожная карта: просрочено 1, скоро срок 1 — МБОУ СОШ № 2 (пример)"
    dropped = outbox(run, "--status", "dropped")
    assert sorted(r["recipient"] for r in dropped) == sorted([IMCRO, SCHOOL_1, COORDINATOR])
    assert all("нечего сообщать" in r["last_error"] for r in dropped)
    sent = outbox(run, "--status", "sent")
    assert sent[0]["subject"] == school["Subject"] and sent[0]["size"] > 0
    # Later runs that day add nothing and send nothing.
    assert "Новых писем в очереди: 0" in remind(run).stdout
    assert relay.counts() == {SCHOOL_2: 1}


def test_english_digest_counts_one_day_and_several_days(
    loaded: Path, server: Server, relay: Relay, run: Run
) -> None:
    # 28.02: 1.4 (due 27.02) is one day late, 1.2 (due 10.03) eleven days off.
    result = run("--lang", "en", "remind", "--today", "2024-02-28")
    assert result.exit_code == 0, result.stderr
    text = body(relay.to(SCHOOL_1)[0].message, "plain")
    assert "Due: 27.02.2024 — overdue by 1 day\n" in text
    assert "Due: 10.03.2024 — 11 days left\n" in text
    assert "Due soon — within the next 14 days (1)" in text

    # 09.03: 1.2 is due tomorrow.
    result = run("--lang", "en", "remind", "--today", "2024-03-09")
    assert result.exit_code == 0, result.stderr
    text = body(relay.to(SCHOOL_1)[-1].message, "plain")
    assert "Due: 10.03.2024 — 1 day left\n" in text
    assert "overdue by 11 days\n" in text
