"""The one XLSX writer (openpyxl) behind every ``--format xlsx``: ``status``,
``history`` and the execution report.

A workbook is a list of :class:`Sheet`: a few banner lines, a header row,
the rows. Every sheet gets a frozen header, filters on the header, column
widths and wrapped text; dates are real dates (``date`` cells formatted
ДД.ММ.ГГГГ in Russian, ГГГГ-ММ-ДД in English), numbers are numbers, and a
text is always text — one starting with «=» is not run as a formula.

Example::

    sheet = Sheet("Статус", [Column("План"), Column("Срок", kind=DATE)],
                  [("irkutsk", date(2024, 5, 31))])
    Path("status.xlsx").write_bytes(workbook_bytes([sheet]))
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from roadmap.i18n import get_language

TEXT, DATE, NUMBER = "text", "date", "number"
MAX_TITLE = 31  # Excel's limit for a sheet name
_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14
    kind: str = TEXT


@dataclass
class Sheet:
    """One worksheet. ``sections``: indexes of ``rows`` that are section
    titles (one text merged across the sheet, bold); ``fills``: background
    colours (``#rrggbb``) by (row index, column index); ``freeze_columns``:
    how many left columns stay in view when scrolling sideways."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[object]]
    banner: Sequence[str] = ()
    sections: frozenset[int] = frozenset()
    fills: Mapping[tuple[int, int], str] = field(default_factory=dict)
    freeze_columns: int = 0
    centred: frozenset[int] = frozenset()  # column indexes


LINE_HEIGHT = 15  # points per line of 11-point text


def _lines(value: object, width: float) -> int:
    """How many lines ``value`` takes wrapped in a column ``width`` characters wide."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(int(width * 0.9), 1)  # a column of width w holds about w digits
    return max(1, sum(-(-len(part) // per_line) or 1 for part in value.split("\n")))


def date_format() -> str:
    return "DD.MM.YYYY" if get_language() == "ru" else "YYYY-MM-DD"


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The workbook of ``sheets`` as XLSX bytes."""
    from openpyxl import Workbook  # here, not at import: every command would pay for it

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for sheet in sheets:
        _write(book, sheet, used)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _title(title: str, used: set[str]) -> str:
    base = (title.translate(_FORBIDDEN).strip() or "Sheet")[:MAX_TITLE]
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: MAX_TITLE - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _write(book: Any, sheet: Sheet, used: set[str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = book.create_sheet(_title(sheet.title, used))
    width = len(sheet.columns)
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(wrap_text=True, vertical="top", horizontal="center")
    bold = Font(bold=True)
    for n, line in enumerate(sheet.banner, start=1):
        cell = ws.cell(n, 1, line)
        cell.data_type = "s"
        cell.font = Font(bold=n == 1, size=12 if n == 1 else 11)
    head = len(sheet.banner) + (2 if sheet.banner else 1)
    for c, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(head, c, column.header)
        cell.data_type = "s"
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill("solid", start_color="F3F3F3")
        ws.column_dimensions[get_column_letter(c)].width = column.width
    ws.row_dimensions[head].height = LINE_HEIGHT * max(
        _lines(column.header, column.width) for column in sheet.columns
    )
    fmt = date_format()
    for r, row in enumerate(sheet.rows):
        excel_row = head + 1 + r
        if r in sheet.sections:
            cell = ws.cell(excel_row, 1, str(row[0]) if row else "")
            cell.data_type = "s"
            cell.font = bold
            cell.alignment = wrap
            if width > 1:
                ws.merge_cells(start_row=excel_row, start_column=1, end_row=excel_row,
                               end_column=width)
            total = sum(column.width for column in sheet.columns)
            ws.row_dimensions[excel_row].height = LINE_HEIGHT * _lines(cell.value, total)
            continue
        if len(row) != width:
            raise ValueError(f"row {r} has {len(row)} cells, not {width}")
        for c, value in enumerate(row):
            cell = ws.cell(excel_row, c + 1)
            if value is None or value == "":
                cell.value = None
            elif isinstance(value, datetime):
                cell.value = value.replace(tzinfo=None)  # Excel has no zones: local time
                cell.number_format = fmt + " HH:MM"
            elif isinstance(value, date):
                cell.value = value
                cell.number_format = fmt
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell.value = value
            else:
                cell.value = str(value)
                cell.data_type = "s"  # text, never a formula
            cell.alignment = centre if c in sheet.centred else wrap
            colour = sheet.fills.get((r, c))
            if colour:
                cell.fill = PatternFill("solid", start_color=colour.lstrip("#").upper())
        # Spreadsheets do not grow a row for wrapped text on opening: give
        # each row the height its longest cell needs.
        ws.row_dimensions[excel_row].height = LINE_HEIGHT * max(
            _lines(value, column.width) for value, column in zip(row, sheet.columns, strict=True)
        )
    last = head + len(sheet.rows)
    ws.freeze_panes = f"{get_column_letter(1 + sheet.freeze_columns)}{head + 1}"
    ws.auto_filter.ref = f"A{head}:{get_column_letter(width)}{max(last, head)}"
    ws.print_title_rows = f"{head}:{head}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
