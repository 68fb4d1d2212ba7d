"""The coordinator's report (:func:`roadmap.report.build_report`) as text:
``table`` (tasks, organisations and child plans, fitted to a width),
``json``, ``csv`` (the task × organisation matrix in long form) and ``html``
(one self-contained page: inline CSS, no scripts, no external resources).
The command line (``roadmap report``), the dashboard's exports and the
benchmarks all write it through :func:`render`.

JSON: one object — ``plan``, ``title``, ``timezone``, ``today``,
``due_soon_days``, ``statuses`` (status → label), ``counts`` (the plan's
cells per status), ``occurrences`` (current occurrences counted),
``indicators``, ``tasks`` [{``task``, ``number``, ``section``, ``activity``,
``deadline``, ``kind`` (dated | on_demand | undated), ``counts`` {status:
units}, ``occurrence_counts`` {status: occurrences}, ``overdue_orgs``
[{``org``, ``party``, ``name``}]}], ``organisations`` [{``org``, ``party``,
``name``, ``kind`` (organisation | party), ``counts`` {status: tasks},
``overdue_tasks`` [task ids]}], ``done`` (who, when, note, evidence of each
done occurrence), ``children`` [{``plan``, ``title``, ``today``, ``tasks``,
``units``, ``counts``}]. ``org`` is null for a party that does not fan
out; every ``counts`` has all six statuses.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from roadmap.formats import human_date, render_rows, render_table, to_csv, to_json
from roadmap.i18n import N_, _, days_, get_language
from roadmap.indicator_formats import indicators_table_html
from roadmap.report import REPORT_STATUSES, Report, TaskSummary, Unit
from roadmap.status import COLOURS, MARKS, Status, status_class, status_label
from roadmap.tracking import HistoryEntry

FORMATS = ("table", "json", "csv", "html")


def render(result: Report, fmt: str, width: int = 100) -> str:
    """The report in ``fmt`` (table, json, csv or html) as one string."""
    if fmt == "json":
        return to_json(report_to_json(result)) + "\n"
    if fmt == "csv":
        return report_csv(result)
    if fmt == "html":
        return report_html(result)
    return "\n".join(report_table(result, width)) + "\n"


# ---------------------------------------------------------------- json


def _counts_json(counts: Mapping[Status, int]) -> dict[str, int]:
    return {s.value: counts.get(s, 0) for s in REPORT_STATUSES}


def _unit_json(unit: Unit) -> dict[str, Any]:
    return {"org": unit.org, "party": unit.party, "name": unit.name}


def _kind(task: TaskSummary) -> str:
    if task.undated:
        return "undated"
    if task.on_demand:
        return "on_demand"
    return "dated"


def _unit_names(result: Report) -> dict[tuple[str, str | None], str]:
    return {(u.party, u.org): u.name for u in result.units}


def _done_json(result: Report, entry: HistoryEntry) -> dict[str, Any]:
    """A done occurrence of the report: who, when, the note, the evidence."""
    return {
        "task": entry.task,
        "number": entry.number,
        "party": entry.party,
        "org": entry.org,
        "name": _unit_names(result).get((entry.party, entry.org)),
        "due": entry.due.isoformat() if entry.due else None,
        "completion": entry.id,
        "by": entry.by,
        "at": entry.at.isoformat(),
        "note": entry.note,
        "url": entry.url,
        "evidence": entry.evidence.name if entry.evidence else None,
    }


def report_to_json(result: Report) -> dict[str, Any]:
    """The ``roadmap report --format json`` object (see the module doc)."""
    return {
        "plan": result.plan,
        "title": result.title,
        "timezone": result.timezone,
        "today": result.today.isoformat(),
        "due_soon_days": result.due_soon_days,
        "statuses": {s.value: status_label(s) for s in REPORT_STATUSES},
        "counts": _counts_json(result.counts),
        "occurrences": result.occurrences,
        "indicators": [line.as_json() for line in result.indicators],
        "tasks": [
            {
                "task": t.task,
                "number": t.number,
                "section": t.section,
                "activity": t.activity,
                "deadline": t.deadline,
                "kind": _kind(t),
                "counts": _counts_json(t.counts),
                "occurrence_counts": _counts_json(t.occurrence_counts),
                "overdue_orgs": [_unit_json(u) for u in t.overdue],
            }
            for t in result.tasks
        ],
        "organisations": [
            {
                **_unit_json(o.unit),
                "kind": "organisation" if o.unit.is_org else "party",
                "counts": _counts_json(o.counts),
                "overdue_tasks": list(o.overdue_tasks),
            }
            for o in result.organisations
        ],
        "done": [_done_json(result, d) for d in result.done],
        "children": [
            {
                "plan": c.plan,
                "title": c.title,
                "today": c.today.isoformat(),
                "tasks": c.tasks,
                "units": c.units,
                "counts": _counts_json(c.counts),
            }
            for c in result.children
        ],
    }


# ---------------------------------------------------------------- csv

CSV_HEADERS = (
    "plan",
    "section",
    "task",
    "number",
    "activity",
    "party",
    "org",
    "name",
    "status",
    "status_label",
    "due",
    "days_overdue",
    "occurrences",
    "overdue",
)


def report_csv(result: Report) -> str:
    """One row per task × unit (the matrix in long form), ``CSV_HEADERS`` first."""
    rows = []
    for task in result.tasks:
        for unit in result.units:
            cell = result.cell(task.task, unit)
            if cell is None:
                continue
            rows.append(
                (
                    result.plan,
                    task.section,
                    task.task,
                    task.number,
                    task.activity,
                    unit.party,
                    unit.org,
                    unit.name,
                    cell.status.value,
                    status_label(cell.status),
                    cell.due.isoformat() if cell.due else None,
                    cell.days_overdue,
                    cell.occurrences,
                    cell.overdue,
                )
            )
    return to_csv(CSV_HEADERS, rows)


# ---------------------------------------------------------------- table


def _wrapped(text: str, indent: str, width: int) -> list[str]:
    """``text`` over as many lines of ``width`` as it takes, each indented."""
    return textwrap.wrap(
        " ".join(text.split()), width=max(width, 20), initial_indent=indent,
        subsequent_indent=indent, break_on_hyphens=False,
    )


def _names(names: Sequence[str], width: int) -> str:
    shown: list[str] = []
    used = 0
    for n, name in enumerate(names):
        rest = len(names) - n - 1
        tail = len(_("ещё {n}").format(n=rest)) + 2 if rest else 0
        if shown and used + len(name) + 2 + tail > width:
            shown.append(_("ещё {n}").format(n=len(names) - n))
            break
        shown.append(name)
        used += len(name) + 2
    return ", ".join(shown)


# Short headers of the count columns on a narrow terminal (a legend line
# then gives the full labels).
SHORT_LABELS: dict[Status, str] = {
    Status.DONE: N_("вып."),
    Status.OVERDUE: N_("проср."),
    Status.DUE_SOON: N_("скоро"),
    Status.UPCOMING: N_("предст."),
    Status.ON_DEMAND: N_("по запр."),
    Status.UNDATED: N_("б/срока"),
}
WIDE = 110  # from this width on, count columns carry the full labels


def report_table(result: Report, width: int = 100) -> Iterator[str]:
    """The human form: tasks, organisations, child plans; lines fit ``width``."""
    if width >= WIDE:
        labels = [status_label(s) for s in REPORT_STATUSES]
    else:
        labels = [_(SHORT_LABELS[s]) for s in REPORT_STATUSES]
    # Count columns keep their width; the free-text columns give way.
    fixed = [20] * len(labels)
    yield from _wrapped(f"{result.plan} — {result.title}", "", width)
    yield days_("Сегодня: {today} ({zone}); «скоро срок» — {days} дн.",
                result.due_soon_days).format(
        today=human_date(result.today), zone=result.timezone, days=result.due_soon_days
    )
    totals = ", ".join(
        f"{status_label(s)} {result.counts[s]}" for s in REPORT_STATUSES if result.counts[s]
    )
    yield from textwrap.wrap(
        _("Итого (задача × организация): {totals}").format(totals=totals or "—"), width
    )
    if width < WIDE:
        legend = "; ".join(
            f"{short} — {status_label(s)}" for s, short in zip(REPORT_STATUSES, labels, strict=True)
        )
        yield from textwrap.wrap(_("Столбцы: {legend}").format(legend=legend), width)

    yield ""
    yield _("Задачи (число организаций)")
    blocks = render_rows(
        [_("№"), _("Мероприятие"), *labels],
        [
            [t.number or t.task, t.activity, *(t.counts[s] for s in REPORT_STATUSES)]
            for t in result.tasks
        ],
        [12, None, *fixed],
        width=width,
        right=range(2, 2 + len(labels)),
    )
    indent = "    "
    yield from blocks[0]
    for task, block in zip(result.tasks, blocks[1:], strict=True):
        yield from block
        if task.undated or task.on_demand:
            yield from _wrapped(_deadline(task), indent, width)
        if task.overdue:
            label = indent + _("просрочено: ")
            yield label + _names([u.name for u in task.overdue], width - len(label))

    if result.organisations:
        yield ""
        yield _("Организации и участники (число задач)")
        numbers = {t.task: t.number or t.task for t in result.tasks}
        blocks = render_rows(
            [_("Организация"), *labels],
            [[o.unit.name, *(o.counts[s] for s in REPORT_STATUSES)] for o in result.organisations],
            [None, *fixed],
            width=width,
            right=range(1, 1 + len(labels)),
        )
        yield from blocks[0]
        for org, block in zip(result.organisations, blocks[1:], strict=True):
            yield from block
            if org.overdue_tasks:
                overdue = ", ".join(numbers.get(code, code) for code in org.overdue_tasks)
                text = _("просрочены задачи: {tasks}").format(tasks=overdue)
                yield from _wrapped(text, indent, width)

    if result.children:
        yield ""
        yield _("Дочерние планы (число пар задача × организация)")
        yield render_table(
            [_("План"), _("Название"), *labels],
            [[c.plan, c.title, *(c.counts[s] for s in REPORT_STATUSES)] for c in result.children],
            [40, None, *fixed],
            width=width,
            right=range(2, 2 + len(labels)),
        )


def _deadline(task: TaskSummary) -> str:
    """What the deadline means, with the plan's words: «срок не указан» when
    it has none."""
    if task.on_demand:
        meaning = _("по мере необходимости")
    elif task.undated:
        meaning = _("срок не указан")
    else:
        return task.deadline or "—"
    return f"{meaning} («{task.deadline}»)" if task.deadline else meaning


# ---------------------------------------------------------------- html

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       margin: 1.5rem; color: #1a1a1a; }
h1 { font-size: 1.3rem; margin-bottom: .2rem; }
h2 { font-size: 1.1rem; margin-top: 1.8rem; }
p.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #c8c8c8; padding: .2rem .4rem; }
th { background: #f3f3f3; font-weight: 600; text-align: left; vertical-align: bottom; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.matrix td.c { text-align: center; min-width: 1.6rem; }
table.matrix th.t { writing-mode: vertical-rl; transform: rotate(180deg);
                    white-space: nowrap; font-weight: 500; }
table.matrix td.none { color: #aaa; background: #fff; }
table.matrix thead th { position: sticky; top: 0; }
table.matrix th.u { position: sticky; left: 0; background: #fafafa; font-weight: 500; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .8rem; }
ul.legend span.sw { display: inline-block; width: 1.4rem; text-align: center;
                    border: 1px solid #999; margin-right: .3rem; }
table.matrix th.t span.act { display: none; font-weight: 400; font-size: .7rem;
                             white-space: normal; inline-size: 11em; }
.print-only { display: none; }
/* Phones: the activity under each column number; a title that leaves room. */
@media (max-width: 600px) {
  body { margin: .6rem; }
  h1 { font-size: 1.05rem; line-height: 1.25; }
  p.meta { font-size: .8rem; }
  table.matrix th.t span.act { display: block; }
}
/* Paper: landscape, the header row on every page, the matrix in blocks of
   columns, each with the organisation column, the activity in the headers. */
@media print {
  @page { size: A4 landscape; margin: 1cm; }
  body { margin: 0; font-size: 9pt; }
  .screen-only { display: none; }
  .print-only { display: block; }
  thead { display: table-header-group; }
  tr, th, td { break-inside: avoid; }
  table.matrix { margin-bottom: 1rem; }
  h3 { break-after: avoid; }
  table.matrix thead th, table.matrix th.u { position: static; }
  table.matrix th.t span.act { display: block; font-size: 6.5pt; inline-size: 17em; }
  table.matrix th.u { max-width: 11em; }
  td.c, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

#: Task columns per printed block of the matrix (A4 landscape).
PRINT_COLUMNS = 8


def _css() -> str:
    rules = "".join(
        f".{status_class(s)} {{ background: {colour}; }}\n" for s, colour in COLOURS.items()
    )
    return _CSS + rules



def _tag(name: str, text: str, attrs: str = "") -> str:
    """``<name attrs>text</name>`` with ``text`` escaped."""
    opening = f"{name} {attrs}" if attrs else name
    return f"<{opening}>{html.escape(text)}</{name}>"


def report_html(result: Report) -> str:
    """One self-contained HTML page; every text is escaped."""

    def e(text: object) -> str:
        return html.escape(str(text), quote=True)

    title = _("Отчёт: {plan}").format(plan=result.plan)
    out: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{e(get_language())}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)} — {e(result.today.isoformat())}</title>",
        f"<style>{_css()}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(result.title)}</h1>",
        '<p class="meta">'
        + e(
            days_("План {plan}; на {today} ({zone}); «скоро срок» — {days} дн.",
                  result.due_soon_days).format(
                plan=result.plan,
                today=_date(result.today),
                zone=result.timezone,
                days=result.due_soon_days,
            )
        )
        + "</p>",
    ]

    # legend
    out.append(_tag("h2", _("Обозначения")))
    out.append('<ul class="legend">')
    for s in REPORT_STATUSES:
        out.append(
            f'<li><span class="sw {status_class(s)}">{e(MARKS[s])}</span>{e(status_label(s))}</li>'
        )
    out.append('<li><span class="sw">—</span>' + e(_("не участвует")) + "</li>")
    out.append("</ul>")

    # the matrix: whole on screen, in blocks of columns on paper
    out.append(_tag("h2", _("Организации × мероприятия")))
    out.append('<div class="screen-only">')
    out.extend(_matrix(result, result.tasks, e))
    out.append("</div>")
    out.append('<div class="print-only">')
    for n in range(0, len(result.tasks), PRINT_COLUMNS):
        block = result.tasks[n:n + PRINT_COLUMNS]
        out.append(_tag("h3", _("Мероприятия {first} — {last}").format(
            first=block[0].number or block[0].task, last=block[-1].number or block[-1].task)))
        out.extend(_matrix(result, block, e))
    out.append("</div>")
    out.extend(_rest_html(result, e))
    return "\n".join(out) + "\n"


def _matrix(result: Report, tasks: Sequence[TaskSummary], e: Any) -> list[str]:
    """One matrix table: a row per organisation, a column per task of
    ``tasks``, each column headed by the task's number and its activity."""
    out = ['<table class="matrix">', "<thead><tr>", _tag("th", _("Организация"), 'class="u"')]
    for t in tasks:
        label = t.number or t.task
        out.append(
            f'<th class="t" title="{e(t.activity)}"><span class="no">{e(label)}</span>'
            f'<span class="act">{e(t.activity)}</span></th>'
        )
    out.append("</tr></thead>")
    out.append("<tbody>")
    for unit in result.units:
        out.append(f'<tr><th class="u" scope="row">{e(unit.name)}</th>')
        for t in tasks:
            cell = result.cell(t.task, unit)
            if cell is None:
                out.append('<td class="c none">—</td>')
                continue
            hint = status_label(cell.status)
            if cell.days_overdue:
                hint += " " + days_("на {n} дн.", cell.days_overdue).format(n=cell.days_overdue)
            if cell.due is not None:
                hint += ", " + _("срок {due}").format(due=_date(cell.due))
            if cell.overdue > 1:
                hint += ", " + _("просроченных сроков: {n}").format(n=cell.overdue)
            out.append(
                f'<td class="c {status_class(cell.status)}" '
                f'title="{e(t.number or t.task)} {e(unit.name)}: {e(hint)}">'
                f"{e(MARKS.get(cell.status, '?'))}</td>"
            )
        out.append("</tr>")
    out.append("</tbody></table>")
    return out


def _rest_html(result: Report, e: Any) -> list[str]:
    """The report's tables after the matrix, and the end of the page."""
    out: list[str] = []
    # tasks
    out.append(_tag("h2", _("Мероприятия")))
    out.append("<table><thead><tr>")
    for head in (_("№"), _("Мероприятие"), _("Срок в плане")):
        out.append(f"<th>{e(head)}</th>")
    for s in REPORT_STATUSES:
        out.append(f'<th class="{status_class(s)}">{e(status_label(s))}</th>')
    out.append(_tag("th", _("Просрочено у")))
    out.append("</tr></thead><tbody>")
    for t in result.tasks:
        deadline = _deadline(t)
        out.append(
            f"<tr><td>{e(t.number or t.task)}</td><td>{e(t.activity)}</td><td>{e(deadline)}</td>"
        )
        for s in REPORT_STATUSES:
            out.append(f'<td class="n">{t.counts[s]}</td>')
        out.append(f"<td>{e(', '.join(u.name for u in t.overdue))}</td></tr>")
    out.append("</tbody></table>")

    # who did what
    if result.done:
        names = _unit_names(result)
        out.append(_tag("h2", _("Выполнено: кто, когда, документ")))
        out.append("<table><thead><tr>")
        for head in (_("№"), _("Организация"), _("Срок"), _("Отмечено"), _("Кто"),
                     _("Документ"), _("Примечание")):
            out.append(f"<th>{e(head)}</th>")
        out.append("</tr></thead><tbody>")
        for d in result.done:
            # The link as text: the page stays self-contained, nothing to fetch.
            document = e(d.evidence.name if d.evidence else (d.url or ""))
            mark = _("отметка № {id}").format(id=d.id)
            out.append(
                f"<tr><td>{e(d.number or d.task)}</td>"
                f"<td>{e(names.get((d.party, d.org), d.org or d.party))}</td>"
                f"<td>{e(_date(d.due) if d.due else '—')}</td>"
                f"<td>{e(d.local_at.strftime('%d.%m.%Y %H:%M'))}</td><td>{e(d.by)}</td>"
                f"<td>{document} <small>({e(mark)})</small></td>"
                f"<td>{e(d.note or '')}</td></tr>"
            )
        out.append("</tbody></table>")

    # children
    if result.children:
        out.append(_tag("h2", _("Дочерние планы")))
        out.append("<table><thead><tr>")
        for head in (_("План"), _("Название")):
            out.append(f"<th>{e(head)}</th>")
        for s in REPORT_STATUSES:
            out.append(f'<th class="{status_class(s)}">{e(status_label(s))}</th>')
        out.append("</tr></thead><tbody>")
        for c in result.children:
            out.append(f"<tr><td>{e(c.plan)}</td><td>{e(c.title)}</td>")
            for s in REPORT_STATUSES:
                out.append(f'<td class="n">{c.counts[s]}</td>')
            out.append("</tr>")
        out.append("</tbody></table>")

    if result.indicators:
        out.append(_tag("h2", _("Показатели")))
        out.append(indicators_table_html(result.indicators))

    out.append("</body>")
    out.append("</html>")
    return out


def _date(day: date) -> str:
    return day.strftime("%d.%m.%Y")
