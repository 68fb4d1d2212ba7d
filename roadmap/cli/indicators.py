"""``roadmap indicators`` (targets against reported values, rolled up) and
``roadmap indicator set`` (report a value), over :mod:`roadmap.indicators`.
The indicator part of ``roadmap history PLAN --indicators`` is here too."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from roadmap.app import App
from roadmap.cli.output import echo_csv, echo_json, emit_binary, output_option
from roadmap.cli.root import main, pass_app
from roadmap.cli.track import attachment_lines, current_user, local_time
from roadmap.formats import render_table
from roadmap.i18n import N_, _
from roadmap.indicator_formats import indicators_html, indicators_table
from roadmap.indicators import (
    RecordedValue,
    ValueEntry,
    ValueInput,
    ValueSelector,
    indicator_rows,
    prepare_value,
    set_value,
    show_value,
)
from roadmap.model import YES_NO
from roadmap.storage.db import write_session

FORMATS = click.Choice(["table", "json", "csv", "html", "xlsx"])
CSV_KEYS = (
    "plan", "part_of", "indicator", "name", "unit", "kind", "year", "target", "value",
    "numerator", "denominator", "reported", "expected", "achieved",
)
YEAR = click.IntRange(1900, 2200)


@main.group("indicator")
def indicator_group() -> None:
    """Показатели плана: сообщить значение."""


@indicator_group.command("set")
@click.argument("plan")
@click.argument("indicator")
@click.option("--year", type=YEAR, required=True, help="Год значения.")
@click.option("--value", default=None, help="Значение (число; для yes_no — да или нет).")
@click.option("--num", type=float, default=None, help="Числитель доли.")
@click.option("--den", type=float, default=None, help="Знаменатель доли.")
@click.option("--org", default=None, help="Организация, чьё это значение.")
@click.option("--party", default=None, help="Сторона плана, чьё это значение.")
@click.option("--respondents", type=click.IntRange(min=1), default=None,
              help="Число опрошенных (для уровня, level).")
@click.option("--evidence", "file", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Файл-доказательство.")
@click.option("--url", default=None, help="Ссылка на документ (http/https).")
@click.option("--note", default=None, help="Примечание.")
@click.option("--by", default=None, help="Кто сообщает (по умолчанию из настроек или ОС).")
@pass_app
def set_command(
    app: App, plan: str, indicator: str, year: int, value: str | None, num: float | None,
    den: float | None, org: str | None, party: str | None, respondents: int | None,
    file: Path | None, url: str | None, note: str | None, by: str | None,
) -> None:
    """Сообщить значение показателя за год (исправление заменяет прежнее, история хранится)."""
    if value is not None and (num is not None or den is not None):
        raise click.UsageError(_("Укажите либо --value, либо --num и --den"))
    if file is not None and url is not None:
        raise click.UsageError(_("Укажите не больше одного: --evidence FILE или --url URL"))
    sel = ValueSelector(plan, indicator, year, org=org, party=party)
    given = ValueInput(value, num, den, respondents)
    with app.sessions() as session:  # a refused value must not leave a stored file
        prepare_value(session, sel, given)
    evidence = app.evidence_store.put(file) if file is not None else None
    with write_session(app.sessions) as session:
        recorded = set_value(session, sel, given, by=by or current_user(app), at=app.clock.now(),
                             evidence=evidence, url=url, note=note)
    click.echo(describe_value(recorded))


def describe_value(rec: RecordedValue) -> str:
    """What ``indicator set`` appended, in a few lines."""
    checked = rec.checked
    if rec.indicator.kind == YES_NO:
        shown = _("да") if checked.value >= 0.5 else _("нет")
    elif checked.numerator is not None:
        fraction = f"{show_value(checked.numerator)}/{show_value(checked.denominator)}"
        shown = f"{show_value(checked.value)} % ({fraction})"
    else:
        shown = show_value(checked.value, rec.indicator.unit)
    lines = [
        _("Значение записано: {plan} {ind} за {year}, {unit}: {value} — {by}, {at}").format(
            plan=rec.plan, ind=rec.indicator.code, year=rec.year, unit=rec.unit.label,
            value=shown, by=rec.by,
            at=local_time(rec.at, rec.timezone),
        )
    ]
    lines += attachment_lines(rec.evidence, rec.url, rec.note)
    if rec.supersedes_id:
        lines.append(_("Заменяет значение № {id}").format(id=rec.supersedes_id))
    return "\n".join(lines)


# ---------------------------------------------------------------- listing


@main.command("indicators")
@click.argument("plan")
@click.option("--year", type=YEAR, default=None, help="Только этот год.")
@click.option("--org", default=None, help="Только значения этой организации.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@output_option
@pass_app
def indicators_command(
    app: App, plan: str, year: int | None, org: str | None, fmt: str, output: Path | None
) -> None:
    """Показатели плана по годам: цель, значение, достижение, кто сообщил; сводка по дочерним планам."""
    with app.sessions() as session:
        lines = indicator_rows(session, plan, year=year, org=org)
    if fmt == "json":
        echo_json([line.as_json() for line in lines])
    elif fmt == "csv":
        echo_csv(CSV_KEYS, ([line.as_json()[k] for k in CSV_KEYS] for line in lines))
    elif fmt == "html":
        click.echo(indicators_html(plan, lines))
    elif fmt == "xlsx":
        from roadmap.execution_files import indicators_sheet
        from roadmap.spreadsheet import workbook_bytes

        banner = [_("Показатели: {plan}").format(plan=plan)]
        emit_binary(workbook_bytes([indicators_sheet(lines, banner)]), output, fmt)
    elif not lines:
        click.echo(_("Показателей нет"))
    else:
        click.echo(indicators_table(lines))


# ---------------------------------------------------------------- history


def value_history_table(entries: Iterable[ValueEntry]) -> str:
    """``roadmap history PLAN --indicators``: every reported value, oldest first."""
    headers = (N_("№"), N_("Когда (UTC)"), N_("Кто"), N_("Показатель"), N_("Год"),
               N_("Организация"), N_("Значение"), N_("Документ"), N_("Примечание"),
               N_("Заменяет"))
    cells = [
        (e.id, f"{e.at:%Y-%m-%d %H:%M}", e.by, e.indicator, e.year, e.org or e.party or "",
         show_value(e.value) + (
             f" ({show_value(e.numerator)}/{show_value(e.denominator)})"
             if e.numerator is not None else ""),
         (f"{e.evidence.sha256[:12]} {e.evidence.name}" if e.evidence else e.url or ""),
         e.note or "", e.supersedes_id or "")
        for e in entries
    ]
    widths = (6, 16, 16, 16, 4, 16, 18, None, None, 8)
    return render_table([_(h) for h in headers], cells, widths, right=(0, 4, 9))
