"""roadmap deadline: what a deadline phrase means (no database needed)."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any, TextIO

import click

from roadmap.cli.root import main
from roadmap.deadlines import Context, Meaning, interpret, meaning_to_json
from roadmap.i18n import _

PERIOD_FORM = "YYYY-MM-DD..YYYY-MM-DD"


def parse_period(value: str) -> tuple[date, date]:
    """``2023-01-01..2026-12-31`` → two dates; ValueError otherwise."""
    start_text, sep, end_text = value.strip().partition("..")
    if not sep:
        raise ValueError(value)
    start, end = date.fromisoformat(start_text.strip()), date.fromisoformat(end_text.strip())
    if start > end:
        raise ValueError(value)
    return start, end


def _period_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[date, date] | None:
    if value is None:
        return None
    try:
        return parse_period(value)
    except ValueError:
        raise click.BadParameter(
            _(
                "ожидается период вида {form}, первая дата не позже второй; получено «{value}»"
            ).format(form=PERIOD_FORM, value=value),
            ctx=ctx,
            param=param,
        ) from None


def _human(meaning: Meaning) -> str:
    lines = [_("Фраза: {text}").format(text=meaning.text)]
    if not meaning.parsed:
        lines.append(_("Не понято."))
    if meaning.occurrences:
        lines.append(_("Сроки ({count}):").format(count=len(meaning.occurrences)))
        for window in meaning.occurrences:
            due = window.due.strftime("%d.%m.%Y")
            if window.start is None:
                lines.append("  " + _("до {due}").format(due=due))
            elif window.start == window.due:
                lines.append("  " + due)
            else:
                lines.append(
                    "  "
                    + _("{start} – {due}").format(start=window.start.strftime("%d.%m.%Y"), due=due)
                )
    elif meaning.parsed:
        lines.append(_("Сроков в календаре нет."))
    if meaning.on_demand:
        lines.append(_("По мере необходимости (по чужому графику): в календарь не ставится."))
    if meaning.rule:
        lines.append(_("Правило повторения: {rule}").format(rule=meaning.rule))
    for warning in meaning.warnings:
        lines.append(_("Внимание: {warning}").format(warning=warning))
    return "\n".join(lines)


def batch_line(line: str) -> tuple[dict[str, Any], bool]:
    """One JSON line of ``--batch`` → (result object, ok)."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError(_("ожидается объект JSON"))
        text = request.get("text")
        if not isinstance(text, str):
            raise ValueError(_("поле «text» должно быть строкой"))
        period = request.get("period")
        if not isinstance(period, str):
            raise ValueError(
                _("поле «period» должно быть строкой вида {form}").format(form=PERIOD_FORM)
            )
        try:
            start, end = parse_period(period)
        except ValueError:
            raise ValueError(
                _("поле «period» должно быть строкой вида {form}").format(form=PERIOD_FORM)
            ) from None
        school_years = request.get("school_years", False)
        if not isinstance(school_years, bool):
            raise ValueError(_("поле «school_years» должно быть true или false"))
    except ValueError as err:  # json.JSONDecodeError is a ValueError
        return {"error": str(err), "line": line.rstrip("\n")}, False
    return meaning_to_json(interpret(text, Context(start, end, school_years))), True


def _run_batch(stream: TextIO) -> int:
    failed = False
    # One buffered stream, flushed once at the end: click.echo would flush
    # every line, which costs more than reading the phrase.
    out = sys.stdout
    for line in stream:
        if not line.strip():
            continue
        result, ok = batch_line(line)
        failed = failed or not ok
        out.write(json.dumps(result, ensure_ascii=False))
        out.write("\n")
    out.flush()
    return 1 if failed else 0


@main.command()
@click.argument("text", required=False)
@click.option(
    "--period",
    callback=_period_option,
    metavar=PERIOD_FORM,
    help="Период плана, включительно.",
)
@click.option("--school-years", is_flag=True, help="План считает учебными годами.")
@click.option("--json", "as_json", is_flag=True, help="Вывести смысл фразы как JSON.")
@click.option(
    "--batch",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="Файл строк JSON {text, period, school_years} («-» — стандартный ввод).",
)
@click.pass_context
def deadline(
    ctx: click.Context,
    text: str | None,
    period: tuple[date, date] | None,
    school_years: bool,
    as_json: bool,
    batch: TextIO | None,
) -> None:
    """Что означает срок TEXT в периоде плана (или каждая строка --batch)."""
    if batch is not None:
        if text is not None:
            raise click.UsageError(_("укажите либо TEXT, либо --batch"), ctx=ctx)
        ctx.exit(_run_batch(batch))
    if text is None:
        raise click.UsageError(_("нужен TEXT (или --batch FILE)"), ctx=ctx)
    if period is None:
        raise click.UsageError(_("нужен --period {form}").format(form=PERIOD_FORM), ctx=ctx)
    meaning = interpret(text, Context(period[0], period[1], school_years))
    if as_json:
        click.echo(json.dumps(meaning_to_json(meaning), ensure_ascii=False))
    else:
        click.echo(_human(meaning))


__all__ = ["batch_line", "deadline", "parse_period"]
