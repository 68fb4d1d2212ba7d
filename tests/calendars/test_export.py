"""``roadmap ics``: standards-correct calendars, checked by three parsers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from notifications.calendar import todo_uid
from tests.calendars.conftest import (
    NOW,
    PLAN_ID,
    SCHOOLS,
    TODAY,
    Complete,
    Live,
    Run,
    by_summary,
    ics,
    key,
    parse,
    uid,
)

ORG = ("--org", "school-1", "--today", TODAY)


def test_org_calendar_dates_uids_and_marks(run: Run, loaded: Path) -> None:
    data = ics(run, *ORG)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    cal, items = parse(data)
    expected = {
        uid(key("1.1", "oo", "school-1", "2023-01-31")): (date(2023, 1, 1), date(2023, 1, 31)),
        uid(key("1.1", "oo", "school-1", "2024-01-31")): (date(2024, 1, 1), date(2024, 1, 31)),
        # Two months («январь-февраль»): one event on its due date, not a bar.
        uid(key("2.1", "oo", "school-1", "2023-02-28")): (date(2023, 2, 28), date(2023, 2, 28)),
    }
    assert set(items) == set(expected)
    for event_uid, (start, due) in expected.items():
        item = items[event_uid]
        assert item.start == start
        assert item.end == due + timedelta(days=1)  # exclusive DTEND
        assert item.sequence == 0
    # Raw form: VALUE=DATE, the refresh hints, no alarms.
    assert b"DTSTART;VALUE=DATE:20230101\r\n" in data
    assert b"DTEND;VALUE=DATE:20230201\r\n" in data
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT6H\r\n" in data
    assert b"VALARM" not in data
    assert "МБОУ СОШ № 1" in str(cal["X-WR-CALNAME"])

    overdue = items[uid(key("2.1", "oo", "school-1", "2023-02-28"))]
    assert "просрочено" in overdue.summary and "Отчёт о наставничестве" in overdue.summary
    current = items[uid(key("1.1", "oo", "school-1", "2024-01-31"))]
    assert current.summary == "Назначение кураторов в ОО"
    assert current.categories == ("Организационное направление",)
    description = current.description
    assert "Срок по плану: Ежегодно январь" in description
    assert "Ожидаемый результат: Приказ о назначении куратора" in description
    assert "Ответственные: МКУ ИМЦРО, ОО" in description
    assert f"({PLAN_ID}), пункт 1.1" in description
    assert "МБОУ СОШ № 1 (пример)" in description
    assert "Статус: не выполнено" in description
    assert overdue.categories == ("Отчётность",)


def test_unchanged_calendar_is_byte_identical_across_renders_and_reloads(
    run: Run, loaded: Path
) -> None:
    first = ics(run, *ORG)
    assert ics(run, *ORG) == first
    again = run("load", str(loaded))
    assert again.exit_code == 0 and "без изменений" in again.stdout
    assert ics(run, *ORG) == first
    plan_first = ics(run, "--plan", PLAN_ID, "--today", TODAY)
    assert ics(run, "--plan", PLAN_ID, "--today", TODAY) == plan_first


def test_completion_bumps_sequence_of_that_event_only(
    run: Run, loaded: Path, complete: Complete, live: Live
) -> None:
    _cal, before = parse(live(*ORG))
    target = key("2.1", "oo", "school-1", "2023-02-28")
    complete(target)
    after_data = live(*ORG)
    _cal, after = parse(after_data)
    assert set(after) == set(before)  # same UIDs
    changed = after[uid(target)]
    assert changed.sequence > before[uid(target)].sequence
    assert changed.stamp >= before[uid(target)].stamp
    assert changed.summary.startswith("✓") and "просрочено" not in changed.summary
    assert "Статус: выполнено 2024-03-01" in changed.description  # plan-local date of NOW
    for other in set(after) - {uid(target)}:
        assert after[other] == before[other]
    # Rendering again changes nothing more.
    assert live(*ORG) == after_data


def test_edited_plan_keeps_uids_and_bumps_sequence(
    run: Run, loaded: Path, live: Live
) -> None:
    _cal, before = parse(live(*ORG))
    path = loaded / f"{PLAN_ID}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "Назначение кураторов в ОО", "Назначение кураторов наставничества в ОО"
        ),
        encoding="utf-8",
    )
    assert run("load", str(loaded)).exit_code == 0
    data = live(*ORG)
    _cal, after = parse(data)
    assert set(after) == set(before)
    for window in ("2023-01-31", "2024-01-31"):
        event_uid = uid(key("1.1", "oo", "school-1", window))
        assert after[event_uid].sequence > before[event_uid].sequence
        assert "наставничества" in after[event_uid].summary
    untouched = uid(key("2.1", "oo", "school-1", "2023-02-28"))
    assert after[untouched] == before[untouched]
    assert live(*ORG) == data


def test_overdue_and_due_dates_follow_today(run: Run, loaded: Path) -> None:
    _cal, early = parse(ics(run, "--org", "school-1", "--today", "2022-12-01"))
    assert not by_summary(early, "просрочено")
    _cal, late = parse(ics(run, "--org", "school-1", "--today", "2025-01-01"))
    assert len(by_summary(late, "просрочено")) == 3  # overdue items stay until done


def test_coordinator_feed_one_event_per_task_window(
    run: Run, loaded: Path, complete: Complete, live: Live
) -> None:
    args = ("--plan", PLAN_ID, "--today", TODAY)
    cal, items = parse(live(*args))
    # 1.1 × 2 years, 1.2, 2.1: not one event per organisation.
    assert len(items) == 4
    first = by_summary(items, "Назначение кураторов")
    assert len(first) == 2
    jan23 = next(i for i in first if i.start == date(2023, 1, 1))
    assert jan23.end == date(2023, 2, 1)
    assert "выполнено 0 из 4" in jan23.summary and "просрочено" in jan23.summary
    assert "Просрочено (4)" in jan23.description
    for name in (*SCHOOLS.values(), "МКУ ИМЦРО"):
        assert name in jan23.description
    report = by_summary(items, "Отчёт о наставничестве")[0]
    assert "выполнено 0 из 3" in report.summary
    assert (report.start, report.end) == (date(2023, 2, 28), date(2023, 3, 1))
    assert "Период выполнения: 01.01.2023 — 28.02.2023" in report.description
    assert "Мониторинг" in str(cal["X-WR-CALDESC"])

    complete(key("1.1", "oo", "school-2", "2023-01-31"))
    complete(key("1.1", "imcro", None, "2023-01-31"))
    _cal, after = parse(live(*args))
    assert set(after) == set(items)
    jan23_after = after[jan23.uid]
    assert "выполнено 2 из 4" in jan23_after.summary
    assert jan23_after.sequence > jan23.sequence
    assert "Просрочено (2): МБОУ СОШ № 1 (пример)" in jan23_after.description
    assert "СОШ № 2" not in jan23_after.description.split("Просрочено")[1]
    for other in set(after) - {jan23.uid}:
        assert after[other] == items[other]

    complete(key("1.1", "oo", "school-1", "2023-01-31"))
    complete(key("1.1", "oo", "school-3", "2023-01-31"))
    _cal, done = parse(live(*args))
    assert done[jan23.uid].summary.startswith("✓")
    assert "выполнено 4 из 4" in done[jan23.uid].summary


def test_party_feeds(run: Run, loaded: Path) -> None:
    cal, own = parse(ics(run, "--party", "imcro", "--today", TODAY))
    assert set(own) == {
        uid(key("1.1", "imcro", None, "2023-01-31")),
        uid(key("1.1", "imcro", None, "2024-01-31")),
        uid(key("1.2", "imcro", None, "2023-03-01")),
    }
    statute = own[uid(key("1.2", "imcro", None, "2023-03-01"))]
    assert (statute.start, statute.end) == (date(2023, 3, 1), date(2023, 3, 2))  # no start: due
    assert "Мониторинг — срок не указан" in str(cal["X-WR-CALDESC"])
    # A party that fans out to the register gets summaries, like a coordinator.
    cal, schools = parse(ics(run, "--party", "oo", "--today", TODAY))
    assert len(schools) == 3
    assert all("из 3" in i.summary for i in schools.values())
    assert "Участие в проекте — по мере необходимости" in str(cal["X-WR-CALDESC"])


def test_on_demand_and_undated_are_described_not_dated(run: Run, loaded: Path) -> None:
    cal, items = parse(ics(run, "--org", "school-2", "--today", TODAY))
    assert not by_summary(items, "Участие в проекте")
    description = str(cal["DESCRIPTION"])
    # icalendar leaves X- properties escaped: the wire form is TEXT either way.
    assert str(cal["X-WR-CALDESC"]).replace("\\n", "\n") == description
    assert "• 1.3 Участие в проекте — по мере необходимости («По плану проекта»)" in description
    cal, items = parse(ics(run, "--plan", PLAN_ID, "--today", TODAY))
    assert not by_summary(items, "Мониторинг") and not by_summary(items, "Участие")
    assert "• 1.4 Мониторинг — срок не указан" in str(cal["X-WR-CALDESC"])


def test_todo_calendar(run: Run, loaded: Path, complete: Complete, live: Live) -> None:
    args = ("--org", "school-1", "--today", TODAY, "--todo")
    data = live(*args)
    assert b"BEGIN:VEVENT" not in data
    _cal, todos = parse(data, todo=True)
    target = key("2.1", "oo", "school-1", "2023-02-28")
    todo = todos[todo_uid(uid(target))]
    assert todo.end == date(2023, 2, 28)  # DUE is the last day itself
    assert todo.status == "NEEDS-ACTION" and todo.completed is None
    complete(target)
    _cal, after = parse(live(*args), todo=True)
    assert after[todo_uid(uid(target))].status == "COMPLETED"
    assert after[todo_uid(uid(target))].completed == NOW
    assert after[todo_uid(uid(target))].sequence > todo.sequence
    # The coordinator's to-dos: in progress once someone is done.
    _cal, plan = parse(live("--plan", PLAN_ID, "--today", TODAY, "--todo"), todo=True)
    report = by_summary(plan, "Отчёт о наставничестве")[0]
    assert report.status == "IN-PROCESS" and "выполнено 1 из 3" in report.summary


def test_output_file_is_written_atomically(run: Run, loaded: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "school-1.ics"
    out.parent.mkdir()
    out.write_bytes(b"old")
    result = run("ics", *ORG, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert out.read_bytes() == ics(run, *ORG)
    assert [p.name for p in out.parent.iterdir()] == ["school-1.ics"]  # no temp file left


def test_scope_errors(run: Run, loaded: Path) -> None:
    missing = run("ics")
    assert missing.exit_code == 2 and "--plan, --party или --org" in missing.stderr
    both = run("ics", "--party", "oo", "--org", "school-1")
    assert both.exit_code == 2
    unknown = run("ics", "--org", "school-99")
    assert unknown.exit_code == 1 and "school-99" in unknown.stderr
    unknown_plan = run("ics", "--plan", "nope")
    assert unknown_plan.exit_code == 1 and "nope" in unknown_plan.stderr


def test_long_windows_are_one_day_events_unless_spans(run: Run, loaded: Path) -> None:
    target = uid(key("2.1", "oo", "school-1", "2023-02-28"))
    _cal, items = parse(ics(run, *ORG))
    event = items[target]
    assert (event.start, event.end) == (date(2023, 2, 28), date(2023, 3, 1))
    assert "Период выполнения: 01.01.2023 — 28.02.2023" in event.description
    _cal, spans = parse(ics(run, *ORG, "--spans"))
    assert (spans[target].start, spans[target].end) == (date(2023, 1, 1), date(2023, 3, 1))
    assert "Период выполнения" not in spans[target].description
    # A one-month window stays a bar: «январь» is 31 days.
    january = uid(key("1.1", "oo", "school-1", "2024-01-31"))
    assert (items[january].start, items[january].end) == (date(2024, 1, 1), date(2024, 2, 1))
