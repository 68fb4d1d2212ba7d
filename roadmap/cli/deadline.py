"""roadmap deadline: what a deadline phrase means (no database needed)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import click

from roadmap.cli.root import main
from roadmap.deadlines import Context, Meaning, interpret, meaning_to_json
from roadmap.deadlines.bounds import period_problem, text_problem
from roadmap.errors import RoadmapError
from roadmap.files import FileRefused, read_limited
from roadmap.i18n import _

PERIOD_FORM = "YYYY-MM-DD..YYYY-MM-DD"
#: Longest line of ``--batch`` (a phrase is at most a thousand characters).
MAX_LINE_BYTES = 64 * 1024
#: Largest ``--batch`` file (standard input is read line by line, unbounded).
MAX_BATCH_BYTES = 64 * 1024 * 1024


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


class _BadLine(ValueError):
    """What is wrong with one line of ``--batch`` (its message)."""


def _request(line: str) -> tuple[str, Context]:
    """The phrase and context one ``--batch`` line asks for; :class:`_BadLine`."""
    try:
        request = json.loads(line)
    except RecursionError:
        raise _BadLine(_("JSON вложен слишком глубоко")) from None
    except ValueError as err:  # json.JSONDecodeError
        raise _BadLine(str(err)) from None
    if not isinstance(request, dict):
        raise _BadLine(_("ожидается объект JSON"))
    text = request.get("text")
    if not isinstance(text, str):
        raise _BadLine(_("поле «text» должно быть строкой"))
    if not _encodable(text):
        raise _BadLine(_("поле «text» содержит одиночный суррогат (\\ud800–\\udfff): это не символ"))
    too_long = text_problem(text)
    if too_long:
        raise _BadLine(too_long)
    period = request.get("period")
    form = _("поле «period» должно быть строкой вида {form}").format(form=PERIOD_FORM)
    if not isinstance(period, str):
        raise _BadLine(form)
    try:
        start, end = parse_period(period)
    except ValueError:
        raise _BadLine(form) from None
    too_wide = period_problem(start, end)
    if too_wide:
        raise _BadLine(too_wide)
    school_years = request.get("school_years", False)
    if not isinstance(school_years, bool):
        raise _BadLine(_("поле «school_years» должно быть true или false"))
    return text, Context(start, end, school_years)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def batch_line(raw: bytes | None) -> tuple[dict[str, Any], bool]:
    """One line of ``--batch`` (None: longer than :data:`MAX_LINE_BYTES`) →
    (result object, ok). Each bad line is its own error object."""
    if raw is None:
        error = _("строка длиннее {n} байт").format(n=MAX_LINE_BYTES)
        return {"error": error, "line": None}, False
    line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    try:
        text, context = _request(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        error = _("строка не в кодировке UTF-8 (байт {n})").format(n=err.start + 1)
        return {"error": error, "line": line}, False
    except _BadLine as err:
        return {"error": str(err), "line": line}, False
    return meaning_to_json(interpret(text, context)), True


def _lines(stream: BinaryIO) -> Iterator[bytes | None]:
    """The lines of ``stream``, each at most :data:`MAX_LINE_BYTES` (None
    for a longer one, whose rest is skipped without being kept)."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def _batch_stream(name: str) -> BinaryIO:
    """Standard input for «-», else the regular file ``name`` (at most
    :data:`MAX_BATCH_BYTES`)."""
    if name == "-":
        return sys.stdin.buffer
    try:
        return io.BytesIO(read_limited(Path(name), MAX_BATCH_BYTES))
    except FileRefused as err:
        raise RoadmapError(_("{path}: {err}").format(path=name, err=err)) from err


def _run_batch(stream: BinaryIO) -> int:
    failed = False
    # One buffered stream, flushed once at the end: click.echo would flush
    # every line, which costs more than reading the phrase.
    out = sys.stdout
    for raw in _lines(stream):
        if raw is not None and not raw.strip():
            continue
        result, ok = batch_line(raw)
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
    metavar="FILE",
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
    batch: str | None,
) -> None:
    """Что означает срок TEXT в периоде плана (или каждая строка --batch)."""
    if batch is not None:
        if text is not None:
            raise click.UsageError(_("укажите либо TEXT, либо --batch"), ctx=ctx)
        ctx.exit(_run_batch(_batch_stream(batch)))
    if text is None:
        raise click.UsageError(_("нужен TEXT (или --batch FILE)"), ctx=ctx)
    if period is None:
        raise click.UsageError(_("нужен --period {form}").format(form=PERIOD_FORM), ctx=ctx)
    wrong = text_problem(text) or period_problem(*period)
    if wrong:
        raise click.UsageError(wrong, ctx=ctx)
    meaning = interpret(text, Context(period[0], period[1], school_years))
    if as_json:
        click.echo(json.dumps(meaning_to_json(meaning), ensure_ascii=False))
    else:
        click.echo(_human(meaning))


__all__ = ["batch_line", "deadline", "parse_period"]
