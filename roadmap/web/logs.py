"""No secret in any log line: feed and link tokens are cut out of every
record that leaves the process, whatever its origin (an access line, a
message argument, or the text of an exception aiohttp logs while it fails
to parse a request).

:class:`RedactSecrets` is put on every handler (:func:`install_log_redaction`),
where each record is seen once, fully formatted: message, arguments,
traceback and stack. The access log writes ``/feeds/***.ics`` and ``/l/***``
(:class:`RedactingAccessLogger`).
"""

from __future__ import annotations

import logging
import re

from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

# Anything after /feeds/ or /l/ may be (part of) a token: all of it is redacted.
SECRET_PATH = re.compile(r"/(feeds|l)/[^\s\"'?#/\\]+")


def _redacted(match: re.Match[str]) -> str:
    if match.group(1) == "feeds":
        return "/feeds/***.ics" if match.group().endswith(".ics") else "/feeds/***"
    return "/l/***"


def redact(text: str) -> str:
    """``text`` with every feed or link token replaced by ``***``."""
    return SECRET_PATH.sub(_redacted, text)


class RedactSecrets(logging.Filter):
    """Formats a record once (message, arguments, exception, stack) and
    keeps only the redacted text. A request the HTTP parser refused (a
    client's fault, not ours) is one warning line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what can be shown
            message = f"{record.msg!r} {record.args!r}"
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            said = " ".join(str(error.message).split())[:300]
            message += f": {type(error).__name__}: {said}"
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        elif record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        elif record.exc_text:
            message += "\n" + record.exc_text
        if record.stack_info:
            message += "\n" + record.stack_info
        record.msg = redact(message)
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class RedactingAccessLogger(AbstractAccessLogger):
    """The access log line, with secrets redacted: ``remote "METHOD
    /feeds/***.ics HTTP/1.1" status size time "agent"``."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        line = redact(
            f"{request.method} {request.rel_url.path} "
            f"HTTP/{request.version.major}.{request.version.minor}"
        )
        self.logger.info(
            '%s "%s" %s %s %.6fs "%s"',
            request.remote,
            line,
            response.status,
            response.body_length,
            time,
            request.headers.get("User-Agent", "-"),
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


_FILTER = RedactSecrets()
_LOGGERS = ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.internal", "roadmap.web")


def install_log_redaction(*extra: logging.Handler) -> None:
    """Put :class:`RedactSecrets` on every handler that may see a request:
    the root logger's, aiohttp's loggers' and their own handlers, the
    last-resort handler, and ``extra`` (idempotent). Also on aiohttp's
    loggers themselves, for handlers added later to them."""
    handlers: list[logging.Handler] = [*extra, *logging.getLogger().handlers]
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        handlers.extend(logger.handlers)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


__all__ = ["RedactSecrets", "RedactingAccessLogger", "install_log_redaction", "redact"]
