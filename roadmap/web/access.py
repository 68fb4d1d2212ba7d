"""Who may do what: personal links, browser sessions, CSRF, the scope check,
security headers and the language of each request.

- ``GET /l/<token>`` opens a personal link: a live link starts a session (an
  HttpOnly, SameSite=Lax cookie; ``Secure`` behind a TLS proxy) and
  redirects to ``/``, so the token never stays in the address bar, the
  history, a ``Referer`` or a log. An unknown, revoked or expired link is
  the same 404 as any unknown path.
- :func:`current` resolves the session of every page request (again
  checking its link), :func:`require` checks that what a request touches —
  a plan, an occurrence, a completion's evidence — is within the link's
  scope. Both are the one place these checks are made; out of scope is 404.
- :func:`read_form` is the one way a handler reads a POST: it checks the
  CSRF token (derived from the session token, never stored) before it reads
  anything else, and streams files with :mod:`roadmap.web.uploads`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from roadmap.app import App
from roadmap.i18n import LANGUAGES, use_language
from roadmap.links import (
    WebSession,
    covers,
    link_by_token,
    occurrence_of_completion,
    plan_family,
    session_by_token,
    start_session,
)
from roadmap.storage.db import write_session
from roadmap.storage.tables import SCOPE_PLAN
from roadmap.web.feeds import APP_KEY
from roadmap.web.headers import preferred_language
from roadmap.web.uploads import Upload, UploadError, read_multipart

COOKIE = "roadmap_session"
LANG_COOKIE = "roadmap_lang"
CSRF_FIELD = "csrf"
# Plain forms (no files) are small: a reason, a note, a name.
MAX_FORM_BYTES = 256 * 1024

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

BEHIND_PROXY = web.AppKey("roadmap_behind_proxy", bool)
SESSION_KEY = web.RequestKey("roadmap_session", WebSession)
TOKEN_KEY = web.RequestKey("roadmap_session_token", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: an HMAC of its (secret, HttpOnly) token,
    so it needs no storage and a page of another site cannot compute it."""
    return hmac.new(session_token.encode(), b"roadmap-csrf", hashlib.sha256).hexdigest()


def app_of(request: web.Request) -> App:
    return request.app[APP_KEY]


# ---------------------------------------------------------------- middlewares


@web.middleware
async def language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``?lang=en|ru`` (remembered in a cookie), else the cookie, else
    ``Accept-Language``; Russian by default."""
    asked = request.query.get("lang")
    chosen = asked if asked in LANGUAGES else request.cookies.get(LANG_COOKIE)
    if chosen not in LANGUAGES:
        chosen = preferred_language(request.headers.get("Accept-Language"), LANGUAGES, "ru")
    use_language(chosen)
    response = await handler(request)
    if asked in LANGUAGES:
        response.set_cookie(LANG_COOKIE, asked, httponly=True, samesite="Lax",
                            secure=request.app[BEHIND_PROXY], max_age=365 * 86400)
    return response


@web.middleware
async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Behind a TLS proxy (``--behind-proxy`` only): the client's scheme and
    address from ``X-Forwarded-Proto`` and the last ``X-Forwarded-For`` hop."""
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    changes: dict[str, str] = {}
    if proto in ("http", "https"):
        changes["scheme"] = proto
    if hops:
        changes["remote"] = hops[-1]
    return await handler(request.clone(**changes) if changes else request)  # type: ignore[arg-type]


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response (``on_response_prepare``): CSP without inline
    script, no framing, no referrer, no sniffing, and no server version."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Server"] = "roadmap"
    if request.app[BEHIND_PROXY]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


# ---------------------------------------------------------------- links and sessions


def _open(app: App, token: str) -> str | None:
    now = app.clock.now()
    with write_session(app.sessions) as session:
        link = link_by_token(session, token, now)
        if link is None:
            return None
        return start_session(session, link, now)


async def open_link(request: web.Request) -> web.StreamResponse:
    """``GET /l/<token>``: start a session, then redirect to a URL without it."""
    session_token = await asyncio.to_thread(_open, app_of(request), request.match_info["token"])
    if session_token is None:
        raise web.HTTPNotFound()
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(COOKIE, session_token, httponly=True, samesite="Lax", path="/",
                        secure=request.app[BEHIND_PROXY], max_age=30 * 86400)
    response.headers["Cache-Control"] = "no-store"
    return response


def _resolve(app: App, token: str) -> WebSession | None:
    with app.sessions() as session:
        return session_by_token(session, token, app.clock.now())


async def current(request: web.Request) -> WebSession:
    """The request's live session (cached on the request); without one the
    page answers 403 with a hint to open the personal link again."""
    if SESSION_KEY in request:
        found: WebSession = request[SESSION_KEY]
        return found
    token = request.cookies.get(COOKIE)
    found_or_none = await asyncio.to_thread(_resolve, app_of(request), token) if token else None
    if found_or_none is None:
        raise NoSession()
    request[SESSION_KEY] = found_or_none
    request[TOKEN_KEY] = token or ""
    return found_or_none


class NoSession(Exception):
    """No live session: the link was never opened here, or it has ended."""


def session_csrf(request: web.Request) -> str:
    return csrf_token(request[TOKEN_KEY])


def _allowed(
    app: App, web_session: WebSession, plan: str | None, occurrence: int | None,
    completion: int | None,
) -> bool:
    scope = web_session.link.scope
    with app.sessions() as session:
        if completion is not None:
            occurrence = occurrence_of_completion(session, completion)
            if occurrence is None:
                return False
        if occurrence is not None and not covers(session, scope, occurrence):
            return False
        if plan is not None:
            if scope.kind == SCOPE_PLAN:
                return plan in plan_family(session, scope.code)
            return False
    return True


async def require(
    request: web.Request, *, plan: str | None = None, occurrence: int | None = None,
    completion: int | None = None, curator: bool = False,
) -> WebSession:
    """The session, if its link may touch ``plan`` (a coordinator's plan or
    one below it), ``occurrence`` and ``completion`` (its occurrence), and
    may mark things done when ``curator``; otherwise 404 (nothing out of
    scope is acknowledged to exist)."""
    web_session = await current(request)
    if curator and not web_session.link.curator:
        raise web.HTTPNotFound()
    if (plan, occurrence, completion) != (None, None, None):
        allowed = await asyncio.to_thread(
            _allowed, app_of(request), web_session, plan, occurrence, completion
        )
        if not allowed:
            raise web.HTTPNotFound()
    return web_session


# ---------------------------------------------------------------- forms


@dataclass
class Form:
    """A POSTed form: text fields (the last value of each) and uploads."""

    fields: dict[str, str]
    uploads: list[Upload] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    def discard(self) -> None:
        for upload in self.uploads:
            upload.path.unlink(missing_ok=True)


class CsrfRefused(Exception):
    """A POST without this session's CSRF token."""


async def read_form(request: web.Request, staging: Path, max_bytes: int) -> Form:
    """The form of a POST, after checking its CSRF token (:class:`CsrfRefused`
    otherwise, before any file is read). Files go to ``staging``, each at most
    ``max_bytes`` (:class:`~roadmap.web.uploads.UploadError` beyond, with
    nothing kept)."""
    await current(request)
    expected = session_csrf(request)

    def check(value: str | None) -> None:
        if value is None or not hmac.compare_digest(value, expected):
            raise CsrfRefused()

    if request.content_type == "multipart/form-data":
        fields, uploads = await read_multipart(request, staging, max_bytes, before_files=check)
        form = Form(fields, uploads)
    else:
        if (request.content_length or 0) > MAX_FORM_BYTES:
            raise UploadError("too large")
        posted = await request.post()
        form = Form({k: v for k, v in posted.items() if isinstance(v, str)})
    try:
        check(form.fields.get(CSRF_FIELD))
    except CsrfRefused:
        form.discard()
        raise
    return form


__all__ = [
    "BEHIND_PROXY",
    "COOKIE",
    "CSRF_FIELD",
    "CsrfRefused",
    "Form",
    "NoSession",
    "app_of",
    "csrf_token",
    "current",
    "forwarded",
    "language",
    "open_link",
    "read_form",
    "require",
    "security_headers",
    "session_csrf",
]
