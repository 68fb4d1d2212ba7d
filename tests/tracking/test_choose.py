"""Which occurrence ``done`` and ``reopen`` mean, called on the core
(:func:`choose_for_done`, :func:`mark_done`, :func:`reopen`): a wrong pick
records a completion against the wrong school or year, so every branch is
checked by the occurrence it picks and by the whole message of a refusal.

The Irkutsk plan of ``conftest.py``: 1.1 «Ежегодно январь» (imcro and every
school, windows 1–31 January 2023–2025), 1.2 due 2024-03-01 (no start),
1.5 «Ежегодно до 1 марта» (dues 2023/2024/2025-03-01, no start)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update

from roadmap.app import App
from roadmap.errors import EvidenceError, NotFoundError, UsageError
from roadmap.evidence import Evidence
from roadmap.storage.db import write_session
from roadmap.storage.tables import OccurrenceRow, PlanRow, TaskRow
from roadmap.tracking import (
    AlreadyDoneError,
    AmbiguousOccurrenceError,
    NotDoneError,
    Recorded,
    Selector,
    Target,
    choose_for_done,
    mark_done,
    reopen,
)

from .conftest import IRK

URL = "https://example.org/prikaz.pdf"
AT = datetime(2024, 2, 15, 2, 30, tzinfo=UTC)  # 10:30 in Irkutsk


def on(day: date) -> Callable[[str], date]:
    return lambda _zone: day


def choose(app: App, sel: Selector, today: date, *, again: bool = False) -> Target:
    with app.sessions() as session:
        return choose_for_done(session, on(today), sel, again=again)


def done(app: App, sel: Selector, today: date, *, again: bool = False, by: str = "ivanova",
         at: datetime = AT) -> int:
    with write_session(app.sessions) as session:
        return mark_done(session, on(today), sel, by=by, at=at, url=URL, again=again).completion_id


def refusal(error: type[Exception], call: Callable[[], object]) -> str:
    with pytest.raises(error) as caught:
        call()
    return str(caught.value)


# ---------------------------------------------------------------- the open one


def test_the_one_open_occurrence_is_picked_with_its_plan_data(app: App) -> None:
    target = choose(app, Selector(IRK, "1.2"), date(2024, 2, 15))
    assert (target.plan, target.timezone, target.task, target.number, target.activity) == (
        IRK, "Asia/Irkutsk", "1.2", "1.2", "Разработка положения")
    assert (target.party, target.org, target.start, target.due) == (
        "imcro", None, None, date(2024, 3, 1))
    assert (target.last_id, target.last_action, target.done) == (None, None, False)
    assert target.unit == "imcro"
    assert target.describe() == "1.2 (imcro), срок 2024-03-01"


def test_a_window_with_a_start_opens_on_its_start_day(app: App) -> None:
    sel = Selector(IRK, "1.1", party="imcro")
    assert choose(app, sel, date(2023, 1, 1)).due == date(2023, 1, 31)
    message = refusal(NotDoneError, lambda: choose(app, sel, date(2022, 12, 31)))
    assert message == (
        "Задача 1.1 (imcro): открытых сроков нет; ближайший срок 2023-01-31 "
        "(начало 2023-01-01) — чтобы отметить его, укажите --due 2023-01-31"
    )


def test_a_window_without_a_start_opens_the_day_after_the_previous_due(app: App) -> None:
    sel = Selector(IRK, "1.5")
    # On 1 March 2023 the 2023 window is still the only one open …
    assert choose(app, sel, date(2023, 3, 1)).due == date(2023, 3, 1)
    # … the day after, the 2024 window opens beside the overdue one.
    message = refusal(AmbiguousOccurrenceError, lambda: choose(app, sel, date(2023, 3, 2)))
    assert message == (
        "Открыто несколько сроков задачи 1.5 (imcro); выберите один: "
        "--due 2023-03-01, --due 2024-03-01"
    )


def test_the_first_window_without_a_start_is_open_from_the_beginning(app: App) -> None:
    assert choose(app, Selector(IRK, "1.5"), date(2020, 1, 1)).due == date(2023, 3, 1)


def test_a_done_window_leaves_the_next_open_one(app: App) -> None:
    sel = Selector(IRK, "1.5")
    first = done(app, Selector(IRK, "1.5", due=date(2023, 3, 1)), date(2023, 3, 2))
    assert first > 0
    picked = choose(app, sel, date(2023, 3, 2))
    assert picked.due == date(2024, 3, 1) and not picked.done


def test_an_undated_task_is_always_open(app: App) -> None:
    target = choose(app, Selector(IRK, "1.3"), date(2020, 1, 1))
    assert (target.due, target.start) == (None, None)
    assert target.describe() == "1.3 (imcro), срок не указан"
    on_demand = choose(app, Selector(IRK, "1.4"), date(2020, 1, 1))
    assert on_demand.describe() == "1.4 (imcro), срок по запросу"


# ---------------------------------------------------------------- done already


def test_done_already_names_when_and_who_in_plan_time(app: App) -> None:
    sel = Selector(IRK, "1.2")
    done(app, sel, date(2024, 2, 15))
    message = refusal(AlreadyDoneError, lambda: choose(app, sel, date(2024, 2, 16)))
    assert message == (
        "1.2 (imcro), срок 2024-03-01: уже отмечено выполненным (2024-02-15 10:30, ivanova); "
        "чтобы отметить заново, добавьте --again"
    )
    with_due = Selector(IRK, "1.2", due=date(2024, 3, 1))
    assert refusal(AlreadyDoneError, lambda: choose(app, with_due, date(2024, 2, 16))) == message


def test_done_already_names_the_next_window(app: App) -> None:
    done(app, Selector(IRK, "1.5", due=date(2023, 3, 1)), date(2024, 1, 10))
    done(app, Selector(IRK, "1.5", due=date(2024, 3, 1)), date(2024, 1, 10), by="petrova")
    message = refusal(AlreadyDoneError, lambda: choose(app, Selector(IRK, "1.5"),
                                                       date(2024, 1, 10)))
    assert message == (
        "1.5 (imcro), срок 2024-03-01: уже отмечено выполненным (2024-02-15 10:30, petrova); "
        "чтобы отметить заново, добавьте --again; следующий срок 2025-03-01: --due 2025-03-01"
    )


def test_again_picks_the_one_done_window_and_supersedes_its_completion(app: App) -> None:
    sel = Selector(IRK, "1.2")
    first = done(app, sel, date(2024, 2, 15))
    target = choose(app, sel, date(2024, 2, 16), again=True)
    assert (target.due, target.done, target.last_id, target.last_action, target.last_by) == (
        date(2024, 3, 1), True, first, "done", "ivanova")
    assert target.last_at is not None and target.last_at.astimezone(UTC) == AT
    later = datetime(2024, 2, 16, 1, 0, tzinfo=UTC)
    with write_session(app.sessions) as session:
        recorded = mark_done(session, on(date(2024, 2, 16)), sel, by="petrova", at=later,
                             url=" " + URL + " ", note="новая редакция", again=True)
    assert recorded.completion_id > first
    assert (recorded.action, recorded.at, recorded.by, recorded.note, recorded.url) == (
        "done", later, "petrova", "новая редакция", URL)
    assert (recorded.evidence, recorded.supersedes_id) == (None, first)
    assert recorded.occurrence.due == date(2024, 3, 1)


def test_again_with_several_done_windows_asks_for_one(app: App) -> None:
    done(app, Selector(IRK, "1.5", due=date(2023, 3, 1)), date(2024, 1, 10))
    done(app, Selector(IRK, "1.5", due=date(2024, 3, 1)), date(2024, 1, 10))
    message = refusal(AmbiguousOccurrenceError, lambda: choose(
        app, Selector(IRK, "1.5"), date(2024, 1, 10), again=True))
    assert message == (
        "Выполнено несколько сроков задачи 1.5 (imcro); выберите один: "
        "--due 2023-03-01, --due 2024-03-01"
    )
    picked = choose(app, Selector(IRK, "1.5", due=date(2023, 3, 1)), date(2024, 1, 10),
                    again=True)
    assert picked.due == date(2023, 3, 1) and picked.done


def test_a_first_completion_supersedes_nothing(app: App) -> None:
    with write_session(app.sessions) as session:
        recorded = mark_done(session, on(date(2024, 2, 15)), Selector(IRK, "1.2"),
                             by="ivanova", at=AT, url=URL, again=True)
    assert recorded.supersedes_id is None and recorded.note is None


# ---------------------------------------------------------------- --due, occurrence


def test_due_picks_a_future_window(app: App) -> None:
    target = choose(app, Selector(IRK, "1.5", due=date(2025, 3, 1)), date(2023, 1, 1))
    assert target.due == date(2025, 3, 1)


def test_an_unknown_due_lists_the_windows(app: App) -> None:
    message = refusal(NotFoundError, lambda: choose(
        app, Selector(IRK, "1.5", due=date(2024, 3, 2)), date(2024, 1, 10)))
    assert message == (
        "У задачи 1.5 (imcro) нет срока 2024-03-02 (может быть, «2024-03-01», «2025-03-01», "
        "«2023-03-01»?); есть: 2023-03-01, 2024-03-01, 2025-03-01"
    )


def test_an_occurrence_id_picks_that_occurrence(app: App) -> None:
    future = choose(app, Selector(IRK, "1.5", due=date(2025, 3, 1)), date(2023, 1, 1))
    picked = choose(app, Selector(IRK, "1.5", occurrence=future.id), date(2023, 1, 1))
    assert picked == future
    message = refusal(NotFoundError, lambda: choose(
        app, Selector(IRK, "1.2", occurrence=future.id), date(2023, 1, 1)))
    assert message == "У задачи 1.2 плана test-irk нет такого действующего срока"


def test_an_occurrence_id_that_is_done_needs_again(app: App) -> None:
    target = choose(app, Selector(IRK, "1.2"), date(2024, 2, 15))
    done(app, Selector(IRK, "1.2", occurrence=target.id), date(2024, 2, 15))
    with pytest.raises(AlreadyDoneError):
        choose(app, Selector(IRK, "1.2", occurrence=target.id), date(2024, 2, 15))
    assert choose(app, Selector(IRK, "1.2", occurrence=target.id), date(2024, 2, 15),
                  again=True).done


# ---------------------------------------------------------------- whose occurrence


def test_a_fanned_out_task_names_the_organisations_and_the_party(app: App) -> None:
    message = refusal(AmbiguousOccurrenceError, lambda: choose(
        app, Selector(IRK, "1.1"), date(2023, 1, 15)))
    assert message == (
        "Задачу 1.1 выполняет каждая организация: укажите --org (school-1, school-2, school-3)"
        "; или --party (imcro)"
    )
    only_schools = refusal(AmbiguousOccurrenceError, lambda: choose(
        app, Selector(IRK, "1.1", party="oo"), date(2023, 1, 15)))
    assert only_schools == (
        "Задачу 1.1 выполняет каждая организация: укажите --org (school-1, school-2, school-3)"
    )


def test_an_organisation_picks_its_own_occurrence(app: App) -> None:
    target = choose(app, Selector(IRK, "1.1", org="school-2"), date(2023, 1, 15))
    assert (target.party, target.org, target.due) == ("oo", "school-2", date(2023, 1, 31))
    assert target.unit == "oo/school-2"
    assert target.describe() == "1.1 (oo/school-2), срок 2023-01-31"
    both = choose(app, Selector(IRK, "1.1", org="school-3", party="oo"), date(2023, 1, 15))
    assert both.org == "school-3"


def test_a_party_the_task_is_not_given_to(app: App) -> None:
    message = refusal(NotFoundError, lambda: choose(
        app, Selector(IRK, "1.1", party="imcr"), date(2023, 1, 15)))
    assert message == (
        "Задача 1.1 не поручена стороне «imcr» (может быть, «imcro»?); есть: imcro, oo"
    )


def test_an_organisation_the_task_is_not_given_to(app: App) -> None:
    message = refusal(NotFoundError, lambda: choose(
        app, Selector(IRK, "1.2", org="school-1"), date(2024, 2, 15)))
    assert message == "Задача 1.2 не поручена организации «school-1»"
    party_only = refusal(NotFoundError, lambda: choose(
        app, Selector(IRK, "1.1", party="imcro", org="school-1"), date(2023, 1, 15)))
    assert party_only == "Задача 1.1 не поручена организации «school-1»"


# ---------------------------------------------------------------- mark_done


def test_mark_done_wants_exactly_one_of_file_or_link(app: App) -> None:
    evidence = Evidence("a" * 64, "prikaz.pdf", 10, "application/pdf")
    for kwargs in ({}, {"url": URL, "evidence": evidence}):
        with write_session(app.sessions) as session:
            message = refusal(UsageError, lambda kw=kwargs: mark_done(  # type: ignore[misc]
                session, on(date(2024, 2, 15)), Selector(IRK, "1.2"), by="x", at=AT, **kw))
        assert message == "Нужно одно из двух: файл-доказательство или ссылка"


def test_mark_done_refuses_a_link_that_is_not_http(app: App) -> None:
    with write_session(app.sessions) as session, pytest.raises(EvidenceError):
        mark_done(session, on(date(2024, 2, 15)), Selector(IRK, "1.2"), by="x", at=AT,
                  url="ftp://example.org/x")


# ---------------------------------------------------------------- reopen


def reopen_(app: App, sel: Selector, reason: str = "не тот документ") -> Recorded:
    with write_session(app.sessions) as session:
        return reopen(session, on(date(2024, 2, 20)), sel, by="petrova", at=AT, reason=reason)


def test_reopen_supersedes_the_current_done(app: App) -> None:
    first = done(app, Selector(IRK, "1.2"), date(2024, 2, 15))
    later = datetime(2024, 2, 20, 3, 0, tzinfo=UTC)
    with write_session(app.sessions) as session:
        recorded = reopen(session, on(date(2024, 2, 20)), Selector(IRK, "1.2"), by="petrova",
                          at=later, reason="не тот документ")
    assert recorded.completion_id > first
    assert (recorded.action, recorded.at, recorded.by, recorded.note, recorded.url) == (
        "reopen", later, "petrova", "не тот документ", None)
    assert (recorded.evidence, recorded.supersedes_id) == (None, first)
    assert recorded.occurrence.due == date(2024, 3, 1)
    # Open again: done picks it, not done already.
    assert not choose(app, Selector(IRK, "1.2"), date(2024, 2, 21)).done


def test_reopen_wants_a_reason(app: App) -> None:
    done(app, Selector(IRK, "1.2"), date(2024, 2, 15))
    message = refusal(UsageError, lambda: reopen_(app, Selector(IRK, "1.2"), reason="  "))
    assert message == "Укажите причину (--reason)"


def test_reopen_of_nothing_done(app: App) -> None:
    message = refusal(NotDoneError, lambda: reopen_(app, Selector(IRK, "1.2")))
    assert message == "Задача 1.2 (imcro): нет сроков, отмеченных выполненными"
    with_due = refusal(NotDoneError, lambda: reopen_(
        app, Selector(IRK, "1.2", due=date(2024, 3, 1))))
    assert with_due == "1.2 (imcro), срок 2024-03-01: не отмечено выполненным"


def test_reopen_with_several_done_windows_asks_for_one(app: App) -> None:
    d23 = done(app, Selector(IRK, "1.5", due=date(2023, 3, 1)), date(2024, 1, 10))
    done(app, Selector(IRK, "1.5", due=date(2024, 3, 1)), date(2024, 1, 10))
    message = refusal(AmbiguousOccurrenceError, lambda: reopen_(app, Selector(IRK, "1.5")))
    assert message == (
        "Выполнено несколько сроков задачи 1.5 (imcro); выберите один: "
        "--due 2023-03-01, --due 2024-03-01"
    )
    recorded = reopen_(app, Selector(IRK, "1.5", due=date(2023, 3, 1)))
    assert recorded.supersedes_id == d23
    assert recorded.occurrence.due == date(2023, 3, 1)
    # One done window left: reopen without --due takes it.
    last = reopen_(app, Selector(IRK, "1.5"))
    assert last.occurrence.due == date(2024, 3, 1)


def test_reopen_by_occurrence_id(app: App) -> None:
    target = choose(app, Selector(IRK, "1.5", due=date(2024, 3, 1)), date(2024, 1, 10))
    done(app, Selector(IRK, "1.5", occurrence=target.id), date(2024, 1, 10))
    done(app, Selector(IRK, "1.5", due=date(2023, 3, 1)), date(2024, 1, 10))
    recorded = reopen_(app, Selector(IRK, "1.5", occurrence=target.id))
    assert recorded.occurrence.id == target.id
    again = refusal(NotDoneError, lambda: reopen_(app, Selector(IRK, "1.5",
                                                                 occurrence=target.id)))
    assert again == "1.5 (imcro), срок 2024-03-01: не отмечено выполненным"


def test_a_task_whose_occurrences_are_all_withdrawn(app: App) -> None:
    with write_session(app.sessions) as session:
        task = session.scalars(
            select(TaskRow).join(PlanRow, PlanRow.id == TaskRow.plan_id)
            .where(PlanRow.code == IRK, TaskRow.code == "1.2")
        ).one()
        session.execute(update(OccurrenceRow).where(OccurrenceRow.task_id == task.id)
                        .values(withdrawn_at=AT))
    message = refusal(NotFoundError, lambda: choose(app, Selector(IRK, "1.2"), date(2024, 2, 15)))
    assert message == "У задачи 1.2 плана test-irk нет действующих сроков"
    # The other plan's task of the same id is untouched.
    assert choose(app, Selector("test-msk", "1.2"), date(2024, 2, 15)).plan == "test-msk"


def test_done_without_again_refuses_a_done_occurrence(app: App) -> None:
    done(app, Selector(IRK, "1.2"), date(2024, 2, 15))
    with app.sessions() as session, pytest.raises(AlreadyDoneError):
        choose_for_done(session, on(date(2024, 2, 16)), Selector(IRK, "1.2"))


def test_today_is_the_plans_own(app: App) -> None:
    todays = {"Asia/Irkutsk": date(2023, 3, 1), "Europe/Moscow": date(2023, 3, 2)}
    with app.sessions() as session:
        picked = choose_for_done(session, todays.__getitem__, Selector(IRK, "1.5"))
    assert picked.due == date(2023, 3, 1)
    with app.sessions() as session, pytest.raises(AmbiguousOccurrenceError):
        choose_for_done(session, todays.__getitem__, Selector("test-msk", "1.5"))


def test_a_future_window_done_early_is_neither_the_done_one_nor_the_next(app: App) -> None:
    today = date(2023, 1, 10)  # only the 2023 window of 1.5 has begun
    done(app, Selector(IRK, "1.5"), today)
    done(app, Selector(IRK, "1.5", due=date(2024, 3, 1)), today)
    message = refusal(AlreadyDoneError, lambda: choose(app, Selector(IRK, "1.5"), today))
    assert message == (
        "1.5 (imcro), срок 2023-03-01: уже отмечено выполненным (2024-02-15 10:30, ivanova); "
        "чтобы отметить заново, добавьте --again; следующий срок 2025-03-01: --due 2025-03-01"
    )
    assert choose(app, Selector(IRK, "1.5"), today, again=True).due == date(2023, 3, 1)


def test_done_after_a_reopen_supersedes_nothing(app: App) -> None:
    done(app, Selector(IRK, "1.2"), date(2024, 2, 15))
    reopen_(app, Selector(IRK, "1.2"))
    with write_session(app.sessions) as session:
        recorded = mark_done(session, on(date(2024, 2, 21)), Selector(IRK, "1.2"), by="x",
                             at=AT, url=URL)
    assert recorded.supersedes_id is None


def test_reopen_with_due_takes_that_window(app: App) -> None:
    done(app, Selector(IRK, "1.5", due=date(2023, 3, 1)), date(2024, 1, 10))
    d24 = done(app, Selector(IRK, "1.5", due=date(2024, 3, 1)), date(2024, 1, 10))
    recorded = reopen_(app, Selector(IRK, "1.5", due=date(2024, 3, 1)))
    assert (recorded.occurrence.due, recorded.supersedes_id) == (date(2024, 3, 1), d24)


def test_a_loosely_close_party_is_suggested(app: App) -> None:
    message = refusal(NotFoundError, lambda: choose(
        app, Selector(IRK, "1.1", party="im"), date(2023, 1, 15)))
    assert message == "Задача 1.1 не поручена стороне «im» (может быть, «imcro»?); есть: imcro, oo"
