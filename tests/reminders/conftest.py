"""Fixtures for the reminder tests: a real SMTP server (aiosmtpd) on
loopback, a real SQLite file, small plans loaded with ``roadmap load``
(the mechanics are in ``tests/fixtures.py``).

The plan (Asia/Irkutsk), seen on 2024-03-01 with the default look-ahead (14)
and escalation (7 days):

- 1.1 МКУ ИМЦРО, due 2024-02-20: overdue 10 days → imcro's digest and an
  escalation to the plan's coordinator;
- 1.2 ОО (each school), due 2024-03-10: due soon;
- 1.3 ОО, «По плану проекта»: on demand (footnote);
- 1.4 ОО, due 2024-02-27: overdue 3 days (no escalation);
- 1.5 МКУ ИМЦРО, due 2024-06-01: upcoming, not mailed.

Schools: school-1 and school-2 have curators; school-3's curator address is
invalid (skipped and recorded). So a run sends 4 messages: imcro,
school-1, school-2, coordinator.
"""

from __future__ import annotations

import asyncio
import base64
import email
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.policy import default as default_policy
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.fixtures import MakeApp
from tests.fixtures import Run as Run  # re-exported for the tests
from tests.fixtures import process_env as process_env

TODAY = date(2024, 3, 1)
IMCRO = "imcro@example.org"
SCHOOL_1 = "curator@school-1.example.org"
SCHOOL_2 = "curator@school-2.example.org"
COORDINATOR = "coordinator@example.org"
EVERYONE = {IMCRO, SCHOOL_1, SCHOOL_2, COORDINATOR}
USER = "roadmap"  # the one SMTP account of Accounts
PASSWORD = "Pa55:w0rd-не-для-логов"

PLAN = """\
kind: plan
id: test-city
title: План мероприятий по наставничеству (тест)
authority: Департамент образования (пример)
period: {start: 2023-01-01, end: 2026-12-31}
timezone: Asia/Irkutsk
escalation: {name: Отдел развития образования, email: coordinator@example.org}
parties:
  - id: imcro
    name: %(imcro_name)s
    aliases: [МКУ ИМЦРО]
    contacts: [{name: %(contact_name)s, email: imcro@example.org}]
  - id: oo
    name: Образовательные организации
    aliases: [ОО]
    register: test-city
sections:
  - id: "1"
    number: "1."
    title: Организационно-управленческое направление
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: %(activity)s
        deadline: в срок до 20 февраля 2024 года
        responsible: {text: МКУ ИМЦРО, parties: [imcro]}
        result: Положение о наставничестве <утверждено> & подписано
      - id: "1.2"
        number: "1.2"
        activity: Назначение кураторов наставничества
        deadline: в срок до 10 марта 2024 года
        responsible: {text: ОО, parties: [oo]}
        result: Приказ о назначении куратора
      - id: "1.3"
        number: "1.3"
        activity: Участие в региональном проекте
        deadline: По плану проекта
        responsible: {text: ОО, parties: [oo]}
      - id: "1.4"
        number: "1.4"
        activity: Отчёт о наставничестве за полугодие
        deadline: в срок до 27 февраля 2024 года
        responsible: {text: ОО, parties: [oo]}
        result: Отчёт
      - id: "1.5"
        number: "1.5"
        activity: Итоговая конференция
        deadline: до 1 июня 2024 года
        responsible: {text: МКУ ИМЦРО, parties: [imcro]}
"""

DEFAULTS = {
    "imcro_name": "МКУ ИМЦРО",
    "contact_name": "Методисты ИМЦРО",
    "activity": "Разработка положения о наставничестве",
}

REGISTER = """\
kind: register
id: test-city
title: Школы (пример)
example: true
organisations:
  - id: school-1
    name: МБОУ СОШ № 1 (пример)
    curator: {name: Иванова Анна Петровна, email: curator@school-1.example.org}
  - id: school-2
    name: МБОУ СОШ № 2 (пример)
    curator: {name: Петров Илья Сергеевич, email: curator@school-2.example.org}
  - id: school-3
    name: МБОУ СОШ № 3 (пример)
    curator: {name: Сидорова Ольга, email: curator@school-3..example.org}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool = False  # the session was encrypted (STARTTLS or implicit TLS)
    login: str | None = None  # who logged in (AUTH), if anyone

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Relay:
    """An aiosmtpd handler: records what it accepts (only when it answers
    250), can answer given replies first, per recipient (at DATA: keyed by
    the first recipient; at RCPT: ``rcpt_replies``), and be slow."""

    received: list[Received] = field(default_factory=list)
    replies: dict[str, list[str]] = field(default_factory=dict)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    entered: int = 0  # DATA commands seen, accepted or not
    settled: int = 0  # DATA commands answered, or dropped with their client
    quits: int = 0  # QUIT commands seen
    on_accept: Callable[[], None] | None = None  # called (in the relay's thread) per message

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.quits += 1
        return "221 Bye"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.entered += 1
        try:
            return await self._data(server, session, envelope)
        finally:
            self.settled += 1

    async def _data(self, server: Any, session: Any, envelope: Any) -> str:
        queue = self.replies.get(envelope.rcpt_tos[0])
        if queue:
            return queue.pop(0)
        if self.delay:
            # Cancelled by aiosmtpd when the client goes away: never accepted.
            await asyncio.sleep(self.delay)
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.content),
                # session.ssl: after STARTTLS; ssl_object: implicit TLS
                tls=session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                login=login,
            )
        )
        if self.on_accept is not None:
            self.on_accept()
        return "250 2.0.0 OK: queued"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if r.rcpt_tos == [address]]

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for r in self.received:
            for rcpt in r.rcpt_tos:
                found[rcpt] = found.get(rcpt, 0) + 1
        return found


class Server:
    """A real SMTP server on 127.0.0.1:port that can be stopped and restarted;
    ``options`` go to aiosmtpd's ``Controller`` (``ssl_context=`` for
    implicit TLS, ``tls_context=``, ``require_starttls=``, ``authenticator=``…)."""

    def __init__(self, port: int, relay: Relay, **options: Any) -> None:
        self.port = port
        self.relay = relay
        self.options = options
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.relay, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# ---------------------------------------------------------------- TLS and AUTH


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    """The relay's side: a certificate for 127.0.0.1 signed by the test CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


class Accounts:
    """aiosmtpd's authenticator: one account; records the mechanisms used."""

    def __init__(self) -> None:
        self.mechanisms: list[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.mechanisms.append(mechanism)
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def forms_of(secret: str) -> list[str]:
    """The password as it could leak: plain, or base64 as in AUTH PLAIN/LOGIN."""
    raw = secret.encode()
    plain = b"\0" + USER.encode() + b"\0" + raw
    return [secret, base64.b64encode(raw).decode(), base64.b64encode(plain).decode()]


@pytest.fixture
def relay() -> Relay:
    return Relay()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def server(port: int, relay: Relay) -> Iterator[Server]:
    srv = Server(port, relay)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def plan_text() -> dict[str, str]:
    """Edit before ``plans_dir`` is used to change names in the plan."""
    return dict(DEFAULTS)


@pytest.fixture
def plan_files(plan_text: dict[str, str]) -> dict[str, str]:
    return {"test-city.yaml": PLAN % plan_text, "orgs/test-city.yaml": REGISTER}


@pytest.fixture
def env_extra(port: int) -> dict[str, str | None]:
    return {
        "ROADMAP_SMTP_HOST": "127.0.0.1",
        "ROADMAP_SMTP_PORT": str(port),
        "ROADMAP_SMTP_TLS": "none",
        "ROADMAP_SMTP_FROM": "Дорожная карта <roadmap@example.org>",
        "ROADMAP_SMTP_TIMEOUT": "10",
    }


@pytest.fixture
def make_app(make_app: MakeApp) -> MakeApp:
    """An App on the test database whose «now» is shifted by ``later``:
    the injected clock lets a test reach a row's next attempt. «Today» is
    ``TODAY`` unless given."""
    return partial(make_app, today=TODAY)
