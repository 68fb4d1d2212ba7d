"""``roadmap status``, ``done``, ``reopen``, ``history``, ``evidence verify``:
the curator's side of tracking.

Each command parses its options, calls :mod:`roadmap.tracking` in one unit
of work and formats the result with :mod:`roadmap.formats` and
:mod:`roadmap.cli.output`.
"""

from __future__ import annotations

import getpass
import os
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from roadmap.app import App, Clock
from roadmap.cli.output import echo_csv, echo_json, emit_binary, output_option
from roadmap.cli.params import DATE, ExistingFile, today_option
from roadmap.cli.root import main, pass_app
from roadmap.cli.spreadsheets import history_workbook, status_workbook
from roadmap.evidence import Evidence, VerifyReport
from roadmap.files import FileWriteError, ensure_dir, write_atomic
from roadmap.formats import human_date, render_listing, terminal_width
from roadmap.i18n import N_, _
from roadmap.indicators import expected_value_evidence, value_history
from roadmap.status import Status, status_label
from roadmap.storage.db import write_session
from roadmap.tracking import (
    HistoryEntry,
    Recorded,
    Selector,
    StatusFilter,
    StatusRow,
    choose_for_done,
    count_by_status,
    expected_evidence,
    find_evidence,
    history,
    mark_done,
    plans_loaded,
    reopen,
    status,
    stored_evidence,
    unhashed_evidence,
)

F = TypeVar("F", bound=Callable[..., Any])


def occurrence_options(func: F) -> F:
    """``--org``, ``--party``, ``--due``: which occurrence of a task."""
    for option in reversed(
        (
            click.option("--org", default=None, help="Организация (для задач каждой ОО)."),
            click.option("--party", default=None, help="Ответственная сторона."),
            click.option("--due", type=DATE, default=None, help="Срок, если открыто несколько."),
        )
    ):
        func = option(func)
    return func


def use_today(app: App, today: date | None) -> None:
    """``--today``: pin the App's clock to that plan-local date."""
    if today is not None:
        app.clock = Clock(fixed_today=today)


# ---------------------------------------------------------------- status

STATUS_FORMATS = click.Choice(["table", "json", "csv", "xlsx"])
CSV_KEYS = (
    "plan", "task", "number", "activity", "party", "party_name", "org", "org_name",
    "start", "due", "status", "days_overdue", "deadline", "result", "done_at", "done_by",
)


@main.command("status")
@click.option("--plan", default=None, help="Только этот план.")
@click.option("--party", default=None, help="Только эта сторона.")
@click.option("--org", default=None, help="Только эта организация.")
@click.option("--overdue", is_flag=True, help="Только просроченные.")
@click.option("--due-within", type=click.IntRange(min=0), default=None, metavar="N",
              help="Срок в ближайшие N дней (и просроченные).")
@click.option("--withdrawn", is_flag=True, help="Показать и снятые с плана сроки.")
@today_option
@click.option("--format", "fmt", type=STATUS_FORMATS, default="table", show_default=True)
@output_option
@pass_app
def status_command(
    app: App, plan: str | None, party: str | None, org: str | None, overdue: bool,
    due_within: int | None, withdrawn: bool, today: date | None, fmt: str, output: Path | None,
) -> None:
    """Статус сроков на сегодня (по местной дате каждого плана)."""
    use_today(app, today)
    flt = StatusFilter(plan=plan, party=party, org=org, overdue_only=overdue,
                       due_within=due_within, include_withdrawn=withdrawn,
                       due_soon_days=app.settings["lookahead_days"])
    with app.sessions() as session:
        rows = status(session, app.clock.today, flt)
        empty = not rows and not plans_loaded(session)
    if empty and fmt == "table":
        click.echo(_("Планы не загружены (roadmap load PATH)"))
    elif fmt == "json":
        echo_json([r.as_json() for r in rows])
    elif fmt == "csv":
        echo_csv(CSV_KEYS, ([r.as_json()[k] for k in CSV_KEYS] for r in rows))
    elif fmt == "xlsx":
        emit_binary(status_workbook(rows), output, fmt)
    else:
        click.echo(status_table(rows))


def _due_cell(row: StatusRow) -> str:
    if row.due is not None:
        return human_date(row.due)
    if row.status is Status.ON_DEMAND:
        return "—"  # the status column says «по запросу»
    return _("срок не указан")


STATUS_HEADERS = (
    N_("План"), N_("№"), N_("Мероприятие"), N_("Сторона"), N_("Организация"), N_("Срок"),
    N_("Статус"), N_("Дней просрочки"), N_("Документ"),
)
# Caps per column; None: free text that shrinks first on a narrow terminal.
STATUS_WIDTHS = (24, 8, None, 14, 16, 14, 21, 14, None)


def status_table(rows: list[StatusRow]) -> str:
    """The ``roadmap status`` table and its totals line."""
    if not rows:
        return _("Ничего не найдено")
    cells = [
        (r.plan, r.number or r.task, r.activity, r.party, r.org or "", _due_cell(r),
         status_label(r.status), str(r.days_overdue) if r.days_overdue else "", r.result or "")
        for r in rows
    ]
    # The plan (with --plan), the party, the organisation (with --org): said
    # once above the table when every row has the same. On a narrow
    # terminal the plan, the party, then the document go first.
    above, table = render_listing(
        [_(h) for h in STATUS_HEADERS], cells, STATUS_WIDTHS, hoist=(0, 3, 4), right=(7,),
        optional=(0, 3, 8),
    )
    totals = textwrap.fill(totals_line(count_by_status(rows), len(rows)), terminal_width())
    return "\n".join([*above, table, "", totals]) if above else table + "\n\n" + totals


def totals_line(counts: dict[Status, int], total: int) -> str:
    parts = ", ".join(f"{status_label(s)}: {n}" for s, n in counts.items())
    return _("Итого {total}: {parts}").format(total=total, parts=parts)


# ---------------------------------------------------------------- done / reopen


@main.command()
@click.argument("plan")
@click.argument("task")
@occurrence_options
@click.option("--evidence", "file", default=None, type=ExistingFile(),
              help="Файл-доказательство (ожидаемый документ).")
@click.option("--url", default=None, help="Ссылка на документ (http/https).")
@click.option("--note", default=None, help="Примечание.")
@click.option("--by", default=None, help="Кто отмечает (по умолчанию из настроек или ОС).")
@click.option("--again", is_flag=True, help="Отметить заново уже выполненное.")
@today_option
@pass_app
def done(
    app: App, plan: str, task: str, org: str | None, party: str | None, due: date | None,
    file: Path | None, url: str | None, note: str | None, by: str | None, again: bool,
    today: date | None,
) -> None:
    """Отметить выполнение задачи плана: с файлом (--evidence) или ссылкой (--url)."""
    if (file is None) == (url is None):
        raise click.UsageError(_("Укажите ровно одно: --evidence FILE или --url URL"))
    use_today(app, today)
    if file is not None and file.stat().st_size == 0:
        click.echo(_("Внимание: файл {path} пустой (0 байт); тот ли это документ?").format(
            path=file), err=True)
    sel = Selector(plan, task, org=org, party=party, due=due)
    with app.sessions() as session:  # a mistyped call must not leave a stored file
        choose_for_done(session, app.clock.today, sel, again=again)
    with stored_evidence(app.evidence_store, app.sessions, file) as evidence, \
            write_session(app.sessions) as session:
        recorded = mark_done(session, app.clock.today, sel, by=by or current_user(app),
                             at=app.clock.now(), evidence=evidence, url=url, note=note,
                             again=again)
    click.echo(describe_recorded(recorded))


@main.command("reopen")
@click.argument("plan")
@click.argument("task")
@occurrence_options
@click.option("--reason", required=True, help="Почему выполнение отменяется.")
@click.option("--by", default=None, help="Кто (по умолчанию из настроек или ОС).")
@pass_app
def reopen_command(
    app: App, plan: str, task: str, org: str | None, party: str | None, due: date | None,
    reason: str, by: str | None,
) -> None:
    """Снять отметку о выполнении (она остаётся в истории)."""
    with write_session(app.sessions) as session:
        recorded = reopen(session, app.clock.today, Selector(plan, task, org, party, due),
                          by=by or current_user(app), at=app.clock.now(), reason=reason)
    click.echo(describe_recorded(recorded))


def current_user(app: App) -> str:
    """Settings ``user``, else the OS user."""
    return str(app.settings["user"] or getpass.getuser())


def local_time(at: Any, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def describe_recorded(rec: Recorded) -> str:
    """What ``done``/``reopen`` appended, in one or two lines."""
    occ = rec.occurrence
    head = _("Отмечено выполненным") if rec.action == "done" else _("Выполнение отменено")
    lines = [
        _("{head}: {plan} {what} — {by}, {at}").format(
            head=head, plan=occ.plan, what=occ.describe(), by=rec.by,
            at=local_time(rec.at, occ.timezone),
        )
    ]
    lines += attachment_lines(rec.evidence, rec.url, rec.note)
    if rec.supersedes_id:
        lines.append(_("Заменяет отметку № {id}").format(id=rec.supersedes_id))
    return "\n".join(lines)


def attachment_lines(evidence: Evidence | None, url: str | None, note: str | None) -> list[str]:
    """The evidence, link and note of what was just recorded, a line each."""
    lines = []
    if evidence is not None:
        lines.append(_("Доказательство: {name} (sha256 {sha}, {size} байт)").format(
            name=evidence.name, sha=evidence.sha256, size=evidence.size))
    if url:
        lines.append(_("Ссылка: {url}").format(url=url))
    if note:
        lines.append(_("Примечание: {note}").format(note=note))
    return lines


# ---------------------------------------------------------------- history


@main.command("history")
@click.argument("plan")
@click.argument("task", required=False)
@click.option("--org", default=None, help="Только эта организация.")
@click.option("--indicators", "values", is_flag=True,
              help="Журнал сообщённых значений показателей, а не отметок.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "xlsx"]), default="table",
              show_default=True)
@output_option
@pass_app
def history_command(
    app: App, plan: str, task: str | None, org: str | None, values: bool, fmt: str,
    output: Path | None,
) -> None:
    """Журнал отметок плана (задачи), от старых к новым; ничего не удаляется."""
    if values:
        if task is not None:
            raise click.UsageError(_("С --indicators задача не указывается"))
        if fmt == "xlsx":
            raise click.UsageError(_("С --indicators доступны форматы table и json"))
        _value_history(app, plan, org, fmt)
        return
    with app.sessions() as session:
        entries = history(session, plan, task, org=org)
    if fmt == "json":
        echo_json([e.as_json() for e in entries])
    elif fmt == "xlsx":
        emit_binary(history_workbook(entries), output, fmt)
    elif not entries:
        click.echo(_("Отметок нет"))
    else:
        click.echo(history_table(entries))


def _value_history(app: App, plan: str, org: str | None, fmt: str) -> None:
    # Imported here: roadmap.cli.indicators imports this module.
    from roadmap.cli.indicators import value_history_table

    with app.sessions() as session:
        entries = value_history(session, plan, org=org)
    if fmt == "json":
        echo_json([e.as_json() for e in entries])
    elif not entries:
        click.echo(_("Значений нет"))
    else:
        click.echo(value_history_table(entries))


ACTIONS = {"done": N_("выполнено"), "reopen": N_("отменено")}


def _evidence_cell(entry: HistoryEntry) -> str:
    # The name people gave the file (roadmap evidence get N writes it back).
    if entry.evidence is not None:
        return entry.evidence.name
    return entry.url or ""


def _link_cell(entry: HistoryEntry) -> str:
    if entry.carried_from_id:
        return _("перенос № {id}").format(id=entry.carried_from_id)
    return str(entry.supersedes_id or "")


def history_table(entries: Iterable[HistoryEntry]) -> str:
    headers = (N_("№"), N_("Когда (UTC)"), N_("Местное время"), N_("Кто"), N_("Действие"),
               N_("Задача"), N_("Организация"), N_("Срок"), N_("Документ"), N_("Примечание"),
               N_("Заменяет"))
    entries = list(entries)
    cells = [
        (e.id, f"{human_date(e.at.date())} {e.at:%H:%M}",
         f"{human_date(e.local_at.date())} {e.local_at:%H:%M}", e.by,
         _(ACTIONS.get(e.action, e.action)), e.number or e.task, e.org or e.party,
         human_date(e.due), _evidence_cell(e), e.note or "", _link_cell(e))
        for e in entries
    ]
    widths = (6, 16, 16, 16, 10, 8, 16, 10, None, None, 12)
    above, table = render_listing(
        [_(h) for h in headers], cells, widths, hoist=(5, 6), right=(0,)
    )
    plan = entries[0].plan if entries else ""
    return "\n".join([_("План: {plan}").format(plan=plan), *above, table])


# ---------------------------------------------------------------- evidence


@main.group("evidence")
def evidence_group() -> None:
    """Хранилище файлов-доказательств."""


@evidence_group.command("verify")
@pass_app
def verify(app: App) -> None:
    """Перепроверить хранилище: нет ли пропавших или изменённых файлов.

    Код выхода 1, если какой-то файл пропал или изменён."""
    with app.sessions() as session:
        expected = sorted(set(expected_evidence(session)) | set(expected_value_evidence(session)))
        unhashed = unhashed_evidence(session)
    report = app.evidence_store.verify(expected)
    if unhashed:
        click.echo(_("Отметки с файлом без хэша ({n}):").format(n=len(unhashed)))
        for row_id, name in unhashed:
            click.echo("  " + _("отметка {id}: «{name}»").format(id=row_id, name=name))
    click.echo("\n".join(describe_verify(report)))
    if not report.ok or unhashed:
        click.get_current_context().exit(1)


@evidence_group.command("get")
@click.argument("ref", metavar="ОТМЕТКА|SHA256")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Каталог (файл ляжет в него под исходным именем) или путь к файлу; "
              "по умолчанию — текущий каталог.")
@pass_app
def evidence_get(app: App, ref: str, output: Path | None) -> None:
    """Достать файл-доказательство под его исходным именем: по номеру отметки
    (из roadmap history) или по SHA-256."""
    with app.sessions() as session:
        evidence = find_evidence(session, ref)
    data = app.evidence_store.read(evidence)
    # Only the last part of the recorded name: it cannot lead elsewhere.
    name = Path(evidence.name).name or evidence.sha256
    target = Path(".") / name if output is None else output
    if output is not None and (output.is_dir() or str(output).endswith(("/", os.sep))):
        target = ensure_dir(output) / name
    if target.exists() and not target.is_dir():
        raise FileWriteError(
            _("{path} уже есть; укажите другой путь (-o)").format(path=target)
        )
    write_atomic(target, data)
    click.echo(_("Записан файл {path} ({size} байт, sha256 {sha})").format(
        path=target, size=len(data), sha=evidence.sha256))


def describe_verify(report: VerifyReport) -> Iterator[str]:
    """The ``evidence verify`` listing: problems first, then a summary."""
    sections: tuple[tuple[str, Sequence[object]], ...] = (
        (_("Нет файлов"), report.missing),
        (_("Файлы изменены"), report.altered),
        (_("Лишние файлы (ни одна отметка на них не ссылается)"), report.orphans),
    )
    for title, items in sections:
        if items:
            yield f"{title} ({len(items)}):"
            yield from (f"  {item}" for item in items)
    if report.ok:
        yield _("Проверено файлов: {n}; все на месте").format(n=report.checked)
    else:
        yield _("Проверено файлов: {n}; пропало {missing}, изменено {altered}").format(
            n=report.checked, missing=len(report.missing), altered=len(report.altered)
        )
