"""``roadmap status`` and :func:`roadmap.tracking.status_rows`: boundaries,
plan-local midnight, fan-out, filters, formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

import roadmap.app
from roadmap.app import App, Clock
from roadmap.status import Status
from roadmap.storage.repository import record_completion
from roadmap.tracking import StatusFilter, count_by_status, status_rows

from .conftest import IRK, MSK, PLAN, SCHOOLS, Run, write_plans

JSON_KEYS = {"plan", "task", "number", "org", "party", "start", "due", "status", "days_overdue"}


def status_json(run: Run, *args: str, **env: str) -> list[dict[str, Any]]:
    result = run("status", "--format", "json", *args, **env)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    return rows


def one(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def test_due_today_is_due_soon_and_yesterday_overdue(run: Run, loaded: Path) -> None:
    on_day = status_json(run, "--plan", IRK, "--today", "2024-03-01")
    row = one(on_day, task="1.2")
    assert (row["status"], row["days_overdue"]) == ("due_soon", 0)
    day_after = status_json(run, "--plan", IRK, "--today", "2024-03-02")
    row = one(day_after, task="1.2")
    assert (row["status"], row["days_overdue"]) == ("overdue", 1)
    assert set(row) >= JSON_KEYS


def test_lookahead_from_settings(run: Run, loaded: Path) -> None:
    row = one(status_json(run, "--plan", IRK, "--today", "2024-02-20"), task="1.2")
    assert row["status"] == "due_soon"  # 10 days ahead, default look-ahead 14
    row = one(
        status_json(run, "--plan", IRK, "--today", "2024-02-20", ROADMAP_LOOKAHEAD_DAYS="5"),
        task="1.2",
    )
    assert row["status"] == "upcoming"


IRKUTSK_JUST_PAST_MIDNIGHT = datetime(2023, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 Jan in Irkutsk


def test_irkutsk_midnight_core(app: App) -> None:
    clock = Clock(now=lambda: IRKUTSK_JUST_PAST_MIDNIGHT)
    with app.sessions() as session:
        rows = status_rows(session, clock.today, StatusFilter(task="1.6"))
    by_plan = {r.plan: r for r in rows}
    assert by_plan[IRK].today == date(2024, 1, 1)
    assert (by_plan[IRK].status, by_plan[IRK].days_overdue) == (Status.OVERDUE, 1)
    assert by_plan[MSK].today == date(2023, 12, 31)  # 19:30 in Moscow
    assert by_plan[MSK].status is Status.DUE_SOON


def test_irkutsk_midnight_cli(run: Run, loaded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line with an injected clock (the group builds the App)."""
    clock = Clock(now=lambda: IRKUTSK_JUST_PAST_MIDNIGHT)
    monkeypatch.setattr(roadmap.app, "App", lambda config_path=None: App(config_path, clock=clock))
    rows = status_json(run, "--overdue")
    assert {(r["plan"], r["task"]) for r in rows if r["task"] == "1.6"} == {(IRK, "1.6")}


def test_fan_out_one_row_per_organisation(run: Run, loaded: Path) -> None:
    rows = status_json(run, "--plan", IRK, "--party", "oo", "--today", "2024-01-10")
    assert {r["task"] for r in rows} == {"1.1"}
    by_due: dict[str, list[str]] = {}
    for r in rows:
        by_due.setdefault(r["due"], []).append(r["org"])
    assert sorted(by_due) == ["2023-01-31", "2024-01-31", "2025-01-31"]
    for orgs in by_due.values():
        assert sorted(orgs) == list(SCHOOLS)
    imcro = [r for r in status_json(run, "--plan", IRK, "--party", "imcro") if r["task"] == "1.1"]
    assert len(imcro) == 3 and all(r["org"] is None for r in imcro)
    only = status_json(run, "--plan", IRK, "--org", "school-2")
    assert {r["org"] for r in only} == {"school-2"} and len(only) == 3


def test_undated_and_on_demand(run: Run, loaded: Path) -> None:
    rows = status_json(run, "--plan", IRK, "--today", "2024-01-10")
    assert one(rows, task="1.3")["status"] == "undated"
    assert one(rows, task="1.4")["status"] == "on_demand"
    table = run("status", "--plan", IRK, "--today", "2024-01-10").stdout
    line = next(x for x in table.splitlines() if "Мониторинг" in x)
    assert "срок не указан" in line


def test_overdue_and_due_within_filters(run: Run, loaded: Path) -> None:
    today = ("--plan", IRK, "--today", "2024-02-10")
    overdue = status_json(run, *today, "--overdue")
    assert overdue and {r["status"] for r in overdue} == {"overdue"}
    assert {r["due"] for r in overdue} == {"2023-01-31", "2023-03-01", "2023-12-31", "2024-01-31"}
    within = status_json(run, *today, "--due-within", "25")
    assert {r["status"] for r in within} == {"overdue", "upcoming"}  # 20 days > look-ahead 14
    assert "2024-03-01" in {r["due"] for r in within}
    assert all(r["due"] <= "2024-03-06" for r in within)
    soon = status_json(run, *today, "--due-within", "19")
    assert "2024-03-01" not in {r["due"] for r in soon}


HEADERS = ("План", "№", "Мероприятие", "Сторона", "Организация", "Срок", "Статус",
           "Дней просрочки", "Документ")


@pytest.mark.parametrize("columns", [80, 90, 120, 200])
def test_table_headers_totals_and_fit(run: Run, loaded: Path, columns: int) -> None:
    result = run("status", "--plan", IRK, "--today", "2024-02-10", COLUMNS=str(columns))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.rstrip("\n").splitlines()
    rows = status_json(run, "--plan", IRK, "--today", "2024-02-10")
    # The plan is the same on every row: said once, above the table.
    assert lines[0] == f"План: {IRK}"
    assert not any(line.startswith(IRK) for line in lines[1:])
    blank = lines.index("")
    totals = lines[blank + 1:]
    assert totals[0].startswith(f"Итого {len(rows)}: просрочено")
    assert all(len(line) <= columns for line in lines), max(lines, key=len)
    # Long cells wrap over several lines; nothing is cut.
    assert "…" not in result.stdout
    # Read the activity column down each row: it holds the whole text.
    header = lines[1]
    assert header.split()[:2] == ["№", "Мероприятие"]
    start, end = header.index("Мероприятие"), header.index(header.split()[2])
    activities: list[str] = []
    for line in lines[2:blank]:
        if not activities and not line[:start].strip():
            continue  # the header's second line
        if line[:start].strip():  # a new row starts with its number
            activities.append("")
        activities[-1] += line[start:end]
    assert len(activities) == len(rows)
    for shown, row in zip(activities, rows, strict=True):
        assert shown.replace(" ", "") == row["activity"].replace(" ", "")
    if columns >= 200:
        assert "Назначение кураторов внедрения целевой модели наставничества" in result.stdout
    # Dates for people: ДД.ММ.ГГГГ.
    assert "31.01.2024" in result.stdout and "2024-01-31" not in result.stdout


def test_csv_parses_with_header(run: Run, loaded: Path) -> None:
    result = run("status", "--plan", IRK, "--today", "2024-02-10", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert set(rows[0]) >= JSON_KEYS
    assert len(rows) == len(status_json(run, "--plan", IRK, "--today", "2024-02-10"))
    assert any(r["activity"].startswith("Назначение кураторов") for r in rows)
    assert one(rows, task="1.3")["due"] == ""


def test_withdrawn_rows_only_on_request(run: Run, loaded: Path, tmp_path: Path) -> None:
    done = run("done", IRK, "1.6", "--url", "https://example.org/1.6", "--today", "2023-12-01")
    assert done.exit_code == 0, done.stderr
    without_16 = PLAN.format(id=IRK, zone="Asia/Irkutsk").split('      - id: "1.6"')[0]
    write_plans(tmp_path / "plans", irk_plan=without_16)
    assert run("load", str(tmp_path / "plans")).exit_code == 0
    assert all(r["task"] != "1.6" for r in status_json(run, "--plan", IRK))
    rows = status_json(run, "--plan", IRK, "--withdrawn")
    assert one(rows, task="1.6")["status"] == "withdrawn"
    # Its history stays.
    log = run("history", IRK, "1.6", "--format", "json")
    assert log.exit_code == 0, log.stderr
    assert [e["action"] for e in json.loads(log.stdout)] == ["done"]


@pytest.mark.parametrize(
    ("option", "value", "suggestion", "listed"),
    [
        ("--plan", "test-irq", "«test-irk»", "test-msk"),
        ("--party", "imcr", "«imcro»", "oo"),
        ("--org", "school-4", "«school-1»", "school-3"),
    ],
)
def test_unknown_names_suggest(
    run: Run, loaded: Path, option: str, value: str, suggestion: str, listed: str
) -> None:
    result = run("status", option, value)
    assert result.exit_code == 1
    assert suggestion in result.stderr and listed in result.stderr
    assert "может быть" in result.stderr


# ---------------------------------------------------------------- the core's filters


def rows_on(app: App, day: date, **flt: Any) -> list[Any]:
    with app.sessions() as session:
        return status_rows(session, lambda _zone: day, StatusFilter(**flt))


def keys(rows: list[Any]) -> list[tuple[str, str, str | None, str | None]]:
    return [(r.task, r.party, r.org, r.due.isoformat() if r.due else None) for r in rows]


def test_rows_by_due_date_then_plan_task_party_and_organisation(app: App) -> None:
    rows = rows_on(app, date(2024, 1, 10), task="1.1")
    assert [(r.plan, r.party, r.org) for r in rows[:8]] == [
        (IRK, "imcro", None), (IRK, "oo", "school-1"), (IRK, "oo", "school-2"),
        (IRK, "oo", "school-3"),
        (MSK, "imcro", None), (MSK, "oo", "school-1"), (MSK, "oo", "school-2"),
        (MSK, "oo", "school-3"),
    ]
    assert {r.due for r in rows[:8]} == {date(2023, 1, 31)}
    dated = keys(rows_on(app, date(2024, 1, 10), plan=IRK, party="imcro"))
    assert dated == [
        ("1.1", "imcro", None, "2023-01-31"), ("1.5", "imcro", None, "2023-03-01"),
        ("1.6", "imcro", None, "2023-12-31"), ("1.1", "imcro", None, "2024-01-31"),
        ("1.2", "imcro", None, "2024-03-01"), ("1.5", "imcro", None, "2024-03-01"),
        ("1.1", "imcro", None, "2025-01-31"), ("1.5", "imcro", None, "2025-03-01"),
        ("1.3", "imcro", None, None), ("1.4", "imcro", None, None),
    ]


def test_each_filter_narrows_to_its_value(app: App) -> None:
    day = date(2024, 1, 10)
    assert {r.plan for r in rows_on(app, day, plan=MSK)} == {MSK}
    assert keys(rows_on(app, day, plan=IRK, org="school-2")) == [
        ("1.1", "oo", "school-2", "2023-01-31"), ("1.1", "oo", "school-2", "2024-01-31"),
        ("1.1", "oo", "school-2", "2025-01-31"),
    ]
    assert keys(rows_on(app, day, plan=IRK, task="1.5")) == [
        ("1.5", "imcro", None, "2023-03-01"), ("1.5", "imcro", None, "2024-03-01"),
        ("1.5", "imcro", None, "2025-03-01"),
    ]
    assert {r.party for r in rows_on(app, day, plan=IRK, party="oo")} == {"oo"}
    one_row = rows_on(app, day, plan=IRK, task="1.2")[0]
    picked = rows_on(app, day, occurrence=one_row.occurrence_id)
    assert [r.occurrence_id for r in picked] == [one_row.occurrence_id]
    assert len(rows_on(app, day)) == 2 * 19


def test_a_row_carries_its_task_party_and_organisation(app: App) -> None:
    row = rows_on(app, date(2024, 1, 10), plan=IRK, org="school-1", task="1.1")[0]
    assert (row.plan, row.task, row.number, row.section, row.activity) == (
        IRK, "1.1", "1.1", "Организационно-управленческое направление",
        "Назначение кураторов внедрения целевой модели наставничества в образовательных "
        "организациях")
    assert (row.deadline, row.result) == ("Ежегодно январь", "Приказ о назначении куратора")
    assert (row.party, row.party_name, row.org, row.org_name) == (
        "oo", "Образовательные организации", "school-1", "МБОУ СОШ № 1 (пример)")
    assert (row.kind, row.start, row.due, row.today) == (
        "dated", date(2023, 1, 1), date(2023, 1, 31), date(2024, 1, 10))
    assert (row.status, row.days_overdue, row.done_at, row.done_by) == (
        Status.OVERDUE, 344, None, None)
    assert row.as_json() == {
        "plan": IRK, "task": "1.1", "number": "1.1",
        "activity": row.activity, "deadline": "Ежегодно январь",
        "result": "Приказ о назначении куратора", "party": "oo",
        "party_name": "Образовательные организации", "org": "school-1",
        "org_name": "МБОУ СОШ № 1 (пример)", "start": "2023-01-01", "due": "2023-01-31",
        "status": "overdue", "days_overdue": 344, "done_at": None, "done_by": None,
    }


def test_a_done_row_names_who_and_when(app: App) -> None:
    at = datetime(2024, 2, 15, 2, 30, tzinfo=UTC)
    with app.sessions.begin() as session:
        sel_row = rows_on(app, date(2024, 2, 15), plan=IRK, task="1.2")[0]
        record_completion(session, sel_row.occurrence_id, "ivanova", at, url="https://x.org/a")
    row = rows_on(app, date(2024, 3, 5), plan=IRK, task="1.2")[0]
    assert (row.status, row.days_overdue, row.done_by) == (Status.DONE, 0, "ivanova")
    assert row.done_at is not None and row.done_at.replace(tzinfo=UTC) == at
    assert row.as_json()["done_by"] == "ivanova"
    assert row.as_json()["done_at"].startswith("2024-02-15T02:30:00")


def test_overdue_only(app: App) -> None:
    rows = rows_on(app, date(2024, 2, 10), plan=IRK, party="imcro", overdue_only=True)
    assert keys(rows) == [
        ("1.1", "imcro", None, "2023-01-31"), ("1.5", "imcro", None, "2023-03-01"),
        ("1.6", "imcro", None, "2023-12-31"), ("1.1", "imcro", None, "2024-01-31"),
    ]
    assert [r.days_overdue for r in rows] == [375, 346, 41, 10]


def test_due_within_counts_days_up_to_and_including_n(app: App) -> None:
    day = date(2024, 2, 10)  # 1.2 and 1.5 due 2024-03-01: 20 days ahead
    within_20 = rows_on(app, day, plan=IRK, party="imcro", due_within=20)
    assert keys(within_20) == [
        ("1.1", "imcro", None, "2023-01-31"), ("1.5", "imcro", None, "2023-03-01"),
        ("1.6", "imcro", None, "2023-12-31"), ("1.1", "imcro", None, "2024-01-31"),
        ("1.2", "imcro", None, "2024-03-01"), ("1.5", "imcro", None, "2024-03-01"),
    ]
    within_19 = rows_on(app, day, plan=IRK, party="imcro", due_within=19)
    assert [r.due for r in within_19][-1] == date(2024, 1, 31)
    # Due soon (inside the look-ahead) counts too; undated and on demand never.
    soon = rows_on(app, date(2024, 2, 25), plan=IRK, party="imcro", task="1.2", due_within=5)
    assert [r.status for r in soon] == [Status.DUE_SOON]
    assert rows_on(app, date(2024, 2, 25), plan=IRK, task="1.3", due_within=1000) == []


def test_due_within_leaves_out_what_is_done(app: App) -> None:
    at = datetime(2024, 2, 15, 2, 30, tzinfo=UTC)
    occurrence = rows_on(app, date(2024, 2, 15), plan=IRK, task="1.2")[0].occurrence_id
    with app.sessions.begin() as session:
        record_completion(session, occurrence, "ivanova", at, url="https://x.org/a")
    assert rows_on(app, date(2024, 2, 25), plan=IRK, task="1.2", due_within=30) == []


def test_look_ahead_of_the_filter(app: App) -> None:
    day = date(2024, 2, 20)  # 1.2 due in 10 days
    assert rows_on(app, day, plan=IRK, task="1.2")[0].status is Status.DUE_SOON
    assert rows_on(app, day, plan=IRK, task="1.2", due_soon_days=9)[0].status is (
        Status.UPCOMING)
    assert rows_on(app, day, plan=IRK, task="1.2", due_soon_days=10)[0].status is (
        Status.DUE_SOON)


def test_today_is_asked_once_per_plan_zone(app: App) -> None:
    asked: list[str] = []
    todays = {"Asia/Irkutsk": date(2024, 3, 2), "Europe/Moscow": date(2024, 3, 1)}

    def today_for(zone: str) -> date:
        asked.append(zone)
        return todays[zone]

    with app.sessions() as session:
        rows = status_rows(session, today_for, StatusFilter(task="1.2"))
    assert sorted(asked) == ["Asia/Irkutsk", "Europe/Moscow"]
    by_plan = {r.plan: r for r in rows}
    assert (by_plan[IRK].today, by_plan[IRK].status, by_plan[IRK].days_overdue) == (
        date(2024, 3, 2), Status.OVERDUE, 1)
    assert (by_plan[MSK].today, by_plan[MSK].status) == (date(2024, 3, 1), Status.DUE_SOON)


def test_count_by_status_in_status_order(app: App) -> None:
    rows = rows_on(app, date(2024, 2, 10), plan=IRK, party="imcro")
    counts = count_by_status(rows)
    # Rows come by due date (upcoming before overdue here would show an unsorted count).
    assert list(counts.items()) == [
        (Status.OVERDUE, 4), (Status.UPCOMING, 4), (Status.ON_DEMAND, 1), (Status.UNDATED, 1),
    ]
    assert count_by_status([]) == {}
