"""``GET``/``HEAD /feeds/<token>.ics``: a calendar subscription.

- 200 ``text/calendar; charset=utf-8`` with a strong ``ETag`` (SHA-256 of
  the body) and ``Cache-Control: max-age=21600`` (the calendar's refresh
  interval);
- 304 only when ``If-None-Match`` names the current body's ETag;
- 404, with the one body every unknown path gets, for an unknown or revoked
  token: the token is hashed and looked up by hash in one indexed query, so
  both cost the same.

The calendar itself comes from :func:`notifications.feeds.prepare`, as for
``roadmap ics``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from aiohttp import web

from notifications.calendar import Revision, render
from notifications.feeds import Prepared, prepare
from roadmap.app import App
from roadmap.feeds import feed_by_token

CONTENT_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "max-age=21600"  # = REFRESH-INTERVAL (PT6H) of the calendars
# Rendered bodies kept per feed input digest (the 304 path then skips
# serialising the calendar again).
BODY_CACHE_SIZE = 256


class BodyCache:
    """A small LRU of rendered calendars by the digest of their input."""

    def __init__(self, size: int = BODY_CACHE_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = Lock()

    def get_or_render(self, digest: str, build: Callable[[], bytes]) -> bytes:
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


def _feed_body(app: App, cache: BodyCache, token: str) -> bytes | None:
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


APP_KEY = web.AppKey("roadmap_app", App)
CACHE_KEY = web.AppKey("roadmap_feed_cache", BodyCache)


async def feed(request: web.Request) -> web.StreamResponse:
    app: App = request.app[APP_KEY]
    token = request.match_info["token"]
    body = await asyncio.to_thread(_feed_body, app, request.app[CACHE_KEY], token)
    if body is None:
        raise web.HTTPNotFound()
    etag = hashlib.sha256(body).hexdigest()
    headers = {"Cache-Control": CACHE_CONTROL}
    # Only a validator equal to the current body's gives 304 («*» and stale
    # ETags get the full body: a 200 is always a safe answer).
    if any(tag.value == etag for tag in request.if_none_match or ()):
        response = web.Response(status=304, headers=headers)
        response.etag = etag
        return response
    response = web.Response(body=body, headers=headers, content_type="text/calendar", charset="utf-8")
    response.etag = etag
    return response


def add_feed_routes(application: web.Application, app: App) -> None:
    application[APP_KEY] = app
    application[CACHE_KEY] = BodyCache()
    application.router.add_get("/feeds/{token}.ics", feed, allow_head=True)


__all__ = ["APP_KEY", "CACHE_CONTROL", "CONTENT_TYPE", "add_feed_routes"]
