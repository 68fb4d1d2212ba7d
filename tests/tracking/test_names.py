"""Names a curator types for a plan, a task, a party and an organisation,
and the choices a refusal lists: a task by its number with or without
punctuation, a task given to two parties, a register too long to list."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from roadmap.app import App
from roadmap.errors import NotFoundError
from roadmap.storage.db import write_session
from roadmap.tracking import (
    AmbiguousOccurrenceError,
    NotDoneError,
    Selector,
    StatusFilter,
    Target,
    check_filter,
    choose_for_done,
    mark_done,
    plan_row,
    plans_loaded,
    status,
    task_number_key,
)
from roadmap.tracking import reopen as reopen_core
from tests.fixtures import MakeApp

PLAN_ID = "names-city"
FILLERS = "".join(
    f"""      - id: f{i:02d}
        number: "9.{i}"
        activity: Мероприятие {i}
        deadline: null
        responsible: {{text: МКУ ИМЦРО, parties: [imcro]}}
"""
    for i in range(6, 21)
)
PLAN = f"""\
kind: plan
id: {PLAN_ID}
title: План (пример)
authority: Управление образования (пример)
period: {{start: 2023-01-01, end: 2024-12-31}}
timezone: Europe/Moscow
parties:
  - id: imcro
    name: МКУ ИМЦРО
    aliases: [ИМЦРО]
  - id: uo
    name: Управление образования
    aliases: [УО]
  - id: oo
    name: Образовательные организации
    register: names-schools
sections:
  - id: "1"
    title: Раздел
    tasks:
      - id: both
        activity: Совместное совещание
        deadline: в срок до 1 марта 2024 года
        responsible: {{text: "ИМЦРО, УО", parties: [imcro, uo]}}
      - id: order-3.1
        number: "3.1)"
        activity: Приказ
        deadline: в срок до 1 апреля 2024 года
        responsible: {{text: ИМЦРО, parties: [imcro]}}
      - id: "3.1.1"
        number: "3.1."
        activity: Положение
        deadline: в срок до 1 мая 2024 года
        responsible: {{text: ИМЦРО, parties: [imcro]}}
      - id: schools
        number: "2."
        activity: Отчёт каждой школы
        deadline: в срок до 1 июня 2024 года
        responsible: {{text: ОО, parties: [oo]}}
      - id: annual
        number: "4.1)"
        activity: Ежегодный приказ
        deadline: Ежегодно январь
        responsible: {{text: ИМЦРО, parties: [imcro]}}
{FILLERS}"""
SCHOOLS = [f"s{i:02d}" for i in range(1, 22)]
REGISTER = "kind: register\nid: names-schools\ntitle: Школы (пример)\nexample: true\n" \
    "organisations:\n" + "".join(
        f"  - id: {s}\n    name: МБОУ СОШ № {int(s[1:])} (пример)\n" for s in SCHOOLS)
TODAY = date(2024, 2, 1)
TASKS = ["both", "order-3.1", "3.1.1", "schools", "annual",
         *(f"f{i:02d}" for i in range(6, 21))]


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {f"{PLAN_ID}.yaml": PLAN, "orgs/names-schools.yaml": REGISTER}


@pytest.fixture
def app(loaded: Path, make_app: MakeApp) -> App:
    return make_app()


def choose(app: App, task: str, today: date = TODAY, again: bool = False,
           **sel: object) -> Target:
    with app.sessions() as session:
        return choose_for_done(session, lambda _zone: today,
                               Selector(PLAN_ID, task, **sel),  # type: ignore[arg-type]
                               again=again)


def refusal(error: type[Exception], app: App, task: str, *, reopen: bool = False,
            **sel: object) -> str:
    """The message of ``done`` (``reopen`` if asked) refused with ``error``."""
    with pytest.raises(error) as caught:
        if reopen:
            with write_session(app.sessions) as session:
                reopen_core(session, lambda _zone: TODAY,
                            Selector(PLAN_ID, task, **sel),  # type: ignore[arg-type]
                            by="x", at=datetime(2024, 2, 1, 9, 0, tzinfo=UTC), reason="r")
        else:
            choose(app, task, **sel)  # type: ignore[arg-type]
    return str(caught.value)


@pytest.mark.parametrize(
    ("given", "task"),
    [
        ("both", "both"),  # the id
        ("BOTH ", "both"),  # an id without digits, in other case
        ("3.1)", "order-3.1"),  # the number as printed
        ("3.1.", "3.1.1"),  # … which another task's number looks like without punctuation
        ("3.1", "order-3.1"),  # two numbers read «3.1»: the id decides
        ("п. 3.1.1", "3.1.1"),
        ("2", "schools"),
        ("9.7", "f07"),
        ("4.1", "annual"),
    ],
)
def test_a_task_by_its_id_or_number(app: App, given: str, task: str) -> None:
    with app.sessions() as session:
        flt = check_filter(session, StatusFilter(plan=PLAN_ID, task=given))
    assert flt.task == task


def test_an_unknown_task_lists_every_task_of_the_plan(app: App) -> None:
    for given in ("zzz", " "):
        message = refusal(NotFoundError, app, given)
        assert message == f"Нет задачи «{given}» в плане {PLAN_ID}; есть: " + ", ".join(TASKS)


def test_a_close_task_id_is_suggested(app: App) -> None:
    message = refusal(NotFoundError, app, "bath")
    assert message.startswith(f"Нет задачи «bath» в плане {PLAN_ID} (может быть, «both»?); есть: ")


def test_a_task_of_two_parties_needs_one(app: App) -> None:
    message = refusal(AmbiguousOccurrenceError, app, "both")
    assert message == "Задача both поручена нескольким сторонам: укажите --party (imcro, uo)"
    target = choose(app, "both", party="uo")
    assert (target.party, target.describe()) == ("uo", "both (uo), срок 2024-03-01")


def test_a_long_register_is_cut_after_twenty(app: App) -> None:
    message = refusal(AmbiguousOccurrenceError, app, "schools")
    assert message == (
        "Задачу 2. выполняет каждая организация: укажите --org ("
        + ", ".join(SCHOOLS[:20]) + ", …)"
    )


def test_a_party_and_an_organisation_by_name(app: App) -> None:
    with app.sessions() as session:
        flt = check_filter(session, StatusFilter(plan=PLAN_ID, party="UO", org="МБОУ СОШ № 21"))
    assert (flt.party, flt.org) == ("uo", "s21")
    with app.sessions() as session:
        no_plan = check_filter(session, StatusFilter(task="3.1", party="Imcro"))
    assert (no_plan.task, no_plan.party) == ("3.1", "imcro")


def test_status_checks_the_filter_first(app: App) -> None:
    with app.sessions() as session:
        rows = status(session, lambda _zone: TODAY, StatusFilter(plan=PLAN_ID, task="3.1)"))
        assert [(r.task, r.number) for r in rows] == [("order-3.1", "3.1)")]
        with pytest.raises(NotFoundError, match="Нет стороны «ум»"):
            status(session, lambda _zone: TODAY, StatusFilter(party="ум"))


def test_done_by_number_records_against_the_task(app: App) -> None:
    with write_session(app.sessions) as session:
        recorded = mark_done(session, lambda _zone: TODAY, Selector(PLAN_ID, "3.1"), by="x",
                             at=datetime(2024, 2, 1, 9, 0, tzinfo=UTC), url="https://e.org/a")
    assert (recorded.occurrence.task, recorded.occurrence.number) == ("order-3.1", "3.1)")


def test_plans_loaded_and_an_unknown_plan(app: App) -> None:
    with app.sessions() as session:
        assert plans_loaded(session)
        with pytest.raises(NotFoundError) as caught:
            plan_row(session, "names-sity")
        assert str(caught.value) == (
            "Нет плана «names-sity» (может быть, «names-city»?); есть: names-city")
        assert plan_row(session, PLAN_ID).code == PLAN_ID


def test_before_any_load(make_app: MakeApp) -> None:
    app = make_app()
    with app.sessions() as session:
        assert not plans_loaded(session)
        with pytest.raises(NotFoundError) as caught:
            plan_row(session, PLAN_ID)
    assert str(caught.value) == f"Нет плана «{PLAN_ID}»; планы не загружены (roadmap load)"


@pytest.mark.parametrize(
    ("text", "key"),
    [("3.1)", "3.1"), ("3.1.", "3.1"), ("п. 3.1", "3.1"), ("order-3.1", "3.1"),
     ("2024 год, 3.10", "3.10"), (" Итог ", "итог"), ("", "")],
)
def test_task_number_key(text: str, key: str) -> None:
    assert task_number_key(text) == key


def done(app: App, task: str, today: date = TODAY, **sel: object) -> int:
    with write_session(app.sessions) as session:
        return mark_done(session, lambda _zone: today,
                         Selector(PLAN_ID, task, **sel),  # type: ignore[arg-type]
                         by="x", at=datetime(2024, 2, 1, 9, 0, tzinfo=UTC),
                         url="https://e.org/a").completion_id


def test_messages_name_a_task_by_its_number(app: App) -> None:
    open_two = refusal(AmbiguousOccurrenceError, app, "annual")
    assert open_two == (
        "Открыто несколько сроков задачи 4.1) (imcro); выберите один: "
        "--due 2023-01-31, --due 2024-01-31"
    )
    not_yet = refusal(NotDoneError, app, "annual", today=date(2022, 12, 1))
    assert not_yet == (
        "Задача 4.1) (imcro): открытых сроков нет; ближайший срок 2023-01-31 "
        "(начало 2023-01-01) — чтобы отметить его, укажите --due 2023-01-31"
    )
    no_such_due = refusal(NotFoundError, app, "order-3.1", due=date(2024, 4, 2))
    assert no_such_due == (
        "У задачи 3.1) (imcro) нет срока 2024-04-02 (может быть, «2024-04-01»?); есть: 2024-04-01"
    )
    nothing_done = refusal(NotDoneError, app, "annual", reopen=True)
    assert nothing_done == "Задача 4.1) (imcro): нет сроков, отмеченных выполненными"
    done(app, "annual", due=date(2023, 1, 31))
    done(app, "annual", due=date(2024, 1, 31))
    again = refusal(AmbiguousOccurrenceError, app, "annual", again=True)
    assert again == (
        "Выполнено несколько сроков задачи 4.1) (imcro); выберите один: "
        "--due 2023-01-31, --due 2024-01-31"
    )
    assert refusal(AmbiguousOccurrenceError, app, "annual", reopen=True) == again


def test_messages_name_a_task_without_a_number_by_its_id(app: App) -> None:
    nothing_done = refusal(NotDoneError, app, "both", party="uo", reopen=True)
    assert nothing_done == "Задача both (uo): нет сроков, отмеченных выполненными"
    no_such_due = refusal(NotFoundError, app, "both", party="uo", due=date(2024, 3, 2))
    assert no_such_due == (
        "У задачи both (uo) нет срока 2024-03-02 (может быть, «2024-03-01»?); есть: 2024-03-01"
    )


def test_the_three_closest_task_ids_are_suggested(app: App) -> None:
    message = refusal(NotFoundError, app, "f1")
    assert message.startswith(
        f"Нет задачи «f1» в плане {PLAN_ID} (может быть, «f19», «f18», «f17»?); есть: ")
