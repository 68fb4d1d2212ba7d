"""``GET``/``HEAD /feeds/<token>.ics``: a calendar subscription.

- 200 ``text/calendar; charset=utf-8`` with a strong ``ETag`` (SHA-256 of
  the body), ``Last-Modified`` (the latest change of anything the calendar
  shows) and ``Cache-Control: max-age=21600`` (the calendar's refresh
  interval); gzip when the client accepts it (``Content-Encoding: gzip``,
  the ETag then ends in ``-gzip``, ``Vary: Accept-Encoding``);
- 304 when ``If-None-Match`` names the current body's ETag (either coding),
  or, without ``If-None-Match``, when ``If-Modified-Since`` is not older
  than ``Last-Modified``;
- 404, with the one body every unknown path gets, for an unknown or revoked
  token: the token is hashed and looked up by hash in one indexed query, so
  both cost the same.

The calendar itself comes from :func:`notifications.feeds.prepare`, as for
``roadmap ics`` — but only when something it shows may have changed. The
bodies are cached by the feed's scope, the database's change marker
(:func:`roadmap.report.change_marker`: completions, plan and register
loads) and the plan-local dates: a request then costs the token lookup and
the marker (two queries), a 304 nothing more, a 200 a cache read.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from aiohttp import web

from notifications.calendar import render
from notifications.feeds import prepare
from roadmap.app import App
from roadmap.feeds import Scope, feed_by_token, plan_zones
from roadmap.web.cache import Lru
from roadmap.web.headers import accepts

CONTENT_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "max-age=21600"  # = REFRESH-INTERVAL (PT6H) of the calendars
# Feeds whose current bodies are kept (each: the calendar and its gzip).
BODY_CACHE_SIZE = 256
GZIP_SUFFIX = "-gzip"


@dataclass(frozen=True)
class FeedBody:
    """One feed's current calendar, ready to serve."""

    body: bytes
    gzipped: bytes
    etag: str  # of ``body``; the gzip coding's is etag + GZIP_SUFFIX
    last_modified: datetime


class BodyCache(Lru[tuple[object, ...], FeedBody]):
    """Current feed bodies by (scope, change marker, plan-local dates), and
    the plan time zones by change marker."""

    def __init__(self, size: int = BODY_CACHE_SIZE) -> None:
        super().__init__(size)
        self._zones: tuple[object, tuple[str, ...]] | None = None
        self._latest: dict[object, FeedBody] = {}  # by scope

    def settle(self, key: tuple[object, ...], value: FeedBody) -> FeedBody:
        """``value``, its Last-Modified moved past the scope's previous
        body's when both fall in the same second (HTTP dates have no
        fractions: If-Modified-Since would otherwise hide a change made
        within it)."""
        scope = key[0]
        before = self._latest.get(scope)
        if before is not None and before.etag != value.etag:
            floor = before.last_modified + timedelta(seconds=1)
            if value.last_modified < floor:
                value = replace(value, last_modified=floor)
        self._latest[scope] = value
        if len(self._latest) > 4 * self._size:
            self._latest.clear()  # bounded; at worst one more full answer
        return value

    def zones(self, marker: object, read: Callable[[], tuple[str, ...]]) -> tuple[str, ...]:
        """The plans' time zones, read again only when the marker moved."""
        with self._lock:
            if self._zones is not None and self._zones[0] == marker:
                return self._zones[1]
        zones = read()
        with self._lock:
            self._zones = (marker, zones)
        return zones


def _whole_second(at: datetime) -> datetime:
    """``at`` rounded up to a second, as HTTP dates are written."""
    return at.replace(microsecond=0) + timedelta(seconds=1 if at.microsecond else 0)


def _build(app: App, scope: Scope, marker: tuple[object, ...]) -> FeedBody:
    prepared, revisions = prepare(app, scope, strict=False)
    body = render(prepared.info, prepared.entries, revisions)
    # What the calendar shows changes with a revision (its DTSTAMP) or a
    # load (which may drop events without bumping any revision).
    changed = [r.stamp for r in revisions.values()]
    changed += [m for m in marker if isinstance(m, datetime)]
    latest = max(changed) if changed else datetime(1970, 1, 1, tzinfo=UTC)
    return FeedBody(
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag=hashlib.sha256(body).hexdigest(),
        last_modified=_whole_second(latest),
    )


def _feed_body(app: App, cache: BodyCache, token: str) -> FeedBody | None:
    """The current body of the feed of ``token``, or None (unknown/revoked)."""
    with app.sessions() as session:
        found = feed_by_token(session, token)
        if found is None:
            return None
        feed, marker = found
        zones = cache.zones(marker, lambda: plan_zones(session))
    scope = feed.scope
    days = tuple(app.clock.today(zone) for zone in zones)
    return cache.get_or_make((scope, marker, days), lambda: _build(app, scope, marker))


def _not_modified(request: web.Request, found: FeedBody) -> bool:
    tags = request.if_none_match
    if tags:  # If-None-Match decides when present (RFC 9110 §13.2.2)
        # Weak comparison; «*» and stale ETags get the full body (a 200 is
        # always a safe answer).
        mine = {found.etag, found.etag + GZIP_SUFFIX}
        return any(tag.value in mine for tag in tags)
    since = request.if_modified_since
    return since is not None and found.last_modified <= since


APP_KEY = web.AppKey("roadmap_app", App)
CACHE_KEY = web.AppKey("roadmap_feed_cache", BodyCache)


async def feed(request: web.Request) -> web.StreamResponse:
    app: App = request.app[APP_KEY]
    token = request.match_info["token"]
    found = await asyncio.to_thread(_feed_body, app, request.app[CACHE_KEY], token)
    if found is None:
        raise web.HTTPNotFound()
    zipped = accepts(request.headers.get("Accept-Encoding"), "gzip", "x-gzip")
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    etag = found.etag + (GZIP_SUFFIX if zipped else "")
    if _not_modified(request, found):
        response = web.Response(status=304, headers=headers)
    else:
        if zipped:
            headers["Content-Encoding"] = "gzip"
        response = web.Response(
            body=found.gzipped if zipped else found.body, headers=headers,
            content_type="text/calendar", charset="utf-8",
        )
    response.etag = etag
    response.last_modified = found.last_modified
    return response


def add_feed_routes(application: web.Application, app: App) -> None:
    application[APP_KEY] = app
    application[CACHE_KEY] = BodyCache()
    application.router.add_get("/feeds/{token}.ics", feed, allow_head=True)


__all__ = ["APP_KEY", "CACHE_CONTROL", "CONTENT_TYPE", "add_feed_routes"]
