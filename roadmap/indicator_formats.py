"""Indicators as text: the ``roadmap indicators`` table, and the HTML table
(a page of its own, or the indicators section of the report's HTML).
Every text is escaped in HTML."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from roadmap.formats import render_table
from roadmap.i18n import N_, _, get_language
from roadmap.indicators import IndicatorLine, show_value
from roadmap.model import YES_NO


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
