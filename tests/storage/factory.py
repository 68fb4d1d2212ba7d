"""A small plan built in Python, for the storage tests.

The plan (``test-plan``, period 2023–2024) has two parties — ``imcro`` and
``oo``, the latter standing for the three schools of register ``test-orgs``
— and four tasks whose windows are explicit, so no deadline phrase has to be
read:

========  =====================  ============  ================================
task      schedule               parties       occurrences
========  =====================  ============  ================================
1.1       2 windows              imcro, oo     2 × (1 + 3 schools) = 8
1.2       on demand              imcro         1
1.3       no deadline            oo            3 (undated)
2.1       1 window               imcro         1
========  =====================  ============  ================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from roadmap.model import (
    Organisation,
    Party,
    Period,
    Plan,
    Register,
    Responsibility,
    Schedule,
    Section,
    Task,
    Window,
)

NOW = datetime(2024, 3, 1, 2, 30, tzinfo=UTC)
TOTAL = 13


@dataclass
class FakeCatalog:
    plans: dict[str, Plan] = field(default_factory=dict)
    registers: dict[str, Register] = field(default_factory=dict)


def make_register(orgs: tuple[str, ...] = ("school-1", "school-2", "school-3")) -> Register:
    return Register(
        "test-orgs",
        "Школы (пример)",
        tuple(Organisation(code, f"МБОУ СОШ {code}") for code in orgs),
        example=True,
    )


def task(
    task_id: str,
    parties: tuple[str, ...],
    *,
    windows: tuple[Window, ...] = (),
    on_demand: bool = False,
    deadline: str | None = "по плану",
    activity: str | None = None,
) -> Task:
    schedule = None
    if windows or on_demand:
        schedule = Schedule(windows=windows, on_demand=on_demand, why="test")
    return Task(
        id=task_id,
        number=task_id,
        section=task_id.split(".")[0],
        activity=activity or f"Мероприятие {task_id}",
        deadline=deadline,
        responsible=Responsibility(", ".join(parties), parties),
        result=f"Отчёт {task_id}",
        schedule=schedule,
    )


def make_plan(plan_id: str = "test-plan", tasks: tuple[Task, ...] | None = None) -> Plan:
    if tasks is None:
        tasks = (
            task(
                "1.1",
                ("imcro", "oo"),
                windows=(
                    Window(date(2023, 1, 1), date(2023, 2, 28)),
                    Window(date(2024, 1, 1), date(2024, 2, 29)),
                ),
                deadline="Ежегодно январь, февраль",
            ),
            task("1.2", ("imcro",), on_demand=True, deadline="по мере необходимости"),
            task("1.3", ("oo",), deadline=None),
            task("2.1", ("imcro",), windows=(Window(None, date(2023, 10, 28)),)),
        )
    sections: dict[str, list[Task]] = {}
    for t in tasks:
        sections.setdefault(t.section, []).append(t)
    return Plan(
        id=plan_id,
        title="Тестовый план",
        authority="Департамент образования (пример)",
        period=Period(date(2023, 1, 1), date(2024, 12, 31)),
        timezone="Asia/Irkutsk",
        parties=(
            Party("imcro", "МКУ ИМЦРО"),
            Party("oo", "Образовательные организации", register="test-orgs"),
        ),
        sections=tuple(
            Section(sid, f"{sid}.", f"Раздел {sid}", tuple(ts)) for sid, ts in sections.items()
        ),
    )


def replace_task(plan: Plan, task_id: str, **changes: Any) -> Plan:
    """``plan`` with one task changed (``dataclasses.replace`` arguments)."""
    sections = tuple(
        dataclasses.replace(
            s,
            tasks=tuple(
                dataclasses.replace(t, **changes) if t.id == task_id else t for t in s.tasks
            ),
        )
        for s in plan.sections
    )
    return dataclasses.replace(plan, sections=sections)


def catalog(plan: Plan | None = None, register: Register | None = None) -> FakeCatalog:
    plan = plan or make_plan()
    register = register or make_register()
    return FakeCatalog({plan.id: plan}, {register.id: register})
