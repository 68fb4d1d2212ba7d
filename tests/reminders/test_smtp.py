"""SMTP as it really is: the transport (``notifications.mailer``) against a
real aiosmtpd server on loopback — STARTTLS and implicit TLS checked with a
test CA (trustme), AUTH PLAIN/LOGIN with the password from the environment
or a file, refusals at the RCPT stage, a 421 that closes the session and a
connection reset before the DATA reply."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from notifications.mailer import (
    ConnectionFailed,
    Delivery,
    Outcome,
    SmtpConfig,
    SmtpTransport,
    eml_name,
    write_eml,
)
from roadmap.errors import ConfigError
from roadmap.settings import load_settings
from tests.reminders.conftest import (
    PASSWORD,
    USER,
    Accounts,
    Relay,
    Server,
    forms_of,
    free_port,
)

SENDER = "roadmap@example.org"
RCPT = "imcro@example.org"
OTHER = "curator@school-1.example.org"
MESSAGE = b"Subject: test\r\nFrom: roadmap@example.org\r\nTo: imcro@example.org\r\n\r\nhello\r\n"

StartServer = Callable[..., Server]


@pytest.fixture
def start(relay: Relay) -> Iterator[StartServer]:
    """``start(**controller_options)``: a running server on a free port."""
    servers: list[Server] = []

    def starter(**options: Any) -> Server:
        server = Server(free_port(), relay, **options)
        server.start()
        servers.append(server)
        return server

    yield starter
    for server in servers:
        server.stop()


def config(server: Server, tls: str, **env: str) -> SmtpConfig:
    """The transport's settings as a deployment writes them (``ROADMAP_SMTP_*``)."""
    settings = load_settings(
        None,
        {
            "ROADMAP_SMTP_HOST": "127.0.0.1",
            "ROADMAP_SMTP_PORT": str(server.port),
            "ROADMAP_SMTP_TLS": tls,
            "ROADMAP_SMTP_TIMEOUT": "10",
            **env,
        },
    )
    return SmtpConfig.from_settings(settings)


def send(smtp: SmtpConfig, recipients: tuple[str, ...] = (RCPT,)) -> Delivery:
    async def one() -> Delivery:
        async with SmtpTransport(smtp) as transport:
            return await transport.send(SENDER, recipients, MESSAGE)

    return asyncio.run(one())


def send_twice(smtp: SmtpConfig) -> tuple[Delivery, bool, Delivery, int]:
    """Two sends on one transport: the first delivery, whether the session
    survived it, the second delivery and how many sessions were opened."""

    async def two() -> tuple[Delivery, bool, Delivery, int]:
        async with SmtpTransport(smtp) as transport:
            first = await transport.send(SENDER, [RCPT], MESSAGE)
            alive = transport.connected
            second = await transport.send(SENDER, [RCPT], MESSAGE)
            return first, alive, second, transport.connections

    return asyncio.run(two())


# ---------------------------------------------------------------- TLS


def test_starttls_with_the_configured_ca_encrypts_the_session(
    start: StartServer, relay: Relay, server_tls: ssl.SSLContext, ca_file: Path
) -> None:
    server = start(tls_context=server_tls, require_starttls=True)
    delivery = send(config(server, "starttls", ROADMAP_SMTP_CA_FILE=str(ca_file)))
    assert delivery.outcome is Outcome.SENT
    assert [(r.rcpt_tos, r.tls) for r in relay.received] == [([RCPT], True)]


def test_starttls_is_used_even_when_the_relay_would_take_plain_text(
    start: StartServer, relay: Relay, server_tls: ssl.SSLContext, ca_file: Path
) -> None:
    # The relay offers STARTTLS but does not insist: the setting decides.
    server = start(tls_context=server_tls)
    delivery = send(config(server, "starttls", ROADMAP_SMTP_CA_FILE=str(ca_file)))
    assert delivery.outcome is Outcome.SENT
    assert [r.tls for r in relay.received] == [True]


def test_starttls_required_but_not_offered_sends_nothing(start: StartServer, relay: Relay) -> None:
    server = start()  # plain text only: no STARTTLS in its EHLO
    with pytest.raises(
        ConnectionFailed, match=rf"^нет соединения с SMTP-сервером 127\.0\.0\.1:{server.port}: .*STARTTLS"
    ):
        send(config(server, "starttls"))
    assert relay.received == [] and relay.entered == 0


def test_a_relay_certificate_from_an_unknown_ca_is_refused(
    start: StartServer, relay: Relay, server_tls: ssl.SSLContext
) -> None:
    server = start(tls_context=server_tls, require_starttls=True)
    with pytest.raises(ConnectionFailed, match="CERTIFICATE_VERIFY_FAILED"):
        send(config(server, "starttls"))  # no smtp.ca_file: the system's CAs
    assert relay.received == []


def test_implicit_tls(
    start: StartServer, relay: Relay, server_tls: ssl.SSLContext, ca_file: Path
) -> None:
    server = start(ssl_context=server_tls)
    delivery = send(config(server, "tls", ROADMAP_SMTP_CA_FILE=str(ca_file)))
    assert delivery.outcome is Outcome.SENT
    assert [(r.rcpt_tos, r.tls) for r in relay.received] == [([RCPT], True)]


def test_plain_text_against_an_implicit_tls_port_fails_to_connect(
    start: StartServer, relay: Relay, server_tls: ssl.SSLContext
) -> None:
    server = start(ssl_context=server_tls)
    with pytest.raises(ConnectionFailed):
        send(config(server, "none", ROADMAP_SMTP_TIMEOUT="2"))
    assert relay.received == []


# ---------------------------------------------------------------- AUTH


def our_log(caplog: pytest.LogCaptureFixture) -> str:
    """Every record except the test relay's own (aiosmtpd logs AUTH lines)."""
    return "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith("mail.log")
    )


@pytest.fixture
def password_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "environment":
        return {"ROADMAP_SMTP_PASSWORD": PASSWORD}
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    return {"ROADMAP_SMTP_PASSWORD_FILE": str(secret)}


@pytest.mark.parametrize("password_env", ["environment", "file"], indirect=True)
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_login_with_the_password_from_the_environment_or_a_file(
    start: StartServer,
    relay: Relay,
    server_tls: ssl.SSLContext,
    ca_file: Path,
    password_env: dict[str, str],
    mechanism: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    accounts = Accounts()
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    server = start(
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=accounts,
        auth_exclude_mechanism=[other],
    )
    smtp = config(
        server, "starttls", ROADMAP_SMTP_CA_FILE=str(ca_file), ROADMAP_SMTP_USER=USER, **password_env
    )
    delivery = send(smtp)
    assert delivery.outcome is Outcome.SENT
    assert accounts.mechanisms == [mechanism]
    assert [(r.login, r.tls) for r in relay.received] == [(USER, True)]
    shown = our_log(caplog) + repr(smtp) + delivery.reply
    assert not [form for form in forms_of(PASSWORD) if form in shown]


def test_a_refused_login_names_the_reply_not_the_password(
    start: StartServer,
    relay: Relay,
    server_tls: ssl.SSLContext,
    ca_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = start(
        tls_context=server_tls, require_starttls=True, auth_required=True, authenticator=Accounts()
    )
    wrong = PASSWORD + "-old"
    smtp = config(
        server,
        "starttls",
        ROADMAP_SMTP_CA_FILE=str(ca_file),
        ROADMAP_SMTP_USER=USER,
        ROADMAP_SMTP_PASSWORD=wrong,
    )
    with pytest.raises(ConnectionFailed, match="535") as failed:
        send(smtp)
    assert relay.received == []
    shown = our_log(caplog) + str(failed.value) + repr(smtp)
    assert not [form for form in forms_of(wrong) if form in shown]


def test_settings_never_show_the_password(tmp_path: Path) -> None:
    settings = load_settings(None, {"ROADMAP_SMTP_PASSWORD": PASSWORD})
    assert settings["smtp.password"] == PASSWORD
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    assert "'smtp.password': '***'" in repr(settings)
    config_file = tmp_path / "roadmap.yaml"
    config_file.write_text(f"smtp:\n  password: [{PASSWORD}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"«smtp\.password» = '\*\*\*': ожидается пароль") as bad:
        load_settings(config_file, {})
    assert PASSWORD not in str(bad.value)


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("replies", "recipients", "outcome", "reply"),
    [
        (
            {RCPT: "550 5.1.1 <imcro@example.org>: mailbox unavailable"},
            (RCPT,),
            Outcome.FAILED,
            "imcro@example.org: 550 5.1.1 <imcro@example.org>: mailbox unavailable",
        ),
        (
            {RCPT: "451 4.7.1 greylisted"},
            (RCPT,),
            Outcome.RETRY,
            "imcro@example.org: 451 4.7.1 greylisted",
        ),
        (
            # One refusal is temporary: trying again later may reach both.
            {RCPT: "550 5.1.1 no such user", OTHER: "451 4.3.0 try later"},
            (RCPT, OTHER),
            Outcome.RETRY,
            "imcro@example.org: 550 5.1.1 no such user; "
            "curator@school-1.example.org: 451 4.3.0 try later",
        ),
        (
            {RCPT: "550 5.1.1 no such user", OTHER: "553 5.1.3 bad address"},
            (RCPT, OTHER),
            Outcome.FAILED,
            "imcro@example.org: 550 5.1.1 no such user; "
            "curator@school-1.example.org: 553 5.1.3 bad address",
        ),
        (
            # The edges of «temporary»: 400 is, 500 is not.
            {RCPT: "400 4.0.0 try again"},
            (RCPT,),
            Outcome.RETRY,
            "imcro@example.org: 400 4.0.0 try again",
        ),
        (
            {RCPT: "500 5.5.2 syntax error"},
            (RCPT,),
            Outcome.FAILED,
            "imcro@example.org: 500 5.5.2 syntax error",
        ),
    ],
    ids=["550", "451", "550+451", "550+553", "400", "500"],
)
def test_refusals_at_rcpt(
    start: StartServer,
    relay: Relay,
    replies: dict[str, str],
    recipients: tuple[str, ...],
    outcome: Outcome,
    reply: str,
) -> None:
    relay.rcpt_replies.update(replies)
    delivery = send(config(start(), "none"), recipients)
    assert delivery == Delivery(outcome, reply)
    assert relay.received == [] and relay.entered == 0


def test_one_recipient_served_the_others_refused_at_rcpt(start: StartServer, relay: Relay) -> None:
    third = "head@school-1.example.org"
    relay.rcpt_replies[OTHER] = "550 5.1.1 no such user"
    relay.rcpt_replies[third] = "450 4.2.1 mailbox busy"
    delivery = send(config(start(), "none"), (RCPT, OTHER, third))
    assert delivery == Delivery(
        Outcome.SENT,
        "2.0.0 OK: queued; отклонены: curator@school-1.example.org: 550 5.1.1 no such user, "
        "head@school-1.example.org: 450 4.2.1 mailbox busy",
    )
    assert [r.rcpt_tos for r in relay.received] == [[RCPT]]


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        ("451 4.3.0 queue full", Outcome.RETRY),
        ("499 4.0.0 odd but temporary", Outcome.RETRY),
        ("500 5.0.0 rejected", Outcome.FAILED),
        ("554 5.7.1 message refused", Outcome.FAILED),
    ],
)
def test_a_refusal_at_data_keeps_the_session_for_the_next_message(
    start: StartServer, relay: Relay, reply: str, outcome: Outcome
) -> None:
    relay.replies[RCPT] = [reply]
    first, alive, second, connections = send_twice(config(start(), "none"))
    assert first == Delivery(outcome, reply)
    assert alive and connections == 1  # the same session carries the next message
    assert second.outcome is Outcome.SENT
    assert [r.rcpt_tos for r in relay.received] == [[RCPT]]


def test_closing_says_quit(start: StartServer, relay: Relay) -> None:
    assert send(config(start(), "none")).outcome is Outcome.SENT
    assert relay.quits == 1


# ---------------------------------------------------------------- time limits


class PacedRelay(Relay):
    """Answers EHLO, MAIL and RCPT after ``pace`` seconds each: every
    command well within the time limit, the whole exchange not."""

    pace = 1.2

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        await asyncio.sleep(self.pace)
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        await asyncio.sleep(self.pace)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        await asyncio.sleep(self.pace)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.mark.parametrize("relay", [PacedRelay], indirect=True)
def test_smtp_timeout_bounds_a_whole_send(start: StartServer, relay: Relay) -> None:
    # 2 s for MAIL + RCPT (1.2 s each) + DATA: too slow as a whole.
    delivery = send(config(start(), "none", ROADMAP_SMTP_TIMEOUT="2"))
    assert delivery == Delivery(Outcome.RETRY, "превышено время ожидания SMTP")
    assert relay.received == []


@pytest.mark.parametrize("relay", [PacedRelay], indirect=True)
def test_smtp_timeout_bounds_a_whole_connection(
    start: StartServer, relay: Relay, server_tls: ssl.SSLContext, ca_file: Path
) -> None:
    # EHLO, STARTTLS, EHLO again to log in (1.2 s each EHLO): more than 2 s.
    server = start(tls_context=server_tls, authenticator=Accounts())
    smtp = config(server, "starttls", ROADMAP_SMTP_CA_FILE=str(ca_file),
                  ROADMAP_SMTP_TIMEOUT="2", ROADMAP_SMTP_USER=USER,
                  ROADMAP_SMTP_PASSWORD=PASSWORD)
    with pytest.raises(ConnectionFailed) as failed:
        send(smtp)
    assert str(failed.value) == (
        f"нет соединения с SMTP-сервером 127.0.0.1:{server.port}: превышено время ожидания SMTP"
    )


def test_an_unknown_tls_mode_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^smtp\.tls must be starttls, tls or none, not 'ssl'$"):
        SmtpConfig("127.0.0.1", 25, tls="ssl").client()


# ---------------------------------------------------------------- dry run files


def test_eml_names_are_safe_and_bounded() -> None:
    assert eml_name(12, "digest", "2024-03-01", "imcro@example.org") == (
        "12-digest-2024-03-01-imcro@example.org.eml"
    )
    # Unsafe runs become one «_»; empty parts are left out.
    assert eml_name("a b/../c", None, "", "x+y@пример.рф") == "a_b_.._c-x+y@_._.eml"
    assert eml_name("x" * 300) == "x" * 200 + ".eml"


def test_write_eml_makes_missing_folders(tmp_path: Path) -> None:
    target = write_eml(tmp_path / "out" / "2024-03-01", "a.eml", b"Subject: x\r\n\r\nbody\r\n")
    assert target == tmp_path / "out" / "2024-03-01" / "a.eml"
    assert target.read_bytes() == b"Subject: x\r\n\r\nbody\r\n"



# ---------------------------------------------------------------- dropped sessions


class ClosingRelay(Relay):
    """Answers the first DATA with 421 and closes the session, as a relay
    going down for maintenance does."""

    async def _data(self, server: Any, session: Any, envelope: Any) -> str:
        if self.entered == 1:
            server.loop.call_soon(server.transport.close)  # after the reply is written
            return "421 4.3.2 Service shutting down"
        return await super()._data(server, session, envelope)


class ResettingRelay(Relay):
    """Resets the connection (RST) after the first message's data arrived,
    before answering it."""

    async def _data(self, server: Any, session: Any, envelope: Any) -> str:
        if self.entered == 1:
            sock = server.transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            server.transport.abort()
            return "250 never seen"
        return await super()._data(server, session, envelope)


@pytest.fixture
def relay(request: pytest.FixtureRequest) -> Relay:
    """A fresh relay of the class a test names (``indirect``), or a plain one."""
    kind: type[Relay] = getattr(request, "param", Relay)
    return kind()


@pytest.mark.parametrize(
    ("relay", "first"),
    [
        (ClosingRelay, Delivery(Outcome.RETRY, "421 4.3.2 Service shutting down")),
        (ResettingRelay, None),
    ],
    ids=["421", "reset"],
    indirect=["relay"],
)
def test_a_dropped_session_is_retried_and_the_next_message_reconnects(
    start: StartServer, relay: Relay, first: Delivery | None
) -> None:
    delivered, alive, second, connections = send_twice(config(start(), "none"))
    if first is not None:
        assert delivered == first
    else:
        assert delivered.outcome is Outcome.RETRY
        assert delivered.reply.startswith("SMTPServerDisconnected: ")
    assert not alive
    assert second.outcome is Outcome.SENT
    assert connections == 2
    assert [r.rcpt_tos for r in relay.received] == [[RCPT]]
