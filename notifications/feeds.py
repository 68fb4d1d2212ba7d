"""Calendars for a scope, and the HTTP server of subscription feeds.

:func:`calendar_for` is the one way to get a calendar: status rows
(:func:`roadmap.tracking.status_rows`) → entries
(:mod:`notifications.calendar`) → calendar revisions
(:mod:`roadmap.feeds`, written only when something changed) → bytes.
``roadmap ics`` and the feed server both call it.

:func:`make_app` builds the aiohttp application; ``roadmap serve`` runs it
(and the scheduler may run in the same process). It serves exactly one
thing, ``GET``/``HEAD /feeds/<token>.ics``:

- 200 ``text/calendar; charset=utf-8`` with a strong ``ETag`` (SHA-256 of
  the body) and ``Cache-Control: max-age=21600`` (the calendar's refresh
  interval);
- 304 only when ``If-None-Match`` names the current body's ETag;
- 404, with one fixed body, for an unknown or revoked token and for every
  other path: the token is hashed and looked up by hash in one indexed
  query, so both cost the same;
- tokens never reach the logs: the access log writes ``/feeds/***.ics``
  (:class:`RedactingAccessLogger`, plus :class:`RedactTokens` on aiohttp's
  loggers for anything else that would print a path).

Example::

    app = make_app(App())
    web.run_app(app, host="127.0.0.1", port=8080, access_log_class=RedactingAccessLogger)
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, time
from threading import Lock
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from notifications.calendar import (
    CalendarInfo,
    Details,
    Entry,
    PlanDetail,
    Revision,
    TaskDetail,
    occurrence_entries,
    render,
    summary_entries,
    uid_for,
    without_dates,
)
from roadmap.app import App
from roadmap.feeds import (
    Scope,
    StoredRevision,
    feed_by_token,
    occurrence_sequences,
    plan_details,
    read_revisions,
    record_revisions,
    scope_name,
    stale,
    task_details,
)
from roadmap.i18n import _
from roadmap.storage.db import write_session
from roadmap.storage.tables import SCOPE_ORG, SCOPE_PARTY, SCOPE_PLAN
from roadmap.tracking import status_rows

CONTENT_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "max-age=21600"  # = REFRESH-INTERVAL (PT6H) of the calendars
NOT_FOUND = b"404: Not Found\n"
# Anything after /feeds/ may be (part of) a token: all of it is redacted.
FEED_PATH = re.compile(r"/feeds/[^\s\"'?#]+")
REDACTED = "/feeds/***.ics"
# Rendered bodies kept per feed input digest (the 304 path then skips
# serialising the calendar again).
BODY_CACHE_SIZE = 256

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- calendars


@dataclass(frozen=True)
class Prepared:
    """A calendar's input, before revisions are applied."""

    info: CalendarInfo
    entries: list[Entry]


def prepare(
    app: App, scope: Scope, *, strict: bool = True, record: bool = True, spans: bool = False
) -> tuple[Prepared, dict[str, Revision]]:
    """Read everything a calendar of ``scope`` shows, and bring the calendar
    revisions of its events up to date (a write only when one changed).
    Without ``record`` (a calendar for another day than today) the new
    revisions are worked out but not stored: the live feeds' state stays."""
    due_soon = int(app.settings["lookahead_days"])
    with app.sessions() as session:
        subject = scope_name(session, scope, strict=strict)
        rows = status_rows(session, app.clock.today, scope.status_filter(due_soon))
        plans = {r.plan for r in rows}
        details = Details(
            plans={c: PlanDetail(t, z) for c, (t, z) in plan_details(session, plans).items()},
            tasks={k: TaskDetail(r, c) for k, (r, c) in task_details(session, plans).items()},
        )
        if scope.kind == SCOPE_ORG:
            own, shared = rows, []
        elif scope.kind == SCOPE_PARTY:
            # A party that stands for many organisations gets one summary per
            # window, like a coordinator; a single party gets its own events.
            own = [r for r in rows if r.org is None]
            shared = [r for r in rows if r.org is not None]
        else:
            own, shared = [], rows
        sequences = occurrence_sequences(session, (r.occurrence_id for r in own))
        entries = occurrence_entries(own, sequences, details, spans=spans)
        if shared:
            party = scope.code if scope.kind == SCOPE_PARTY else None
            entries += summary_entries(shared, details, party, spans=spans)
        current = {e.uid: e.fingerprint for e in entries}
        stored = read_revisions(session, current)
    changed = stale(current, stored)
    if changed and not record:
        # A what-if renders the same bytes each time: its changes are
        # stamped with the start of the day it is for, not with the clock.
        day = app.clock.fixed_today or app.clock.now().date()
        now = datetime.combine(day, time(), UTC)
        for uid, fp in changed.items():
            old = stored.get(uid)
            stored[uid] = StoredRevision(fp, 0 if old is None else old.sequence + 1, now)
    elif changed:
        owner = {e.uid: e.occurrence_id for e in entries}
        with write_session(app.sessions) as session:
            stored.update(
                record_revisions(
                    session, {u: (fp, owner[u]) for u, fp in changed.items()}, app.clock.now()
                )
            )
    revisions = {uid: Revision(s.sequence, s.changed_at) for uid, s in stored.items()}
    info = CalendarInfo(
        uid=uid_for(scope.key),
        name=calendar_name(scope, subject),
        description=calendar_description(scope, subject, without_dates(rows)),
        today=rows[0].today if rows else app.clock.today("UTC"),
    )
    return Prepared(info, entries), revisions


def calendar_name(scope: Scope, subject: str) -> str:
    if scope.kind == SCOPE_PLAN:
        return _("Сроки плана {plan} (сводка)").format(plan=scope.code)
    if scope.plan:
        return _("Сроки: {name} ({plan})").format(name=subject, plan=scope.plan)
    return _("Сроки: {name}").format(name=subject)


def calendar_description(scope: Scope, subject: str, undated: list[str]) -> str:
    if scope.kind == SCOPE_PLAN:
        lines = [
            _("Сроки плана «{title}»: одно событие на срок задачи, «выполнено N из M» "
              "и просрочившие организации.").format(title=subject)
        ]
    else:
        lines = [_("Сроки дорожных карт: {name}.").format(name=subject)]
    if undated:
        lines.append("")
        lines.append(_("Без даты (по мере необходимости или срок не указан):"))
        lines.extend(undated)
    return "\n".join(lines)


def calendar_for(
    app: App, scope: Scope, *, todo: bool = False, strict: bool = True, record: bool = True,
    spans: bool = False,
) -> bytes:
    """The iCalendar bytes of ``scope`` for the app clock's «today»: VEVENTs,
    or VTODOs with ``todo``. Updates calendar revisions when needed, unless
    ``record`` is off (a what-if calendar for another day). A window longer
    than a month is one event on its due date unless ``spans``."""
    prepared, revisions = prepare(app, scope, strict=strict, record=record, spans=spans)
    return render(prepared.info, prepared.entries, revisions, todo=todo)


# ---------------------------------------------------------------- server


def _redacted(match: re.Match[str]) -> str:
    return REDACTED if match.group().endswith(".ics") else "/feeds/***"


def redact(text: str) -> str:
    """``text`` with every feed path replaced by ``/feeds/***.ics`` (or
    ``/feeds/***`` when it does not end in ``.ics``)."""
    return FEED_PATH.sub(_redacted, text)


class RedactTokens(logging.Filter):
    """A logging filter that removes feed tokens from a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "/feeds/" in record.msg:
            record.msg = redact(record.msg)
        if record.args:
            if isinstance(record.args, tuple):
                record.args = tuple(
                    redact(a) if isinstance(a, str) else a for a in record.args
                )
            elif isinstance(record.args, dict):
                record.args = {
                    k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
                }
        return True


class RedactingAccessLogger(AbstractAccessLogger):
    """The access log line, with the path of a feed redacted: ``remote
    "METHOD /feeds/***.ics HTTP/1.1" status size time``."""

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


_FILTER = RedactTokens()


def install_log_redaction() -> None:
    """Put :class:`RedactTokens` on aiohttp's loggers (idempotent): a second
    guard for any log line that carries a request path."""
    for name in ("aiohttp.access", "aiohttp.server", "aiohttp.web", "aiohttp.internal", __name__):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


APP_KEY = web.AppKey("roadmap_app", App)


class _BodyCache:
    """A small LRU of rendered calendars by the digest of their input."""

    def __init__(self, size: int = BODY_CACHE_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = Lock()

    def get_or_render(self, digest: str, build: Any) -> bytes:
        with self._lock:
            body = self._items.get(digest)
            if body is not None:
                self._items.move_to_end(digest)
                return body
        body = build()
        with self._lock:
            self._items[digest] = body
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return body


def _input_digest(prepared: Prepared, revisions: dict[str, Revision], todo: bool) -> str:
    h = hashlib.sha256()
    info = prepared.info
    for part in (info.uid, info.name, info.description, "todo" if todo else "event"):
        h.update(part.encode("utf-8") + b"\0")
    for e in prepared.entries:
        r = revisions[e.uid]
        h.update(f"{e.uid}\0{e.fingerprint}\0{e.base_sequence}\0".encode())
        h.update(f"{r.sequence}\0{r.stamp.isoformat()}\0".encode())
    return h.hexdigest()


def _feed_body(app: App, cache: _BodyCache, token: str) -> bytes | None:
    """The current body of the feed of ``token``, or None (unknown/revoked)."""
    with app.sessions() as session:
        feed = feed_by_token(session, token)
    if feed is None:
        return None
    prepared, revisions = prepare(app, feed.scope, strict=False)
    digest = _input_digest(prepared, revisions, False)
    return cache.get_or_render(
        digest, lambda: render(prepared.info, prepared.entries, revisions)
    )


def _etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _not_found() -> web.Response:
    return web.Response(status=404, body=NOT_FOUND, content_type="text/plain", charset="utf-8")


async def _feed(request: web.Request) -> web.StreamResponse:
    app: App = request.app[APP_KEY]
    cache: _BodyCache = request.app[_CACHE_KEY]
    token = request.match_info["token"]
    body = await asyncio.to_thread(_feed_body, app, cache, token)
    if body is None:
        return _not_found()
    etag = _etag(body)
    headers = {"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    # Only a validator equal to the current body's gives 304 («*» and stale
    # ETags get the full body: a 200 is always a safe answer).
    if any(tag.value == etag for tag in request.if_none_match or ()):
        response = web.Response(status=304, headers=headers)
        response.etag = etag
        return response
    response = web.Response(body=body, headers=headers, content_type="text/calendar", charset="utf-8")
    response.etag = etag
    return response


async def _anything_else(request: web.Request) -> web.StreamResponse:
    return _not_found()


_CACHE_KEY = web.AppKey("roadmap_feed_cache", _BodyCache)


def make_app(app_context: App) -> web.Application:
    """The feed server's aiohttp application over ``app_context`` (settings,
    database, clock). Run it with ``access_log_class=RedactingAccessLogger``
    (``roadmap serve`` does)."""
    install_log_redaction()
    application = web.Application()
    application[APP_KEY] = app_context
    application[_CACHE_KEY] = _BodyCache()
    application.router.add_get("/feeds/{token}.ics", _feed, allow_head=True)
    application.router.add_route("*", "/{tail:.*}", _anything_else)
    return application


__all__ = [
    "CACHE_CONTROL",
    "CONTENT_TYPE",
    "RedactTokens",
    "RedactingAccessLogger",
    "calendar_for",
    "install_log_redaction",
    "make_app",
    "prepare",
    "redact",
]
