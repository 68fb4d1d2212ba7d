"""Personal links and sessions over HTTP: opening a link, the cookie, the
same 404 for unknown, revoked and expired links, CSRF, scope, traversal,
security headers, language, and no token in any log line."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from roadmap.web.server import make_app as make_web_app
from tests.fixtures import MakeApp, Run
from tests.web.conftest import TODAY, LinkMaker, open_link


async def test_link_create_list_revoke(run: Run, make_link: LinkMaker) -> None:
    text = run("link", "create", "--org", "school-1", "--plan", "test-irk", "--label", "завуч")
    assert text.exit_code == 0, text.stderr
    url = text.stdout.strip().splitlines()[-1]  # the URL comes last
    assert url.startswith("https://roadmap.example.org/l/") and len(url.rsplit("/", 1)[1]) == 43
    data = make_link("--plan", "test-region", "--days", "30")
    assert set(data) >= {"id", "url", "scope", "expires"} and data["expires"]
    listed = run("link", "list")
    assert "завуч" in listed.stdout and url.rsplit("/", 1)[1] not in listed.stdout
    as_json = run("link", "list", "--format", "json").stdout
    assert '"scope": "org:school-1@test-irk"' in as_json and url.rsplit("/", 1)[1] not in as_json
    assert run("link", "revoke", "1").exit_code == 0
    assert run("link", "revoke", "99").exit_code == 1
    unknown = run("link", "create", "--org", "nowhere")
    assert unknown.exit_code == 1 and "nowhere" in unknown.stderr


async def test_opening_a_link_starts_a_session_without_the_token(
    client: TestClient, make_link: LinkMaker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    link = make_link("--org", "school-1", "--plan", "test-irk")
    token = link["path"].rsplit("/", 1)[1]
    response = await client.get(link["path"], allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and token not in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback; --behind-proxy adds it
    page = await client.get("/")
    assert page.status == 200
    html = await page.text()
    assert "МБОУ СОШ № 1 (пример)" in html and token not in html
    assert token not in caplog.text and "/l/***" in caplog.text


async def test_unknown_revoked_and_expired_links_are_the_same_404(
    client: TestClient, run: Run, make_link: LinkMaker, make_app: MakeApp
) -> None:
    unknown = await client.get("/l/" + "A" * 43)
    body = await unknown.read()
    assert unknown.status == 404
    link = make_link("--org", "school-1", "--plan", "test-irk")
    await open_link(client, link["path"])
    assert run("link", "revoke", str(link["id"])).exit_code == 0
    revoked = await client.get(link["path"], allow_redirects=False)
    assert revoked.status == 404 and await revoked.read() == body
    # revoking also ended the session opened before
    assert (await client.get("/")).status == 403

    short = make_link("--org", "school-2", "--plan", "test-irk", "--days", "1")
    later = make_app(later=timedelta(days=2), today=TODAY)
    server = TestServer(make_web_app(later), host="127.0.0.1")
    async with TestClient(server) as tomorrow:
        expired = await tomorrow.get(short["path"], allow_redirects=False)
        assert expired.status == 404 and await expired.read() == body
    nothing = await client.get("/nothing/here")
    assert nothing.status == 404 and await nothing.read() == body


async def test_pages_need_a_session(client: TestClient) -> None:
    for path in ("/", "/plan/test-irk", "/evidence/1"):
        response = await client.get(path)
        assert response.status in (403, 404), path
        assert "личную ссылку" in await response.text() or response.status == 404
    posted = await client.post("/done", data={"occurrence": "1"})
    assert posted.status == 403


async def test_security_headers(client: TestClient, make_link: LinkMaker) -> None:
    await open_link(client, make_link("--org", "school-1", "--plan", "test-irk")["path"])
    response = await client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp.replace("default-src", "")
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "aiohttp" not in response.headers.get("Server", "")
    assert "<script" not in (await response.text()).replace("&lt;script", "")


async def test_language_by_query_cookie_and_header(
    client: TestClient, make_link: LinkMaker
) -> None:
    await open_link(client, make_link("--org", "school-1", "--plan", "test-irk")["path"])
    russian = await (await client.get("/")).text()
    assert "Просрочено" in russian and 'lang="ru"' in russian
    english = await (await client.get("/?lang=en")).text()
    assert "Overdue" in english and 'lang="en"' in english and "Просрочено" not in english
    remembered = await (await client.get("/")).text()
    assert 'lang="en"' in remembered
    await (await client.get("/?lang=ru")).read()
    by_header = await (await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}))\
        .text()
    assert 'lang="ru"' in by_header  # the cookie's choice wins over the header


async def test_accept_language_alone(client: TestClient, make_link: LinkMaker) -> None:
    await open_link(client, make_link("--org", "school-1", "--plan", "test-irk")["path"])
    page = await client.get("/", headers={"Accept-Language": "en-US,en;q=0.9,ru;q=0.5"})
    assert 'lang="en"' in await page.text()


@pytest.mark.parametrize("path", [
    "/evidence/../../etc/passwd", "/static/../../roadmap.db", "/static/%2e%2e/roadmap.db",
    "/plan/..%2F..%2Fetc%2Fpasswd", "/plan/../evidence/1", "/l/../../etc/passwd",
    "/feeds/../roadmap.db", "/evidence/1%2F..%2F2",
])
async def test_path_traversal_is_404(
    client: TestClient, make_link: LinkMaker, path: str, data_dir: Path
) -> None:
    await open_link(client, make_link("--plan", "test-region")["path"])
    response = await client.get(path)
    assert response.status in (403, 404), path
    assert b"SQLite" not in await response.read()
