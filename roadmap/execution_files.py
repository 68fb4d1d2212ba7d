"""The execution report (:mod:`roadmap.execution`) as the files a
coordinator sends up: DOCX (python-docx) and XLSX (:mod:`roadmap.spreadsheet`).

DOCX: the plan title, the approving document and «по состоянию на
ДД.ММ.ГГГГ», then a landscape table № | Мероприятие | Срок | Ответственный |
Отметка о выполнении | Подтверждающий документ, sections as merged rows,
the header row repeated on every page; for a plan fanned out to
organisations, one appendix table per organisation.

XLSX: the same rows on one sheet (typed dates of the deadline that decided
and of the completion), and the organisations × activities matrix in the
HTML report's colours.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from roadmap.execution import ExecutionReport, ExecutionRow, Mark, day_text
from roadmap.i18n import N_, _
from roadmap.indicators import IndicatorLine
from roadmap.report import REPORT_STATUSES
from roadmap.spreadsheet import DATE, NUMBER, Column, Sheet, workbook_bytes
from roadmap.status import COLOURS, MARKS, status_label

HEADERS = (
    N_("№"), N_("Мероприятие"), N_("Срок"), N_("Ответственный"), N_("Отметка о выполнении"),
    N_("Подтверждающий документ"),
)
APPENDIX_HEADERS = (
    N_("№"), N_("Мероприятие"), N_("Срок"), N_("Отметка о выполнении"),
    N_("Подтверждающий документ"),
)
WIDTHS_CM = (1.3, 7.5, 3.4, 4.1, 4.6, 5.1)  # 26 cm: A4 landscape less margins
APPENDIX_WIDTHS_CM = (1.3, 9.0, 3.6, 5.0, 7.1)
INDICATOR_WIDTHS_CM = (8.6, 4.0, 1.4, 1.6, 2.6, 2.6, 2.4, 2.2)


def heading_lines(report: ExecutionReport) -> list[str]:
    """The lines above the table: title, approving document, «по состоянию на»."""
    lines = [report.title]
    approved = report.authority
    if report.document:
        approved = f"{approved}, {report.document}"
    lines.append(_("Утверждён: {by}").format(by=approved))
    lines.append(
        _("Информация о ходе реализации плана мероприятий по состоянию на {date}").format(
            date=day_text(report.today)
        )
    )
    if report.org is not None:
        name = next((u.name for u in report.organisations if u.org == report.org), report.org)
        lines.append(_("Организация: {name}").format(name=name))
    return lines


def _number(row: ExecutionRow) -> str:
    return row.task.number or row.task.id


# ---------------------------------------------------------------- DOCX


def _achieved(line: IndicatorLine) -> str:
    if line.achieved is None:
        return "—"
    return _("да") if line.achieved else _("нет")


def indicator_table(lines: Sequence[IndicatorLine]) -> tuple[list[Column], list[Sequence[object]]]:
    """The indicators as a table (the DOCX section, the XLSX sheet): per
    indicator and year the target, the value, achievement and who reported;
    a child plan's part is marked with its plan."""
    columns = [
        Column(_("Показатель"), 50), Column(_("Часть плана"), 22), Column(_("Год"), 7, NUMBER),
        Column(_("Ед."), 8), Column(_("Цель"), 10), Column(_("Значение"), 10, NUMBER),
        Column(_("Достигнуто"), 11), Column(_("Сообщили"), 11),
    ]
    rows: list[Sequence[object]] = [
        (line.name, line.part_of or line.org or "", line.year, line.unit or "",
         line.target if line.target is not None else "—",
         round(line.value, 2) if line.value is not None else None, _achieved(line),
         f"{line.reported} / {line.expected}")
        for line in lines
    ]
    return columns, rows


def indicators_sheet(lines: Sequence[IndicatorLine], banner: Sequence[str] = ()) -> Sheet:
    columns, rows = indicator_table(lines)
    return Sheet(_("Показатели"), columns, rows, banner, freeze_columns=1)


def execution_docx(report: ExecutionReport) -> bytes:
    """The report as a DOCX file (bytes)."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))

    lines = heading_lines(report)
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(lines[0])
    run.bold = True
    run.font.size = Pt(13)
    for line in lines[1:]:
        paragraph = document.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER

    rows: list[tuple[str, ...] | str] = []
    for part in report.sections:
        rows.append(part.title)
        for row in part.rows:
            rows.append((_number(row), row.task.activity, row.deadline(), row.responsible,
                         row.mark_text(), row.document()))
    _docx_table(document, [_(h) for h in HEADERS], rows, WIDTHS_CM)

    if report.matrix.indicators and report.org is None:
        heading = document.add_paragraph()
        heading.add_run(_("Показатели")).bold = True
        columns, table = indicator_table(report.matrix.indicators)
        _docx_table(document, [c.header for c in columns],
                    [tuple("" if v is None else str(v) for v in row) for row in table],
                    INDICATOR_WIDTHS_CM)

    for n, unit in enumerate(report.organisations, start=1):
        marks = report.marks_of(unit)
        if not marks or report.org is not None:  # one organisation: the table above
            continue
        document.add_page_break()
        heading = document.add_paragraph()
        heading.add_run(_("Приложение {n}. {name}").format(n=n, name=unit.name)).bold = True
        _docx_table(
            document,
            [_(h) for h in APPENDIX_HEADERS],
            [(_number(row), row.task.activity, row.deadline(), mark.text(), mark.document())
             for row, mark in marks],
            APPENDIX_WIDTHS_CM,
        )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_table(
    document: object, headers: Sequence[str], rows: Sequence[tuple[str, ...] | str],
    widths: Sequence[float],
) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table = document.add_table(rows=1 + len(rows), cols=len(headers))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.autofit = False
    header = table.rows[0]
    # Repeat the header row at the top of every page.
    properties = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)
    for cell, text in zip(header.cells, headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for r, row in enumerate(rows, start=1):
        cells = table.rows[r].cells
        if isinstance(row, str):  # a section: one cell across the table
            merged = cells[0].merge(cells[-1])
            merged.text = ""
            merged.paragraphs[0].add_run(row).bold = True
            continue
        for cell, text in zip(cells, row, strict=True):
            lines = (text or "").split("\n")
            cell.text = lines[0]
            for more in lines[1:]:
                cell.add_paragraph(more)
    # Word reads the cell widths, LibreOffice the grid's: set both.
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


# ---------------------------------------------------------------- XLSX


def _mark_date(mark: Mark | None) -> object:
    return mark.done_at.date() if mark is not None and mark.done_at else None


def execution_xlsx(report: ExecutionReport) -> bytes:
    """The report as an XLSX workbook (bytes): the rows, then the matrix."""
    columns = [
        Column(_("№"), 8), Column(_("Мероприятие"), 50), Column(_("Срок"), 22),
        Column(_("Дата срока"), 12, DATE), Column(_("Ответственный"), 28),
        Column(_("Отметка о выполнении"), 30), Column(_("Дата выполнения"), 13, DATE),
        Column(_("Подтверждающий документ"), 36),
    ]
    rows: list[Sequence[object]] = []
    sections: set[int] = set()
    for part in report.sections:
        sections.add(len(rows))
        rows.append((part.title,))
        for row in part.rows:
            single = row.marks[0] if len(row.marks) == 1 else None
            dues = [m.due for m in row.marks if m.due is not None]
            rows.append((
                _number(row), row.task.activity, row.deadline(), min(dues) if dues else None,
                row.responsible, row.mark_text(), _mark_date(single), row.document(),
            ))
    sheets = [Sheet(_("Отчёт"), columns, rows, heading_lines(report), frozenset(sections),
                    freeze_columns=2)]

    tasks = list(report.rows())
    units = [u for u in report.matrix.units if report.org is None or u.org == report.org]
    if units and tasks:
        matrix_columns = [Column(_("Организация"), 36)] + [
            Column(_number(t), 7) for t in tasks
        ]
        matrix_rows: list[Sequence[object]] = []
        fills: dict[tuple[int, int], str] = {}
        for r, unit in enumerate(units):
            line: list[object] = [unit.name]
            for c, row in enumerate(tasks, start=1):
                cell = report.matrix.cell(row.task.id, unit)
                if cell is None:
                    line.append("—")
                    continue
                line.append(MARKS.get(cell.status, "?"))
                fills[(r, c)] = COLOURS.get(cell.status, "#ffffff")
            matrix_rows.append(line)
        legend = "; ".join(f"{MARKS[s]} — {status_label(s)}" for s in REPORT_STATUSES)
        sheets.append(Sheet(_("Матрица"), matrix_columns, matrix_rows,
                            [_("Организации × мероприятия"), legend],
                            fills=fills, freeze_columns=1,
                            centred=frozenset(range(1, len(matrix_columns)))))
    if report.matrix.indicators and report.org is None:
        sheets.append(indicators_sheet(report.matrix.indicators, heading_lines(report)[:1]))
    return workbook_bytes(sheets)
