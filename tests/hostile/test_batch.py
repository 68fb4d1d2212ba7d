"""``roadmap deadline --batch`` on hostile lines: each bad line its own
error object, the good ones answered, in order (issue 18, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.hostile.bounded import assert_clean, python, roadmap

GOOD = '{"text": "Май 2023", "period": "2023-01-01..2023-12-31"}'.encode()


def answers(stdout: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


def test_each_bad_line_gets_its_own_error(tmp_path: Path, child_env: dict[str, str]) -> None:
    lines = [
        GOOD,
        b"\xff\xfe not UTF-8",
        b"[" * 50_000,
        b'{"text": "\\ud800", "period": "2023-01-01..2023-12-31"}',
        b'{"text": "' + b"x" * 70_000 + b'"}',
        '{"text": "Ежемесячно", "period": "0001-01-01..9999-12-31"}'.encode(),
        GOOD,
    ]
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    for args, stdin in ((["--batch", str(path)], None), (["--batch", "-"], path.read_bytes())):
        result = roadmap("deadline", *args, env=child_env, stdin=stdin)
        assert_clean(result, 1)
        got = answers(result.stdout)
        assert len(got) == len(lines)
        assert got[0]["occurrences"] == [{"start": "2023-05-01", "due": "2023-05-31"}]
        assert got[-1] == got[0]
        errors = [str(a["error"]) for a in got[1:-1]]
        assert errors[0] == "строка не в кодировке UTF-8 (байт 1)"
        assert errors[1] == "JSON вложен слишком глубоко"
        assert "одиночный суррогат" in errors[2]
        assert errors[3] == "строка длиннее 65536 байт"
        assert "длиннее 25 лет" in errors[4]
        assert got[1]["line"] == "\ufffd\ufffd not UTF-8"


def test_batch_lines_fuzz(tmp_path: Path, child_env: dict[str, str]) -> None:
    """400 hostile lines (fixed seed): one answer per line, no traceback."""
    result = python(
        ["-m", "tests.hostile.fuzz", "batch", str(tmp_path), "400"], child_env, timeout=60
    )
    assert_clean(result, 0)
    assert b"cases 400" in result.stdout
