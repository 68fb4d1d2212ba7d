"""``roadmap load``, ``roadmap plans``, ``roadmap show``: store plans and look at them.

Each command calls :mod:`roadmap.storage.repository` in one unit of work
and formats the result; the formatting helpers below are the only text.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from roadmap.app import App
from roadmap.cli.root import main, pass_app
from roadmap.formats import human_date, render_table, terminal_width
from roadmap.i18n import _
from roadmap.plans import Stored, read_catalog
from roadmap.storage.carrying import describe_unit, due_label, refuse_undecided
from roadmap.storage.db import write_session
from roadmap.storage.health import ensure_intact
from roadmap.storage.repository import (
    LoadReport,
    PlanChanges,
    PlanSummary,
    PlanView,
    RegisterChanges,
    TaskView,
    get_plan_view,
    list_plans,
    load_catalog,
    stored_names,
)

FORMATS = click.Choice(["table", "json"])


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--carry/--no-carry",
    default=None,
    help="Переносить ли отметки о выполнении со снятых сроков на новые, когда пара неясна "
    "(по умолчанию переносятся только несомненные, а при неясных загрузка отменяется).",
)
@click.option("--dry-run", is_flag=True, help="Показать, что изменится, ничего не записывая.")
@pass_app
def load(app: App, paths: tuple[Path, ...], carry: bool | None, dry_run: bool) -> None:
    """Загрузить (или обновить) планы и реестры в базу: PATH — файлы или каталоги.

    Отметки о выполнении неизменённых сроков сохраняются; исчезнувшие сроки
    снимаются, но их история остаётся. Если исправленный срок заменил
    выполненный, отметка переносится на новый срок (новой записью,
    которая ссылается на прежнюю)."""
    catalog = read_catalog(list(paths), strict=False, stored=lambda: stored(app))
    for problem in catalog.warnings:
        click.echo(str(problem), err=True)
    ensure_intact(app.engine)  # never write into a damaged file
    with write_session(app.sessions) as session:
        report = load_catalog(session, catalog, app.clock.now(), carry=carry)
        if not dry_run:
            refuse_undecided(report.undecided)
        else:
            session.rollback()  # a preview: the same work, nothing kept
    if dry_run:
        click.echo(_("Пробный прогон: ничего не записано"))
    for line in describe_load(report):
        click.echo(line)


def stored(app: App) -> Stored:
    """The plans and registers already loaded (asked only when a file
    names a parent or register that is not among the files)."""
    with app.sessions() as session:
        return stored_names(session)


@main.command("plans")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_app
def plans_command(app: App, fmt: str) -> None:
    """Список загруженных планов: срок действия, задачи, сроки."""
    with app.sessions() as session:
        summaries = list_plans(session)
    if fmt == "json":
        click.echo(_json([summary_to_json(s) for s in summaries]))
    elif not summaries:
        click.echo(_("Планы не загружены (roadmap load PATH)"))
    else:
        click.echo(plans_table(summaries))


@main.command()
@click.argument("plan")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@pass_app
def show(app: App, plan: str, fmt: str) -> None:
    """Показать план: задачи, сроки в тексте источника и понятые даты, показатели."""
    with app.sessions() as session:
        view = get_plan_view(session, plan)
    if fmt == "json":
        click.echo(_json(plan_to_json(view)))
    else:
        click.echo("\n".join(describe_plan(view)))


# ---------------------------------------------------------------- formatting


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def describe_load(report: LoadReport) -> Iterator[str]:
    """One line per register and plan: what the load did."""
    for reg in report.registers:
        yield _("Реестр {id}: {what}").format(id=reg.register, what=_register_change(reg))
    for plan in report.plans:
        yield _("План {id}: {what}").format(id=plan.plan, what=_plan_change(plan))
        for c in plan.carried:
            yield "  " + _(
                "{unit}: отметка о выполнении ({by}) перенесена со срока {old} на {new}"
            ).format(
                unit=describe_unit(c.task, c.party, c.org), by=c.by,
                old=due_label(c.old_due), new=due_label(c.new_due),
            )
        for u in plan.undecided:
            yield "  " + _(
                "{unit}: снятый срок {old} был выполнен; перенос неясен (новые сроки: {new})"
            ).format(
                unit=describe_unit(u.task, u.party, u.org), old=due_label(u.old_due),
                new=", ".join(due_label(d) for d in u.choices),
            )
    if not report.registers and not report.plans:
        yield _("Нечего загружать")


def _register_change(reg: RegisterChanges) -> str:
    if not reg.changed:
        return _("без изменений")
    if reg.new:
        return _("новый, организаций {n}").format(n=len(reg.organisations_added))
    parts = [_("описание изменено")] if reg.details_changed else []
    for label, codes in (
        (_("организации добавлены"), reg.organisations_added),
        (_("изменены"), reg.organisations_changed),
        (_("сняты"), reg.organisations_withdrawn),
    ):
        if codes:
            parts.append(f"{label}: {', '.join(codes)}")
    return "; ".join(parts)


def _plan_change(plan: PlanChanges) -> str:
    if not plan.changed:
        return _("без изменений")
    if plan.new:
        return _("новый, сроков {n}").format(n=plan.occurrences_added)
    parts = [_("описание изменено")] if plan.details_changed else []
    for label, codes in (
        (_("задачи добавлены"), plan.tasks_added),
        (_("задачи изменены"), plan.tasks_changed),
        (_("задачи сняты"), plan.tasks_withdrawn),
    ):
        if codes:
            parts.append(f"{label}: {', '.join(codes)}")
    counts = [
        (_("добавлено"), plan.occurrences_added),
        (_("изменено"), plan.occurrences_changed),
        (_("снято"), plan.occurrences_withdrawn),
        (_("восстановлено"), plan.occurrences_revived),
    ]
    if any(n for _label, n in counts):
        listed = ", ".join(f"{label} {n}" for label, n in counts if n)
        parts.append(_("сроки: {counts}").format(counts=listed))
    return "; ".join(parts)


def summary_to_json(summary: PlanSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "title": summary.title,
        "period": {
            "start": summary.period_start.isoformat(),
            "end": summary.period_end.isoformat(),
        },
        "timezone": summary.timezone,
        "tasks": summary.tasks,
        "occurrences": summary.occurrences,
    }


def plans_table(summaries: list[PlanSummary]) -> str:
    header = (_("План"), _("Название"), _("Период"), _("Задачи"), _("Сроки"))
    rows = [
        (
            s.id,
            s.title,
            f"{human_date(s.period_start)} — {human_date(s.period_end)}",
            str(s.tasks),
            str(s.occurrences),
        )
        for s in summaries
    ]
    return render_table(header, rows, (40, None, 12, 6, 6), right=(3, 4))


def _windows_json(task: TaskView) -> list[dict[str, str | None]]:
    return [
        {"start": w.start.isoformat() if w.start else None, "due": w.due.isoformat()}
        for w in task.occurrences
    ]


def plan_to_json(view: PlanView) -> dict[str, Any]:
    """The ``roadmap show --format json`` object."""
    return {
        "id": view.id,
        "title": view.title,
        "authority": view.authority,
        "period": {"start": view.period_start.isoformat(), "end": view.period_end.isoformat()},
        "timezone": view.timezone,
        "school_years": view.school_years,
        "parent": view.parent,
        "parties": [{"id": k, "name": v} for k, v in view.parties.items()],
        "tasks": [
            {
                "id": t.id,
                "number": t.number,
                "section": t.section,
                "activity": t.activity,
                "deadline": t.deadline,
                "responsible": t.responsible,
                "co_responsible": t.co_responsible,
                "parties": list(t.parties),
                "result": t.result,
                "occurrences": _windows_json(t),
                "on_demand": t.on_demand,
                "undated": t.undated,
            }
            for t in view.tasks
        ],
        "indicators": [
            {
                "id": i.id,
                "name": i.name,
                "unit": i.unit,
                "kind": i.kind,
                "who_reports": i.who_reports,
                "activity": i.activity,
                "targets": {str(y): v for y, v in i.targets.items()},
            }
            for i in view.indicators
        ],
    }


def _dates(task: TaskView, limit: int = 4) -> str:
    if task.occurrences:
        shown = [
            f"{human_date(w.start)}–{human_date(w.due)}" if w.start else human_date(w.due)
            for w in task.occurrences[:limit]
        ]
        more = len(task.occurrences) - limit
        if more > 0:
            shown.append(_("ещё {n}").format(n=more))
        return ", ".join(shown)
    if task.on_demand:
        return _("по мере необходимости")
    return _("срок не указан")


def _lines(text: str, first: str, rest: str, width: int) -> list[str]:
    """``text`` wrapped to ``width``, the first line after ``first``."""
    return textwrap.wrap(
        " ".join(text.split()), width=max(width, 30), initial_indent=first,
        subsequent_indent=rest, break_on_hyphens=False,
    ) or [first.rstrip()]


def describe_plan(view: PlanView, width: int | None = None) -> Iterator[str]:
    """The human form of ``roadmap show``: long texts wrap to ``width``
    (the terminal's), nothing is cut."""
    width = width or terminal_width()
    yield from _lines(f"{view.id} — {view.title}", "", "", width)
    yield from _lines(view.authority, "", "", width)
    yield _("Период: {start} — {end} ({zone})").format(
        start=human_date(view.period_start), end=human_date(view.period_end), zone=view.timezone
    )
    section = None
    pad = "      "
    for task in view.tasks:
        if task.section != section:
            section = task.section
            yield ""
            yield from _lines(task.section_title, "", "", width)
        number = f"  {task.number or task.id}  "
        yield from _lines(task.activity, number, " " * len(number), width)
        yield from _lines(
            _("Срок: {text} → {dates}").format(text=task.deadline or "—", dates=_dates(task)),
            pad, pad + "  ", width,
        )
        yield from _lines(
            _("Ответственные: {text}").format(text=task.responsible), pad, pad + "  ", width
        )
        if task.result:
            yield from _lines(_("Результат: {text}").format(text=task.result), pad, pad + "  ",
                              width)
    if view.indicators:
        yield ""
        yield _("Показатели")
        for ind in view.indicators:
            targets = ", ".join(f"{y}: {v}" for y, v in ind.targets.items())
            unit = f" ({ind.unit})" if ind.unit else ""
            yield f"  {ind.name}{unit} [{ind.kind}]: {targets}"
