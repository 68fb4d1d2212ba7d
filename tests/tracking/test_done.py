"""``roadmap done``, ``reopen``, ``history``: choosing the occurrence, the
append-only log, errors that name what to pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from roadmap.app import App
from roadmap.storage.tables import CompletionRow

from .conftest import IRK, Run

URL = "https://example.org/prikaz.pdf"


def status_of(run: Run, today: str, **match: Any) -> dict[str, Any]:
    result = run("status", "--plan", IRK, "--today", today, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found = [r for r in json.loads(result.stdout) if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, found
    return found[0]


def history_json(run: Run, *args: str) -> list[dict[str, Any]]:
    result = run("history", IRK, *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return list(json.loads(result.stdout))


def test_done_again_reopen_history(run: Run, loaded: Path) -> None:
    done = run("done", IRK, "1.2", "--url", URL, "--note", "приказ", "--today", "2024-02-15")
    assert done.exit_code == 0, done.stderr
    assert "Отмечено выполненным" in done.stdout and "curator" in done.stdout
    assert status_of(run, "2024-03-05", task="1.2")["status"] == "done"

    twice = run("done", IRK, "1.2", "--url", URL, "--today", "2024-02-16")
    assert twice.exit_code == 1
    assert "уже отмечено" in twice.stderr and "--again" in twice.stderr

    again = run("done", IRK, "1.2", "--url", URL + "?v=2", "--again", "--by", "petrova",
                "--today", "2024-02-16")
    assert again.exit_code == 0, again.stderr
    assert "Заменяет отметку" in again.stdout

    back = run("reopen", IRK, "1.2", "--reason", "не тот документ")
    assert back.exit_code == 0, back.stderr
    assert status_of(run, "2024-03-05", task="1.2")["status"] == "overdue"
    assert status_of(run, "2024-01-05", task="1.2")["status"] == "upcoming"

    log = history_json(run, "1.2")
    assert [e["action"] for e in log] == ["done", "done", "reopen"]
    assert [e["by"] for e in log] == ["curator", "petrova", "curator"]
    assert log[0]["supersedes"] is None
    assert log[1]["supersedes"] == log[0]["id"] and log[2]["supersedes"] == log[1]["id"]
    assert log[0]["url"] == URL and log[2]["note"] == "не тот документ"
    assert log[0]["due"] == "2024-03-01" and log[0]["timezone"] == "Asia/Irkutsk"
    table = run("history", IRK, "1.2")
    assert table.exit_code == 0
    assert "не тот документ" in table.stdout and "petrova" in table.stdout

    again_reopen = run("reopen", IRK, "1.2", "--reason", "ещё раз")
    assert again_reopen.exit_code == 1 and "нет сроков, отмеченных" in again_reopen.stderr


def test_rows_are_never_rewritten(run: Run, loaded: Path, app: App) -> None:
    run("done", IRK, "1.2", "--url", URL, "--today", "2024-02-15")
    with app.sessions() as session:
        before = [(r.id, r.action, r.at, r.url) for r in session.query(CompletionRow)]
    run("done", IRK, "1.2", "--url", URL, "--again", "--today", "2024-02-15")
    run("reopen", IRK, "1.2", "--reason", "x")
    with app.sessions() as session:
        after = [(r.id, r.action, r.at, r.url) for r in session.query(CompletionRow)]
    assert after[: len(before)] == before and len(after) == 3


def test_exactly_one_of_evidence_or_url(run: Run, loaded: Path, tmp_path: Path) -> None:
    neither = run("done", IRK, "1.2")
    assert neither.exit_code == 2 and "--evidence" in neither.stderr
    doc = tmp_path / "doc.txt"
    doc.write_text("x", encoding="utf-8")
    both = run("done", IRK, "1.2", "--url", URL, "--evidence", str(doc))
    assert both.exit_code == 2
    assert history_json(run) == []


def test_fanned_out_task_needs_org(run: Run, loaded: Path) -> None:
    result = run("done", IRK, "1.1", "--url", URL, "--today", "2023-01-15")
    assert result.exit_code == 2
    assert "--org" in result.stderr
    assert all(s in result.stderr for s in ("school-1", "school-2", "school-3"))
    assert "--party (imcro)" in result.stderr
    ok = run("done", IRK, "1.1", "--org", "school-2", "--url", URL, "--today", "2023-01-15")
    assert ok.exit_code == 0, ok.stderr
    assert status_of(run, "2023-01-20", task="1.1", org="school-2", due="2023-01-31")[
        "status"] == "done"
    assert status_of(run, "2023-01-20", task="1.1", org="school-1", due="2023-01-31")[
        "status"] == "due_soon"
    imcro = run("done", IRK, "1.1", "--party", "imcro", "--url", URL, "--today", "2023-01-15")
    assert imcro.exit_code == 0, imcro.stderr
    unknown = run("done", IRK, "1.1", "--org", "school-9", "--url", URL)
    assert unknown.exit_code == 1 and "school-1" in unknown.stderr


def test_several_open_lists_due_values(run: Run, loaded: Path) -> None:
    # «Ежегодно до 1 марта»: the 2023 window is overdue, the 2024 one is open.
    result = run("done", IRK, "1.5", "--url", URL, "--today", "2024-01-10")
    assert result.exit_code == 2
    assert "--due 2023-03-01" in result.stderr and "--due 2024-03-01" in result.stderr
    assert "--due 2025-03-01" not in result.stderr
    picked = run("done", IRK, "1.5", "--url", URL, "--due", "2023-03-01", "--today", "2024-01-10")
    assert picked.exit_code == 0, picked.stderr
    assert "2023-03-01" in picked.stdout
    rest = run("done", IRK, "1.5", "--url", URL, "--today", "2024-01-10")
    assert rest.exit_code == 0, rest.stderr
    assert "2024-03-01" in rest.stdout
    # Now nothing begun is open: the next window is named.
    after = run("done", IRK, "1.5", "--url", URL, "--today", "2024-01-11")
    assert after.exit_code == 1
    assert "--again" in after.stderr and "--due 2025-03-01" in after.stderr
    no_such = run("done", IRK, "1.5", "--url", URL, "--due", "2024-03-02")
    assert no_such.exit_code == 1 and "2024-03-01" in no_such.stderr


def test_only_future_windows_name_the_next(run: Run, loaded: Path) -> None:
    result = run("done", IRK, "1.1", "--party", "imcro", "--url", URL, "--today", "2022-12-01")
    assert result.exit_code == 1
    assert "--due 2023-01-31" in result.stderr
    early = run("done", IRK, "1.1", "--party", "imcro", "--url", URL, "--due", "2023-01-31",
                "--today", "2022-12-01")
    assert early.exit_code == 0, early.stderr


def test_unknown_plan_and_task(run: Run, loaded: Path) -> None:
    plan = run("done", "test-irq", "1.2", "--url", URL)
    assert plan.exit_code == 1 and "«test-irk»" in plan.stderr
    task = run("done", IRK, "1.9", "--url", URL)
    assert task.exit_code == 1 and "1.2" in task.stderr


def test_by_defaults_to_os_user(run: Run, loaded: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "osuser")
    result = run("done", IRK, "1.2", "--url", URL, "--today", "2024-02-01", ROADMAP_USER="")
    assert result.exit_code == 0, result.stderr
    assert history_json(run)[0]["by"] == "osuser"


def test_history_local_time_and_org_filter(run: Run, loaded: Path) -> None:
    run("done", IRK, "1.1", "--org", "school-1", "--url", URL, "--today", "2023-01-15")
    run("done", IRK, "1.1", "--org", "school-3", "--url", URL, "--today", "2023-01-15")
    log = history_json(run, "--org", "school-3")
    assert [e["org"] for e in log] == ["school-3"]
    entry = log[0]
    assert entry["at"].endswith("+00:00") and entry["local_at"].endswith("+08:00")
    wrong = run("history", IRK, "--org", "school-9")
    assert wrong.exit_code == 1 and "school-3" in wrong.stderr
