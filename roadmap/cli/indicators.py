"""``roadmap indicators`` (targets against reported values, rolled up) and
``roadmap indicator set`` (report a value), over :mod:`roadmap.indicators`.
The indicator part of ``roadmap history PLAN --indicators`` is here too."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from roadmap.app import App
from roadmap.cli.output import echo_csv, echo_json, emit_binary, output_option, render_table
from roadmap.cli.root import main, pass_app
from roadmap.cli.track import attachment_lines, current_user, local_time
from roadmap.i18n import N_, _, get_language
from roadmap.indicators import (
    IndicatorLine,
    RecordedValue,
    ValueEntry,
    ValueInput,
    ValueSelector,
    indicator_rows,
    prepare_value,
    set_value,
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


def show_value(value: float | None, unit: str | None = None) -> str:
    """A number without trailing zeros (at most two decimals), then the unit."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}" if unit else text


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


def achieved_label(achieved: bool | None) -> str:
    if achieved is None:
        return "—"
    return _("достигнуто") if achieved else _("не достигнуто")


def _cells(line: IndicatorLine) -> tuple[str, ...]:
    ratio = line.ratio
    value = show_value(line.value)
    if line.kind == YES_NO and line.org is not None and line.value is not None:
        value = _("да") if line.value >= 50 else _("нет")
    elif line.value is not None and line.unit:
        value = f"{value} {line.unit}"
    return (
        f"↳ {line.plan}" if line.part_of else line.indicator,
        str(line.year),
        "—" if line.target is None else str(line.target),
        value,
        "—" if ratio is None else f"{ratio * 100:.0f} %",
        achieved_label(line.achieved),
        f"{line.reported}/{line.expected}",
        "" if line.part_of else line.name,
    )


HEADERS = (
    N_("Показатель"), N_("Год"), N_("Цель"), N_("Значение"), N_("% цели"), N_("Итог"),
    N_("Сообщили"), N_("Название"),
)
WIDTHS = (28, 4, 10, 18, 7, 13, 9, None)
NUMERIC = (1, 2, 3, 4, 6)


def indicators_table(lines: Sequence[IndicatorLine]) -> str:
    """The ``roadmap indicators`` table: a line per indicator and year, the
    child plans' parts indented below it."""
    return render_table([_(h) for h in HEADERS], [_cells(line) for line in lines], WIDTHS,
                        right=NUMERIC)


def indicators_html(plan: str, lines: Iterable[IndicatorLine]) -> str:
    """One self-contained HTML page of the listing; every text is escaped."""
    title = html.escape(_("Показатели: {plan}").format(plan=plan))
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(get_language())}">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{title}</title>",
        "<style>body{font-family:sans-serif;margin:1.5rem}table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:.2rem .4rem}td.n{text-align:right}"
        "tr.part td:first-child{padding-left:1.5rem}</style>",
        "</head>",
        "<body>",
        f"<h1>{title}</h1>",
        indicators_table_html(lines),
        "</body>",
        "</html>",
    ])


def indicators_table_html(lines: Iterable[IndicatorLine]) -> str:
    """The listing as an HTML ``<table>`` (also the indicators section of
    ``roadmap report --format html``); every text is escaped. Each row
    carries ``data-indicator`` and ``data-year``; a child plan's part has
    the class ``part``."""

    def e(text: object) -> str:
        return html.escape(str(text), quote=True)

    headers = [_(h) for h in HEADERS]
    out = [
        '<table class="indicators">',
        "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead>",
        "<tbody>",
    ]
    for line in lines:
        attrs = ' class="part"' if line.part_of else ""
        out.append(
            f'<tr{attrs} data-indicator="{e(line.indicator)}" data-year="{line.year}">'
            + "".join(
                f'<td class="n">{e(c)}</td>' if i in NUMERIC else f"<td>{e(c)}</td>"
                for i, c in enumerate(_cells(line))
            )
            + "</tr>"
        )
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


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
