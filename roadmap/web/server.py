"""The web application and the ``roadmap serve`` process.

:func:`make_app` wires the routes (feeds, links, pages, the stylesheet),
the middlewares (language, errors) and the security headers.
:func:`serve` binds the socket first — a busy port or an unknown host is one
:class:`~roadmap.errors.ServeError`, before anything is announced — then
runs the server and, unless told not to, the daily scheduler in the same
asyncio process until SIGTERM/SIGINT; the scheduler finishes the message in
hand and the server closes its socket.

Slow clients: a connection that has not sent a whole request within
:data:`HEADER_TIMEOUT` seconds (or stays idle that long between requests)
is closed, and at most :data:`MAX_CONNECTIONS` are open at once (one more is
answered 503 and closed), so trickling clients cannot hold the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from roadmap.app import App
from roadmap.errors import RoadmapError
from roadmap.i18n import _
from roadmap.web import access, pages
from roadmap.web.feeds import add_feed_routes
from roadmap.web.logs import RedactingAccessLogger, install_log_redaction
from roadmap.web.templating import environment, stylesheet

HEADER_TIMEOUT = 15.0
MAX_CONNECTIONS = 256
# Request bodies other than streamed uploads (plain forms) are small.
CLIENT_MAX_SIZE = 1024 * 1024


class ServeError(RoadmapError):
    """The server cannot listen (busy port, unknown host, no permission)."""


def _page(name: str, status: int) -> web.Response:
    body = environment().get_template(name).render(path="")
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


@web.middleware
async def errors(request: web.Request, handler: access.Handler) -> web.StreamResponse:
    """One 404 page for every unknown path, link, token or out-of-scope item;
    a page that needs a session says how to get one."""
    try:
        return await handler(request)
    except access.NoSession:
        return _page("no_session.html", 403)
    except web.HTTPNotFound:
        return _page("not_found.html", 404)
    except web.HTTPMethodNotAllowed:
        return _page("not_found.html", 404)


async def _stylesheet(request: web.Request) -> web.StreamResponse:
    return web.Response(text=stylesheet(), content_type="text/css", charset="utf-8",
                        headers={"Cache-Control": "max-age=3600"})


def make_app(app: App, *, behind_proxy: bool = False) -> web.Application:
    """The aiohttp application over ``app`` (settings, database, clock).
    ``behind_proxy``: a TLS reverse proxy in front (cookies ``Secure``,
    ``X-Forwarded-*`` trusted)."""
    install_log_redaction()
    middlewares: list[Middleware] = [errors, access.language]
    if behind_proxy:
        middlewares.insert(0, access.forwarded)
    application = web.Application(middlewares=middlewares, client_max_size=CLIENT_MAX_SIZE)
    application[access.BEHIND_PROXY] = behind_proxy
    add_feed_routes(application, app)
    application[pages.PAGE_CACHE] = pages.PageCache()
    router = application.router
    router.add_get("/l/{token}", access.open_link)
    router.add_get("/", pages.home)
    router.add_post("/done", pages.done)
    router.add_post("/reopen", pages.reopen_)
    router.add_get("/plan/{plan}", pages.dashboard)
    router.add_get("/plan/{plan}/cell", pages.cell)
    router.add_get("/plan/{plan}/report.{fmt:html|csv|json|docx|xlsx}", pages.export)
    router.add_get("/evidence/{completion:[0-9]+}", pages.evidence)
    router.add_get("/static/style.css", _stylesheet)
    application.on_response_prepare.append(access.security_headers)
    return application


def _bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for ``host:port`` (every address it resolves to)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as err:
        raise ServeError(
            _("Не удаётся найти адрес «{host}»: {why}").format(host=host, why=err)
        ) from err
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in infos:
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(MAX_CONNECTIONS)
            sock.setblocking(False)
    except OSError as err:
        for sock in sockets:
            sock.close()
        raise ServeError(
            _("Не удаётся слушать {host}:{port}: {why}").format(
                host=host, port=port, why=err.strerror or err
            )
        ) from err
    return sockets


async def serve_forever(
    app: App,
    sockets: list[socket.socket],
    *,
    scheduler: bool = True,
    behind_proxy: bool = False,
    stop: asyncio.Event | None = None,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> None:
    """Serve on ``sockets`` (and run the scheduler) until ``stop`` is set or a
    signal arrives."""
    from scheduler.daemon import run_daemon

    stop = stop or asyncio.Event()
    runner = web.AppRunner(
        make_app(app, behind_proxy=behind_proxy),
        access_log_class=RedactingAccessLogger,
        # aiohttp starts this timer when a connection opens, and closes an
        # idle one (no whole request yet) when it runs out: the header timeout.
        keepalive_timeout=header_timeout,
        handler_cancellation=True,
    )
    await runner.setup()
    for sock in sockets:
        await LimitedSite(runner, sock, max_connections).start()
    try:
        if scheduler:
            await run_daemon(app, stop)  # installs the signal handlers itself
        else:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
    finally:
        await runner.cleanup()


class _Refuse(asyncio.Protocol):
    """Answers 503 and closes: the server is at its connection limit."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                        b"Content-Length: 0\r\nRetry-After: 5\r\n\r\n")
        transport.close()


class LimitedSite(web.SockSite):
    """A site on a bound socket that serves at most ``limit`` connections at
    once; one more is answered 503 and closed."""

    def __init__(self, runner: web.AppRunner, sock: socket.socket, limit: int) -> None:
        super().__init__(runner, sock, backlog=limit)
        self._limit = limit

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None

        def protocol() -> asyncio.BaseProtocol:
            if len(server.connections) >= self._limit:
                return _Refuse()
            return server()

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(protocol, sock=self._sock, backlog=self._limit)


def configure_logging() -> None:
    """Log lines (access and errors) to stderr, with secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    install_log_redaction(*root.handlers)


def serve(
    app: App, host: str, port: int, *, scheduler: bool = True, behind_proxy: bool = False,
    announce: Callable[[str], None] = lambda _text: None,
) -> None:
    """Bind, announce the address (``announce``), then serve until stopped."""
    sockets = _bind(host, port)
    bound = sockets[0].getsockname()
    announce(f"http://{host if ':' not in host else f'[{host}]'}:{bound[1]}/")
    configure_logging()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(app, sockets, scheduler=scheduler, behind_proxy=behind_proxy))


__all__ = ["HEADER_TIMEOUT", "ServeError", "make_app", "serve", "serve_forever"]
