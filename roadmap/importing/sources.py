"""Reading a road-map document into plain tables: the heading text and the
grids of its tables, whatever the file format.

A :class:`Grid` is a list of rows; each row has one entry per grid column:
the cell's text (line breaks kept as ``\\n``), ``""`` for an empty cell, or
``None`` for a position covered by a merged cell to its left (or, in a PDF,
above). Vertically merged cells of Word and Excel repeat their text down the
rows they cover, as a reader sees them.

Example::

    doc = read_document(Path("plan.docx"))
    doc.heading   # paragraphs before the first table
    doc.tables[0] # [["№", "Мероприятие", …], …]
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roadmap.errors import RoadmapError
from roadmap.i18n import _

Grid = list[list[str | None]]

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED = 200 * 1024 * 1024  # a DOCX/XLSX's parts, unzipped
MAX_CELLS = 200_000  # over all tables: bounded work on a hostile file
MAX_PDF_PAGES = 200
FORMATS = (".docx", ".xlsx", ".csv", ".tsv", ".txt", ".pdf")


class ImportError_(RoadmapError):
    """A document that cannot be read as a road map (exit code 1)."""


@dataclass
class SourceDocument:
    """What a file holds: ``heading`` (paragraphs before, and around, the
    tables), ``tables`` (one :data:`Grid` each) and where each table starts
    (``places``: «таблица 1», «лист План», «страница 2» …)."""

    path: Path
    heading: list[str] = field(default_factory=list)
    tables: list[Grid] = field(default_factory=list)
    places: list[str] = field(default_factory=list)


def read_document(path: Path) -> SourceDocument:
    """The heading and tables of ``path`` (.docx, .xlsx, .csv/.tsv, .pdf).

    Raises :class:`ImportError_` naming the file for an unknown format, an
    unreadable or too large file, and a PDF without a text layer."""
    suffix = path.suffix.lower()
    readers: dict[str, Callable[[Path], SourceDocument]] = {
        ".docx": _read_docx,
        ".xlsx": _read_xlsx,
        ".csv": _read_csv,
        ".tsv": _read_csv,
        ".txt": _read_csv,
        ".pdf": _read_pdf,
    }
    reader = readers.get(suffix)
    if reader is None:
        raise ImportError_(
            _("{path}: неизвестный формат «{suffix}»; принимаются: {formats}").format(
                path=path, suffix=suffix or "—", formats=", ".join(FORMATS)
            )
        )
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ImportError_(
            _("Не удалось прочитать {path}: {err}").format(path=path, err=err.strerror or err)
        ) from err
    if size > MAX_FILE_BYTES:
        raise ImportError_(
            _("{path}: файл больше {limit} МБ").format(path=path, limit=MAX_FILE_BYTES >> 20)
        )
    try:
        if suffix in (".docx", ".xlsx"):
            _check_zip(path)
        doc = reader(path)
    except ImportError_ as err:
        if str(err).startswith(str(path)):
            raise
        raise ImportError_(f"{path}: {err}") from err  # a sheet's or table's limit
    except Exception as err:  # a damaged file: the libraries raise many kinds
        raise ImportError_(
            _("{path}: не удалось прочитать как {kind}: {err}").format(
                path=path, kind=suffix.lstrip(".").upper(), err=err
            )
        ) from err
    if sum(len(row) for table in doc.tables for row in table) > MAX_CELLS:
        raise ImportError_(
            _("{path}: слишком большие таблицы (больше {n} ячеек)").format(path=path, n=MAX_CELLS)
        )
    return doc


def _check_zip(path: Path) -> None:
    """A DOCX/XLSX is a zip: refuse one that unpacks to more than
    :data:`MAX_UNPACKED` bytes (a zip bomb) before any library opens it."""
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED:
        raise ImportError_(
            _("{path}: файл распаковывается больше чем в {limit} МБ").format(
                path=path, limit=MAX_UNPACKED >> 20
            )
        )


# ---------------------------------------------------------------- Word


def _read_docx(path: Path) -> SourceDocument:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    doc = SourceDocument(path)
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = block.text.strip()
            if text:
                doc.heading.append(text)
        elif isinstance(block, Table):
            doc.tables.append(_docx_grid(block))
            doc.places.append(_("таблица {n}").format(n=len(doc.tables)))
    return doc


def _docx_grid(table: Any) -> Grid:
    grid: Grid = []
    if len(table.rows) * len(table.columns) > MAX_CELLS:
        raise ImportError_(_("таблица больше {n} ячеек").format(n=MAX_CELLS))
    for row in table.rows:
        cells: list[str | None] = []
        previous = None
        # A horizontally merged cell comes back once per grid column: the
        # same underlying <w:tc>; only its first column carries the text.
        for cell in row.cells:
            if previous is not None and cell._tc is previous:
                cells.append(None)
                continue
            previous = cell._tc
            cells.append("\n".join(p.text for p in cell.paragraphs).strip())
        grid.append(cells)
    return grid


# ---------------------------------------------------------------- Excel


def _read_xlsx(path: Path) -> SourceDocument:
    import openpyxl

    book = openpyxl.load_workbook(str(path), data_only=True)
    doc = SourceDocument(path)
    for sheet in book.worksheets:
        grid = _xlsx_grid(sheet)
        if not grid:
            continue
        doc.tables.append(grid)
        doc.places.append(_("лист «{name}»").format(name=sheet.title))
    return doc


def _xlsx_value(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return str(value.strftime("%d.%m.%Y"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_grid(sheet: Any) -> Grid:
    if sheet.max_row * sheet.max_column > MAX_CELLS:
        raise ImportError_(
            _("лист «{name}»: больше {n} ячеек").format(name=sheet.title, n=MAX_CELLS)
        )
    rows = [[_xlsx_value(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    grid: Grid = [list(r) for r in rows]
    for merged in sheet.merged_cells.ranges:
        top, left = merged.min_row - 1, merged.min_col - 1
        if top >= len(grid):
            continue
        value = grid[top][left]
        for r in range(top, min(merged.max_row, len(grid))):
            for c in range(left, merged.max_col):
                if c >= len(grid[r]):
                    continue
                # Covered to the right: None; covered below: the text again.
                grid[r][c] = None if c > left else value
    while grid and not any(grid[-1]):
        grid.pop()
    width = max((max((i + 1 for i, c in enumerate(r) if c is None or c), default=0) for r in grid), default=0)
    return [r[:width] for r in grid]


# ---------------------------------------------------------------- CSV


ENCODINGS = ("utf-8-sig", "cp1251")


def _decode(data: bytes, path: Path) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportError_(
        _("{path}: не UTF-8 и не cp1251; сохраните файл в кодировке UTF-8").format(path=path)
    )


def _delimiter(text: str) -> str:
    """The delimiter that splits the most lines into three or more fields
    (a table's rows), of tab, «;» and «,»."""
    lines = text[:200_000].splitlines()
    counts = {d: sum(1 for line in lines if line.count(d) >= 2) for d in ("\t", ";", ",")}
    return max(counts, key=lambda d: counts[d])


def _read_csv(path: Path) -> SourceDocument:
    text = _decode(path.read_bytes(), path)
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".txt") else _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    markup = path.suffix.lower() == ".txt"  # a text extraction may keep <b>, **…**
    # Title lines above the table stay in the grid: the import reads the
    # rows above the header row as the heading.
    grid: Grid = [[(_unmarked(c) if markup else c).strip() for c in row] for row in reader]
    width = max((len(r) for r in grid), default=0)
    for cells in grid:
        cells.extend([""] * (width - len(cells)))
    doc = SourceDocument(path)
    if grid:
        doc.tables.append(grid)
        doc.places.append(path.name)
    return doc


_INLINE = re.compile(r"</?(?:b|i|u|s|em|strong|span|a|sup|sub|font)\b[^<>]*>|\*\*", re.I)
_BLOCK = re.compile(r"</?[a-z][a-z0-9]*\b[^<>]*>", re.I)


def _unmarked(text: str) -> str:
    """A text extraction's markup dropped, the words kept: emphasis
    (``**``, ``<b>``, ``<u>`` …) goes, a block tag (``<p>``, ``<li>``) is a
    line break (joined later like any other)."""
    return _BLOCK.sub("\n", _INLINE.sub("", text))


# ---------------------------------------------------------------- PDF


def _read_pdf(path: Path) -> SourceDocument:
    import pdfplumber

    doc = SourceDocument(path)
    with pdfplumber.open(str(path)) as pdf:
        if len(pdf.pages) > MAX_PDF_PAGES:
            raise ImportError_(
                _("{path}: больше {n} страниц").format(path=path, n=MAX_PDF_PAGES)
            )
        if not any(page.chars for page in pdf.pages):
            raise ImportError_(
                _(
                    "{path}: в PDF нет текстового слоя (это скан). Распознайте текст "
                    "(OCR) или возьмите исходный файл Word/Excel"
                ).format(path=path)
            )
        width: int | None = None
        for number, page in enumerate(pdf.pages, start=1):
            tables = page.find_tables()
            top = min((t.bbox[1] for t in tables), default=page.height)
            if not doc.tables:
                above = page.crop((0, 0, page.width, top)).extract_text() or ""
                doc.heading.extend(line.strip() for line in above.splitlines() if line.strip())
            for table in tables:
                grid = _pdf_grid(table)
                if not grid:
                    continue
                # A table going on over a page break: the same columns again.
                if width is not None and len(grid[0]) == width and doc.tables:
                    doc.tables[-1].extend(grid)  # a repeated header row is skipped later
                    continue
                width = len(grid[0])
                doc.tables.append(grid)
                doc.places.append(_("таблица со страницы {n}").format(n=number))
    return doc



def _pdf_grid(table: Any) -> Grid:
    """pdfplumber gives None for every covered position; a cell covered
    from above (a vertical merge) repeats the text above, as in Word."""
    texts = table.extract()
    boxes = [row.cells for row in table.rows]
    lefts: dict[int, float] = {}
    for row in boxes:
        for c, box in enumerate(row):
            if box is not None:
                lefts.setdefault(c, box[0])
    grid: Grid = []
    for r, row in enumerate(texts):
        cells: list[str | None] = []
        for c, text in enumerate(row):
            if text is not None:
                cells.append(text.strip())
                continue
            left = next((boxes[r][k] for k in range(c - 1, -1, -1) if boxes[r][k] is not None), None)
            from_left = left is not None and left[2] > lefts.get(c, left[2]) + 1
            cells.append(None if from_left or not grid else grid[-1][c])
        grid.append(cells)
    return grid
