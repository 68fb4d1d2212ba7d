"""HTTP probes against ``roadmap serve`` (a bounded child): a fixed-seed
fuzzer of request lines, paths, headers and bodies, with and without a
live session. Every answer is a well-formed 2xx/3xx/4xx/503 — never a 500 —
the server stays up and bounded, and nothing it logs holds a token or a
traceback."""

from __future__ import annotations

import random
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures import cli, cli_env, load_plans, write_plan_tree
from tests.hostile.bounded import ROOT, _cap_memory
from tests.reminders.conftest import free_port
from tests.tracking.conftest import REGISTER
from tests.web.conftest import CHILD_PLAN, REGION_PLAN

SEED = 20261204
PROBES = 400
STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3}) ")
PATHS = ["/", "/done", "/reopen", "/plan/test-irk", "/plan/test-region", "/plan/test-irk/cell",
         "/plan/test-irk/report.csv", "/evidence/1", "/static/style.css", "/l/", "/feeds/",
         "/nothing"]
NASTY = ["..", "%2e%2e", "%2F", "%00", "\u202e", "ё", "%ff%fe", "//", "\\", "~", "'", "\"<>",
         "A" * 300, "?lang=en", "?lang=xx", "?overdue=1&org=school-2", "?task=1.1&party=oo"]


def _request(rng: random.Random, cookie: str, csrf: str, token: str) -> bytes:
    method = rng.choice(["GET", "POST", "HEAD", "PUT", "OPTIONS", "GET", "POST", "BREW", "get"])
    path = rng.choice([*PATHS, f"/l/{token}", f"/l/{token}x", f"/feeds/{token}.ics"])
    for _ in range(rng.randrange(3)):
        path += rng.choice(["", "/"]) + rng.choice(NASTY)
    headers = ["Host: 127.0.0.1"]
    if rng.random() < 0.6:
        headers.append(f"Cookie: roadmap_session={cookie if rng.random() < 0.8 else 'x' * 50}")
    if rng.random() < 0.2:
        headers.append("Accept-Language: " + rng.choice(["en", "ru;q=x", "*", "en-US,en;q=0.9",
                                                          "ё" * 20]))
    body = b""
    if method.upper() == "POST":
        kind = rng.choice(["form", "multipart", "garbage"])
        if kind == "form":
            fields = {"csrf": csrf if rng.random() < 0.7 else "0" * 64,
                      "occurrence": rng.choice(["1", "-1", "x", "99999999999999999999", ""]),
                      "reason": rng.choice(["", "причина", "x" * 5000]),
                      "url": rng.choice(["", "https://a.example.org/doc", "javascript:alert(1)"]),
                      "by": rng.choice(["", "Иванова", "\x00\x1b"])}
            body = "&".join(f"{k}={v}" for k, v in fields.items()).encode("utf-8", "replace")
            headers.append("Content-Type: application/x-www-form-urlencoded")
        elif kind == "multipart":
            boundary = rng.choice(["zz", "", "a" * 80, "--"])
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}',
                     f'--{boundary}\r\nContent-Disposition: form-data; name="occurrence"\r\n\r\n'
                     f'{rng.randrange(1, 40)}',
                     f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; '
                     f'filename="{rng.choice(["../../x.pdf", "a.pdf", "", "ё.docx"])}"\r\n\r\n'
                     + "x" * rng.randrange(0, 3000)]
            if rng.random() < 0.7:
                parts.append(f"--{boundary}--\r\n")
            body = "\r\n".join(parts).encode()
            headers.append(f"Content-Type: multipart/form-data; boundary={boundary}")
        else:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 500)))
            headers.append("Content-Type: " + rng.choice(["text/plain", "multipart/form-data",
                                                         "application/json"]))
        length = len(body) + rng.choice([0, 0, 0, -5])  # a longer one just waits for the rest
        headers.append(f"Content-Length: {max(length, 0)}")
    line = f"{method} {path} HTTP/1.1\r\n" + "\r\n".join(headers) + "\r\nConnection: close\r\n\r\n"
    return line.encode("utf-8", "replace") + body


def _send(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionError):
            pass
    return b"".join(chunks)


def test_http_probes_fuzz(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "data", ROADMAP_FEED_BASE_URL="http://127.0.0.1")
    run = cli(env)
    load_plans(run, write_plan_tree(tmp_path / "plans", {
        "test-region.yaml": REGION_PLAN, "test-irk.yaml": CHILD_PLAN,
        "orgs/test-schools.yaml": REGISTER}))
    link = run("link", "create", "--org", "school-1", "--plan", "test-irk").stdout.split()[-1]
    token = link.rsplit("/", 1)[1]
    feed = next(w for w in run("feed", "create", "--plan", "test-irk").stdout.split()
                if "/feeds/" in w).rsplit("/", 1)[1].removesuffix(".ics")
    port = free_port()
    log = tmp_path / "serve.log"
    child_env = {k: v for k, v in env.items() if v is not None}
    # Worker threads each reserve a malloc arena of address space: keep two,
    # so that the address-space cap bounds memory, not the thread count.
    child_env.update({"PATH": "/usr/bin:/bin", "LANG": "ru_RU.UTF-8", "MALLOC_ARENA_MAX": "2"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "roadmap", "serve", "--no-scheduler", "--port", str(port),
         "--today", "2024-03-15"],
        # Logs go to a file: a pipe nobody reads would fill and stall the server.
        cwd=ROOT, env=child_env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        preexec_fn=_cap_memory,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline and proc.poll() is None, "serve did not start"
            time.sleep(0.1)
        opened = _send(port, f"GET /l/{token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                       .encode())
        cookie = re.search(rb"roadmap_session=([^;]+);", opened)[1].decode()  # type: ignore[index]
        page = _send(port, f"GET / HTTP/1.1\r\nHost: x\r\nCookie: roadmap_session={cookie}\r\n"
                     "Connection: close\r\n\r\n".encode())
        csrf = re.search(rb'name="csrf" value="([0-9a-f]+)"', page)[1].decode()  # type: ignore[index]

        rng = random.Random(SEED)
        started = time.monotonic()
        seen: dict[int, int] = {}
        for n in range(PROBES):
            request = _request(rng, cookie, csrf, rng.choice([token, feed]))
            answer = _send(port, request)
            if not answer and b"\r\n\r\n" in request and request.split(b"\r\n\r\n", 1)[1]:
                # Refused before its body was read: the close resets the
                # connection and the answer is lost in transit (TCP).
                seen[0] = seen.get(0, 0) + 1
                continue
            match = STATUS.match(answer)
            assert match, (n, answer[:200])
            code = int(match[1])
            seen[code] = seen.get(code, 0) + 1
            assert code < 500 or code == 503, (n, answer[:300])
        assert time.monotonic() - started < 45
        assert proc.poll() is None, "the server died"
        # still serving the real thing
        assert b" 200 " in _send(port, b"GET /static/style.css HTTP/1.1\r\nHost: x\r\n"
                                        b"Connection: close\r\n\r\n").split(b"\r\n")[0]
        assert len(seen) >= 4, seen  # the probes reached several kinds of answer
        assert seen.get(0, 0) < PROBES // 10, seen
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text  # a refused request is one warning line
    assert token not in text and feed not in text and cookie not in text
