"""Sending rendered messages over SMTP with aiosmtplib (the only SMTP client we use).

:class:`SmtpTransport` keeps ONE connection open and reuses it for every
message (reconnecting after the relay drops it); each send is bounded as a
whole by ``asyncio.timeout`` (aiosmtplib's own timeouts are per socket
operation). TLS is explicit, from ``smtp.tls``:

========  =====================================================
starttls  ``start_tls=True`` — fail if the relay offers no STARTTLS
tls       ``use_tls=True`` — implicit TLS (port 465)
none      ``start_tls=False`` — plain text, by choice (loopback relays, tests)
========  =====================================================

A send ends in a :class:`Delivery`: ``SENT`` (the relay accepted; partial
recipient refusals are in ``reply``), ``RETRY`` (4xx, dropped connection,
time-out, socket error) or ``FAILED`` (5xx: permanent, with the relay's
reply). When no connection can be made at all, :class:`ConnectionFailed` is
raised: that is no message's fault, the caller defers everything.

The password is only handed to aiosmtplib: it is not in any ``repr``, log
line or error text.

Example::

    async with SmtpTransport(SmtpConfig.from_settings(app.settings)) as smtp:
        delivery = await smtp.send("roadmap@example.org", ["imcro@example.org"], message_bytes)
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol

import aiosmtplib

from roadmap.files import ensure_dir, write_atomic
from roadmap.i18n import _
from roadmap.settings import Settings

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    reply: str = ""


class ConnectionFailed(Exception):
    """No SMTP session could be opened (relay down, TLS or login refused)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str = "starttls"  # starttls | tls | none
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    ca_file: str | None = None  # PEM bundle to verify the relay; None: the system's

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        return cls(
            host=str(settings["smtp.host"]),
            port=int(settings["smtp.port"]),
            tls=str(settings["smtp.tls"]),
            user=settings["smtp.user"],
            password=settings["smtp.password"],
            timeout=float(settings["smtp.timeout"]),
            ca_file=None if settings["smtp.ca_file"] is None else str(settings["smtp.ca_file"]),
        )

    def client(self) -> aiosmtplib.SMTP:
        """An unconnected client with the TLS mode spelled out (never the
        default ``start_tls=None``, which silently falls back to plain text)."""
        if self.tls not in ("starttls", "tls", "none"):
            raise ValueError(f"smtp.tls must be starttls, tls or none, not {self.tls!r}")
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.user,
            password=self.password if self.user else None,
            timeout=self.timeout,
            use_tls=self.tls == "tls",
            start_tls=self.tls == "starttls",
            cert_bundle=self.ca_file,
        )


class Transport(Protocol):
    """What the outbox needs of a mail sender."""

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> Delivery: ...

    async def close(self) -> None: ...


def _describe(err: BaseException) -> str:
    if isinstance(err, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in err.recipients)
    if isinstance(err, aiosmtplib.SMTPResponseException):
        return f"{err.code} {err.message}"
    if isinstance(err, TimeoutError) and not str(err):
        return _("превышено время ожидания SMTP")
    return f"{type(err).__name__}: {err}".strip()


def _is_transient(code: int) -> bool:
    return 400 <= code < 500


class SmtpTransport:
    """One reused SMTP connection; ``send`` (re)connects when needed.

    Not safe for concurrent ``send`` calls (SMTP is one transaction at a
    time per connection): run one transport per concurrent worker."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._client: aiosmtplib.SMTP | None = None
        self.connections = 0  # how many sessions were opened (for tests and benchmarks)

    async def __aenter__(self) -> SmtpTransport:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    async def connect(self) -> None:
        await self._drop()
        client = self.config.client()
        try:
            async with asyncio.timeout(self.config.timeout):
                await client.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
            client.close()
            raise ConnectionFailed(
                _("нет соединения с SMTP-сервером {host}:{port}: {err}").format(
                    host=self.config.host, port=self.config.port, err=_describe(err)
                )
            ) from err
        self._client = client
        self.connections += 1

    async def send(self, sender: str, recipients: Sequence[str], message: bytes) -> Delivery:
        """Hand one message to the relay; see the module doc for the outcomes."""
        if not self.connected:
            await self.connect()
        client = self._client
        assert client is not None
        try:
            async with asyncio.timeout(self.config.timeout):
                refused, reply = await client.sendmail(sender, list(recipients), message)
        except aiosmtplib.SMTPRecipientsRefused as err:
            transient = any(_is_transient(r.code) for r in err.recipients)
            return Delivery(Outcome.RETRY if transient else Outcome.FAILED, _describe(err))
        except aiosmtplib.SMTPResponseException as err:
            if not client.is_connected or err.code == 421:
                await self._drop()
            if err.code >= 500:
                return Delivery(Outcome.FAILED, _describe(err))
            return Delivery(Outcome.RETRY, _describe(err))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
            # Disconnected, timed out, socket error: the session's state is
            # unknown, so start a fresh one for the next message.
            await self._drop()
            return Delivery(Outcome.RETRY, _describe(err))
        text = str(reply)
        if refused:
            text += "; " + _("отклонены: {list}").format(
                list=", ".join(f"{rcpt}: {r.code} {r.message}" for rcpt, r in refused.items())
            )
        return Delivery(Outcome.SENT, text)

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        client.close()

    async def close(self) -> None:
        """QUIT politely (bounded in time), then drop the connection."""
        client = self._client
        if client is not None and client.is_connected:
            try:
                async with asyncio.timeout(min(self.config.timeout, 10)):
                    await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                pass
        await self._drop()


# ---------------------------------------------------------------- dry run

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")


def eml_name(*parts: object) -> str:
    """A safe file name from parts: ``12-digest-2024-03-01-imcro@example.org.eml``."""
    name = "-".join(_UNSAFE.sub("_", str(p)) for p in parts if p not in (None, ""))
    return name[:200] + ".eml"


def write_eml(directory: Path, name: str, message: bytes) -> Path:
    """Write ``message`` to ``directory/name`` atomically (temp file, then rename)."""
    target = ensure_dir(directory) / name
    write_atomic(target, message)
    return target
