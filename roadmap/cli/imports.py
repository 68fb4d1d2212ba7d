"""``roadmap import FILE``: a road map in Word, Excel, CSV or PDF → a draft
plan YAML that ``roadmap validate`` accepts (see docs/import.md).

The core (:mod:`roadmap.importing`) reads the file and returns the YAML and
a summary; this command writes the YAML (atomically) and prints the summary.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from roadmap.app import App
from roadmap.cli.output import write_output
from roadmap.cli.root import main, pass_app
from roadmap.formats import to_json
from roadmap.i18n import _
from roadmap.importing import (
    ImportOptions,
    ImportSummary,
    import_document,
    parties_from_database,
    parties_from_files,
)
from roadmap.importing.parties import KnownParty
from roadmap.model import Period
from roadmap.plans import SLUG

_YEARS = re.compile(r"^(\d{4})\.\.(\d{4})$")


def _period(value: str | None) -> Period | None:
    if value is None:
        return None
    match = _YEARS.match(value)
    try:
        if match:
            start, end = date(int(match.group(1)), 1, 1), date(int(match.group(2)), 12, 31)
        else:
            first, _sep, last = value.partition("..")
            start, end = date.fromisoformat(first), date.fromisoformat(last)
        if end < start:
            raise ValueError(value)
    except ValueError as err:
        raise click.BadParameter(
            _("«{value}»: ожидается ГГГГ-ММ-ДД..ГГГГ-ММ-ДД или ГГГГ..ГГГГ, начало не позже конца")
            .format(value=value),
            param_hint="--period",
        ) from err
    return Period(start, end)


def _zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise click.BadParameter(
            _("«{value}» — не часовой пояс IANA (например, Asia/Irkutsk)").format(value=value),
            param_hint="--tz",
        ) from err
    return value


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--id", "plan_id", default=None, help="id плана (по умолчанию — имя файла -o).")
@click.option("--title", default=None, help="Название плана (вместо найденного в документе).")
@click.option("--period", default=None, metavar="НАЧАЛО..КОНЕЦ",
              help="Период плана: ГГГГ-ММ-ДД..ГГГГ-ММ-ДД или ГГГГ..ГГГГ.")
@click.option("--school-years/--calendar-years", default=None,
              help="План считается в учебных годах (по умолчанию — как сказано в заголовке).")
@click.option("--tz", default=None, help="Часовой пояс плана (IANA), например Asia/Irkutsk.")
@click.option("--register", "registers", multiple=True, metavar="FILE|PLAN",
              help="Файл плана или реестра (или id загруженного плана): взять id сторон оттуда.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Записать черновик YAML в файл (атомарно) вместо стандартного вывода.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Вид сводки.")
@pass_app
def import_command(
    app: App, file: Path, plan_id: str | None, title: str | None, period: str | None,
    school_years: bool | None, tz: str | None, registers: tuple[str, ...], output: Path | None,
    fmt: str,
) -> None:
    """Черновик плана (YAML) из документа Word, Excel, CSV или PDF."""
    known: list[KnownParty] = []
    register: str | None = None
    files = [Path(r) for r in registers if Path(r).exists()]
    if files:
        known, register = parties_from_files(files)
    for code in (r for r in registers if not Path(r).exists()):
        with app.sessions() as session:
            stored = parties_from_database(session, code)
        if not stored:
            raise click.BadParameter(
                _("«{value}»: нет такого файла и нет такого загруженного плана").format(value=code),
                param_hint="--register",
            )
        known.extend(stored)
    plan_id = plan_id or (output.stem if output is not None else None)
    if plan_id is not None and not re.fullmatch(SLUG, plan_id):
        raise click.BadParameter(
            _("id плана «{id}»: только строчная латиница, цифры и «-» (имя файла -o — это id)")
            .format(id=plan_id),
            param_hint="--id / -o",
        )
    options = ImportOptions(
        plan_id=plan_id,
        title=title,
        period=_period(period),
        school_years=school_years,
        timezone=_zone(tz),
        known=tuple(known),
        register=register,
        today=app.clock.today("UTC"),
    )
    result = import_document(file, options)
    if output is None:
        click.echo(result.yaml, nl=False)
    else:
        write_output(output, result.yaml)
    # Without -o the YAML is on stdout: the summary goes to stderr.
    if fmt == "json":
        click.echo(to_json(result.summary.as_json()), err=output is None)
    else:
        click.echo("\n".join(summary_lines(result.summary, output)), err=output is None)


def summary_lines(summary: ImportSummary, output: Path | None) -> list[str]:
    """The human summary of an import, in the user's language."""
    lines = [
        _("Импорт {source} → план {plan}").format(source=summary.source, plan=summary.plan),
        _("Таблиц: {tables}; строк: {rows}; разделов: {sections}; мероприятий: {tasks}; "
          "строк-продолжений: {more}; пропущено (шапка, нумерация столбцов, пустые): {skipped}")
        .format(tables=summary.tables, rows=summary.rows, sections=summary.sections,
                tasks=summary.activities, more=summary.continuations, skipped=summary.skipped),
        _("Сроки: прочитано {read}, прочитано частично {partly}, не прочитано {unread}, "
          "не указано {missing}").format(
            read=summary.deadlines_read, partly=summary.deadlines_partly,
            unread=summary.deadlines_unread, missing=summary.deadlines_missing),
    ]
    if summary.parties_reused:
        lines.append(_("Стороны из --register: {ids}").format(ids=", ".join(summary.parties_reused)))
    if summary.parties_created:
        lines.append(_("Новые стороны ({n}):").format(n=len(summary.parties_created)))
        lines.extend(f"  {ident}: {name}" for ident, name in summary.parties_created)
    if summary.todo:
        lines.append(_("Заполните сами (TODO): {keys}").format(keys=", ".join(summary.todo)))
    if summary.findings:
        lines.append(_("Строки, не взятые в план ({n}):").format(n=len(summary.findings)))
        lines.extend(f"  {f.place}: {f.message}: {f.text}" for f in summary.findings)
    if summary.unread:
        lines.append(_("Сроки, которые надо проверить ({n}):").format(n=len(summary.unread)))
        lines.extend(f"  {u.task}: «{u.text}» — {u.why}" for u in summary.unread)
    if output is not None:
        lines.append(_("Черновик записан: {path}. Проверьте: roadmap validate {path}").format(
            path=output))
    return lines
