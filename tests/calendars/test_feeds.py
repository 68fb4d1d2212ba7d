"""``roadmap feed create|list|revoke`` and the feed server over real HTTP on
loopback (aiohttp's ``TestServer``): ETags, 304s, 404s, redacted logs."""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from roadmap.app import App, Clock
from roadmap.settings import load_settings
from roadmap.web.logs import RedactingAccessLogger
from roadmap.web.server import make_app
from tests.calendars.conftest import (
    PLAN_ID,
    Complete,
    Run,
    ics,
    key,
    parse,
)

URL = re.compile(r"https://cal\.example\.org/feeds/([A-Za-z0-9_-]{43})\.ics")


def create(run: Run, *args: str) -> str:
    """Create a feed; return its token (from the printed URL)."""
    result = run("feed", "create", *args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    match = URL.fullmatch(lines[1])
    assert match, result.stdout
    token = match.group(1)
    assert lines[2] == f"webcal://cal.example.org/feeds/{token}.ics"
    return token


def test_feed_create_list_revoke(run: Run, loaded: Path, tmp_path: Path) -> None:
    token = create(run, "--org", "school-1", "--plan", PLAN_ID, "--label", "завуч СОШ 1")
    other = create(run, "--plan", PLAN_ID)
    assert token != other
    # Only the SHA-256 of a token is stored, never the token.
    database = tmp_path / "data" / "roadmap.db"
    raw = sqlite3.connect(database)
    hashes = {h for (h,) in raw.execute("SELECT token_hash FROM feeds")}
    raw.close()
    assert hashes == {hashlib.sha256(t.encode()).hexdigest() for t in (token, other)}
    for path in tmp_path.joinpath("data").iterdir():
        assert token.encode() not in path.read_bytes()

    listed = run("feed", "list")
    assert listed.exit_code == 0
    assert "org:school-1@" + PLAN_ID in listed.stdout and "завуч СОШ 1" in listed.stdout
    assert "plan:" + PLAN_ID in listed.stdout
    assert token not in listed.stdout and other not in listed.stdout
    as_json = run("feed", "list", "--format", "json")
    assert '"revoked_at": null' in as_json.stdout and token not in as_json.stdout

    revoked = run("feed", "revoke", "1")
    assert revoked.exit_code == 0 and "отозвана" in revoked.stdout
    assert "UTC" in run("feed", "list").stdout.splitlines()[1].split("завуч СОШ 1")[1]
    assert run("feed", "revoke", "99").exit_code == 1
    unknown = run("feed", "create", "--org", "nowhere")
    assert unknown.exit_code == 1 and "nowhere" in unknown.stderr


# ---------------------------------------------------------------- the server


@pytest.fixture
def app_context(tmp_path: Path, loaded: Path) -> App:
    settings = load_settings(environ={"ROADMAP_DATA_DIR": str(tmp_path / "data")})
    return App(settings=settings, clock=Clock(fixed_today=date(2024, 1, 15)))


@pytest.fixture
async def client(app_context: App) -> AsyncIterator[TestClient]:
    server = TestServer(make_app(app_context), host="127.0.0.1")
    # As ``roadmap serve`` runs it (TestServer() drops runner options).
    await server.start_server(access_log_class=RedactingAccessLogger)
    async with TestClient(server) as test_client:
        yield test_client
    app_context.close()


async def test_feed_200_etag_304_and_head(
    client: TestClient, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    token = create(run, "--org", "school-1", "--plan", PLAN_ID)
    path = f"/feeds/{token}.ics"
    identity = {"Accept-Encoding": "identity"}  # the calendar as it is (gzip: below)
    response = await client.get(path, headers=identity)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "max-age=21600"
    body = await response.read()
    etag = response.headers["ETag"]
    assert etag == '"' + hashlib.sha256(body).hexdigest() + '"'  # strong, from the body
    _cal, items = parse(body)
    assert len(items) == 3
    # The same calendar as the export for the same scope and day.
    assert body == ics(run, "--org", "school-1", "--plan", PLAN_ID, "--today", "2024-01-15")

    again = await client.get(path, headers=identity)
    assert again.headers["ETag"] == etag and await again.read() == body

    cached = await client.get(path, headers={**identity, "If-None-Match": etag})
    assert cached.status == 304
    assert cached.headers["ETag"] == etag
    assert await cached.read() == b""
    listed = await client.get(path, headers={**identity, "If-None-Match": f'"nope", {etag}'})
    assert listed.status == 304
    weak = await client.get(path, headers={**identity, "If-None-Match": "W/" + etag})
    assert weak.status == 304  # If-None-Match compares weakly (RFC 9110)

    for stale in ('"0123"', "*", etag[:-2] + '"'):
        fresh = await client.get(path, headers={**identity, "If-None-Match": stale})
        assert fresh.status == 200, stale
        assert await fresh.read() == body

    head = await client.head(path, headers=identity)
    assert head.status == 200
    assert head.headers["ETag"] == etag
    assert head.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert await head.read() == b""

    assert token not in caplog.text
    assert "/feeds/***.ics" in caplog.text


async def test_completion_changes_etag_and_stale_validator_gets_200(
    client: TestClient, run: Run, complete: Complete
) -> None:
    token = create(run, "--org", "school-1", "--plan", PLAN_ID)
    path = f"/feeds/{token}.ics"
    first = await client.get(path)
    etag = first.headers["ETag"]
    _cal, before = parse(await first.read())
    complete(key("2.1", "oo", "school-1", "2023-02-28"))
    after = await client.get(path, headers={"If-None-Match": etag})
    assert after.status == 200
    assert after.headers["ETag"] != etag
    _cal, items = parse(await after.read())
    assert set(items) == set(before)
    assert sum(i.sequence for i in items.values()) > sum(i.sequence for i in before.values())
    cached = await client.get(path, headers={"If-None-Match": after.headers["ETag"]})
    assert cached.status == 304


async def test_gzip_last_modified_and_if_modified_since(
    client: TestClient, run: Run, complete: Complete
) -> None:
    token = create(run, "--org", "school-1", "--plan", PLAN_ID)
    path = f"/feeds/{token}.ics"
    plain = await client.get(path, headers={"Accept-Encoding": "identity"})
    body = await plain.read()
    raw = await client.get(path, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert raw.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in raw.headers["Vary"]
    zipped = await raw.read()
    assert gzip.decompress(zipped) == body and len(zipped) < len(body) / 3
    assert raw.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'  # one per coding
    refused = await client.get(path, headers={"Accept-Encoding": "gzip;q=0"},
                               auto_decompress=False)
    assert "Content-Encoding" not in refused.headers and await refused.read() == body
    # Either coding's ETag is the current calendar.
    both = await client.get(path, headers={"If-None-Match": plain.headers["ETag"]})
    assert both.status == 304 and both.headers["ETag"] == raw.headers["ETag"]

    modified = plain.headers["Last-Modified"]
    same = await client.get(path, headers={"If-Modified-Since": modified})
    assert same.status == 304 and await same.read() == b""
    older = await client.get(path, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status == 200
    complete(key("2.1", "oo", "school-1", "2023-02-28"))
    after = await client.get(path, headers={"If-Modified-Since": modified})
    assert after.status == 200  # the completion shows: a new Last-Modified
    assert parsedate_to_datetime(after.headers["Last-Modified"]) > parsedate_to_datetime(modified)
    assert await after.read() != body


async def test_unknown_revoked_and_other_paths_are_404(
    client: TestClient, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = create(run, "--plan", PLAN_ID)
    good = await client.get(f"/feeds/{token}.ics")
    assert good.status == 200

    near_miss = token[:-1] + ("B" if token.endswith("A") else "A")
    wrong = await client.get(f"/feeds/{near_miss}.ics")
    assert wrong.status == 404
    wrong_body = await wrong.read()

    assert run("feed", "revoke", "1").exit_code == 0
    revoked = await client.get(f"/feeds/{token}.ics")
    assert revoked.status == 404
    assert await revoked.read() == wrong_body
    assert revoked.headers["Content-Type"] == wrong.headers["Content-Type"]
    assert "ETag" not in revoked.headers

    for other in ("/nothing", "/feeds/", "/feeds", f"/feeds/{token}", f"/feeds/{token}.ics/x",
                  f"/x/feeds/{token}.ics", "/favicon.ico", "/feeds/.ics"):
        response = await client.get(other)
        assert response.status == 404, other
        assert await response.read() == wrong_body, other
    posted = await client.post(f"/feeds/{token}.ics")
    assert posted.status in (404, 405)

    assert token not in caplog.text
    assert token[:-1] not in caplog.text


async def test_default_access_log_is_redacted_too(
    app_context: App, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    """Whoever runs make_app() with aiohttp's own access log: the logging
    filter still keeps tokens out."""
    caplog.set_level(logging.INFO)
    token = create(run, "--plan", PLAN_ID)
    async with TestClient(TestServer(make_app(app_context), host="127.0.0.1")) as plain:
        for path in (f"/feeds/{token}.ics", f"/feeds/{token}", f"/feeds/{token}.ics?x=1"):
            await (await plain.get(path)).read()
    app_context.close()
    assert "/feeds/***.ics" in caplog.text and "/feeds/*** " in caplog.text
    assert token not in caplog.text
