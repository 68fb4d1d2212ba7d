"""The deployment files of docs/deploy.md: the systemd unit passes
``systemd-analyze verify``; behind a proxy (only with ``--behind-proxy``)
cookies are ``Secure`` and ``X-Forwarded-*`` are trusted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from roadmap.app import App
from roadmap.web.server import make_app as make_web_app
from tests.web.conftest import LinkMaker

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    unit = (DEPLOY / "roadmap.service").read_text(encoding="utf-8")
    roadmap = Path(sys.executable).with_name("roadmap")
    assert "/opt/roadmap/.venv/bin/roadmap serve" in unit
    # The same unit, pointing at this checkout's roadmap (verify checks the binary).
    path = tmp_path / "roadmap.service"
    path.write_text(unit.replace("/opt/roadmap/.venv/bin/roadmap", str(roadmap)),
                    encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(path)],
                            capture_output=True, text=True, timeout=60)
    problems = [line for line in result.stderr.splitlines() if "roadmap.service" in line]
    assert result.returncode == 0 and not problems, result.stderr


@pytest.mark.parametrize("behind_proxy", [False, True])
async def test_forwarded_headers_only_behind_a_proxy(
    app: App, make_link: LinkMaker, behind_proxy: bool
) -> None:
    link = make_link("--org", "school-1", "--plan", "test-irk")
    server = TestServer(make_web_app(app, behind_proxy=behind_proxy), host="127.0.0.1")
    async with TestClient(server) as client:
        response = await client.get(
            link["path"], allow_redirects=False,
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
        )
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
        assert ("Secure" in cookie) is behind_proxy
        assert ("Strict-Transport-Security" in response.headers) is behind_proxy
