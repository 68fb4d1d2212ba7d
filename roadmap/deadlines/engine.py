"""Glue: parse, expand, sort, and describe what was not understood."""

from __future__ import annotations

from datetime import date

from roadmap.deadlines.api import Context, Meaning
from roadmap.deadlines.expand import Expander
from roadmap.deadlines.grammar import parse_memo
from roadmap.deadlines.recurrence import rule_text
from roadmap.i18n import _
from roadmap.model import Window


def read(text: str, context: Context) -> Meaning:
    """The meaning of ``text``; any internal failure becomes a warning."""
    try:
        return _read(text, context)
    except Exception as err:  # the engine must never raise on user text
        return Meaning(
            text=text,
            occurrences=(),
            on_demand=False,
            parsed=False,
            warnings=(
                _("Фраза не понята: «{text}»").format(text=text.strip()),
                _("Внутренняя ошибка разбора: {error}").format(error=type(err).__name__),
            ),
        )


def _read(text: str, context: Context) -> Meaning:
    lo, hi = context.period_start, context.period_end
    if lo > hi:
        lo, hi = hi, lo
    parts = parse_memo(text, context.school_year, context.school_years)
    expander = Expander(lo, hi, context.school_years, context.school_year)
    out = expander.out
    weak = False
    ignored: list[str] = []
    times: list[str] = []
    for part in parts:
        if part.on_demand:
            out.on_demand = True
            out.understood = True
        weak = weak or part.weak_on_demand
        expander.part(part, prior=bool(out.windows))
        if not part.on_demand and not part.weak_on_demand:
            ignored.extend(part.ignored)
        times.extend(part.times)
        if part.event_end:
            out.warn(
                _(
                    "Конец срока — событие без даты («{event}»): срок продлён до конца периода плана"
                ).format(event=part.event_end)
            )
        for bad in part.invalid:
            out.warn(_("Несуществующая дата: «{text}»").format(text=bad))
    if weak:
        out.understood = True
        if not out.windows:
            # «по плану проекта» alone: someone else's schedule
            out.on_demand = True
    if any(part.rhythm for part in parts) and not out.windows and not out.on_demand:
        out.windows.append((lo, hi))
    for time in times:
        out.warn(_("Время суток не учитывается: {time}").format(time=time), note=True)
    if ignored and out.understood:
        out.warn(_("Часть фразы не понята и пропущена: «{words}»").format(words=" ".join(ignored)))
    if not out.understood:
        out.warn(_("Фраза не понята: «{text}»").format(text=text.strip()))
    elif not out.windows and not out.on_demand:
        out.warn(_("В периоде плана нет ни одного срока по этой фразе"))
    windows = sorted(set(out.windows), key=lambda w: (w[1], w[0] or date.min))
    only = out.rules[0] if len(out.rules) == 1 and out.sources == 1 else None
    rule = rule_text(*only) if only is not None else None
    return Meaning(
        text=text,
        occurrences=tuple(Window(start, due) for start, due in windows),
        on_demand=out.on_demand,
        parsed=out.understood,
        warnings=tuple(out.warnings),
        rule=rule,
        notes=tuple(out.notes),
    )
