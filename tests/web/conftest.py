"""Fixtures for the web tests: a region plan with a child municipal plan
and a register of three schools, loaded into a real SQLite file; an App
whose «today» is pinned; the application served on loopback by aiohttp's
``TestServer`` (or, for the browser, by ``roadmap serve`` itself); personal
links made with ``roadmap link create``."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from roadmap.app import App
from roadmap.web.logs import RedactingAccessLogger
from roadmap.web.server import make_app as make_web_app
from tests.fixtures import MakeApp, Run
from tests.tracking.conftest import PLAN, REGISTER

TODAY = date(2024, 3, 15)
REGION = "test-region"
CITY = "test-irk"
BASE = "https://roadmap.example.org"

HOSTILE = '<script>alert("x")</script> & «кавычки»'
CHILD_PLAN = PLAN.format(id=CITY, zone="Asia/Irkutsk").replace(
    "timezone: Asia/Irkutsk\n", "timezone: Asia/Irkutsk\nparent: test-region\n"
) + f"""\
      - id: "1.7"
        number: "1.7"
        activity: 'Проверка {HOSTILE}'
        deadline: до 1 апреля 2024 г.
        responsible: {{text: ОО, parties: [oo]}}
        result: Справка
      - id: "1.8"
        number: "1.8"
        activity: Утверждение плана работы наставников на полугодие
        deadline: до 1 марта 2024 г.
        responsible: {{text: ОО, parties: [oo]}}
        result: План работы наставников
"""
REGION_PLAN = """\
kind: plan
id: test-region
title: Региональный план (пример)
authority: Министерство образования (пример)
period: {start: 2023-01-01, end: 2025-12-31}
timezone: Asia/Irkutsk
parties:
  - id: min
    name: Министерство образования
    aliases: [Министерство]
sections:
  - id: "1"
    title: Общее
    tasks:
      - id: "1.1"
        number: "1.1"
        activity: Сбор отчётов муниципалитетов
        deadline: до 1 февраля 2024 г.
        responsible: {text: Министерство, parties: [min]}
"""

TOKEN_URL = re.compile(r"/l/([A-Za-z0-9_-]{43})$")


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {
        "test-region.yaml": REGION_PLAN,
        "test-irk.yaml": CHILD_PLAN,
        "orgs/test-schools.yaml": REGISTER,
    }


@pytest.fixture
def env_extra() -> dict[str, str | None]:
    return {"ROADMAP_FEED_BASE_URL": BASE}


@pytest.fixture
def app(loaded: Path, make_app: MakeApp) -> App:
    return make_app(today=TODAY)


LinkMaker = Callable[..., dict[str, str]]


@pytest.fixture
def make_link(run: Run, loaded: Path) -> LinkMaker:
    """``make_link("--org", "school-1", ...)``: ``roadmap link create
    --format json``'s object, with ``path`` (``/l/<token>``) added."""

    def make(*args: str) -> dict[str, str]:
        result = run("link", "create", *args, "--format", "json")
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["url"].startswith(BASE + "/l/")
        data["path"] = data["url"][len(BASE):]
        return data

    return make


@pytest.fixture
async def server(app: App) -> AsyncIterator[TestServer]:
    server = TestServer(make_web_app(app), host="127.0.0.1")
    await server.start_server(access_log_class=RedactingAccessLogger)
    yield server
    await server.close()


@pytest.fixture
async def client(server: TestServer) -> AsyncIterator[TestClient]:
    async with TestClient(server) as test_client:
        yield test_client


@pytest.fixture
async def other_client(server: TestServer) -> AsyncIterator[TestClient]:
    """A second browser (its own cookie jar)."""
    async with TestClient(server) as test_client:
        yield test_client


async def open_link(client: TestClient, path: str) -> None:
    """Open a personal link the way a browser does: follow the redirect."""
    response = await client.get(path, allow_redirects=False)
    assert response.status == 303, await response.text()
    assert response.headers["Location"] == "/"
