"""Road-map documents built for the import tests, from our hand-made plans.

Each seed road map (``plans/*.yaml``, which encode the five seed documents)
is written back as the table a ministry would publish — in Word, Excel, CSV
and (through LibreOffice) PDF — with the awkward parts real documents have:

- cells broken over several lines;
- section rows merged across the whole table («1. Title»);
- two header rows (a group header over «Мероприятие» | «Срок», vertically
  merged «№ п/п», and a row of column numbers «1 2 3 4 5 6»); the Irkutsk
  oblast table has «Исполнители» over «региональные» | «ОО»;
- continuation rows: every fourth task goes on in a row with an empty
  number.

This module writes files with python-docx, openpyxl and csv directly; it
shares no code with ``roadmap.importing``. The «order» sections of two plans
are directives from the order's text, not rows of its table: left out.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from roadmap.model import Plan, Task
from roadmap.plans import read_catalog

PLANS = Path(__file__).resolve().parents[2] / "plans"
SEEDS = (
    "irkutsk-city-2023-2026",
    "dzerzhinsky-2022-2023",
    "glazov-2022-2024",
    "irkutsk-oblast-2020-2024",
    "bokhan-2022-2024",
)
TABLE_ONLY = "order"  # sections that are not rows of the table


def load_plan(plan_id: str) -> Plan:
    catalog = read_catalog([PLANS / f"{plan_id}.yaml", PLANS / "orgs"])
    return catalog.plans[plan_id]


def table_sections(plan: Plan) -> list:
    return [s for s in plan.sections if s.id != TABLE_ONLY]


def broken(text: str, width: int = 38) -> str:
    """``text`` with line breaks at single spaces, as a narrow Word column
    shows it (never after a hyphen, never inside a double space)."""
    lines: list[str] = []
    current = ""
    i = 0
    while i < len(text):
        ch = text[i]
        breakable = (
            ch == " "
            and len(current) >= width
            and i + 1 < len(text)
            and text[i + 1] != " "
            and current[-1:] not in (" ", "-", "–")
        )
        if breakable:
            lines.append(current)
            current = ""
        else:
            current += ch
        i += 1
    lines.append(current)
    return "\n".join(lines)


@dataclass(frozen=True)
class Row:
    kind: str  # "section" | "task" | "more" (a continuation row)
    cells: tuple[str, ...]


def has_co(plan: Plan) -> bool:
    return any(t.co_responsible for s in table_sections(plan) for t in s.tasks)


def header_rows(plan: Plan) -> tuple[tuple[str | None, ...], tuple[str | None, ...]]:
    """Two header rows; None marks a cell merged with the one to its left."""
    if plan.id == "irkutsk-oblast-2020-2024":
        return (
            ("№ п/п", "Мероприятия", "Сроки исполнения", "Исполнители", None, "Результат"),
            ("№ п/п", "Мероприятия", "Сроки исполнения", "региональные", "ОО", "Результат"),
        )
    first: list[str | None] = ["№ п/п", "Содержание работы", None, "Ответственные исполнители"]
    second: list[str | None] = ["№ п/п", "Наименование мероприятия", "Сроки реализации",
                                "Ответственные исполнители"]
    if has_co(plan):
        first.append("Соисполнители")
        second.append("Соисполнители")
    first.append("Ожидаемый результат")
    second.append("Ожидаемый результат")
    return tuple(first), tuple(second)


def _task_cells(plan: Plan, task: Task, activity: str, result: str) -> tuple[str, ...]:
    cells = [task.number or "", broken(activity), broken(task.deadline or ""),
             broken(task.responsible.text)]
    if has_co(plan) or plan.id == "irkutsk-oblast-2020-2024":
        cells.append(broken(task.co_responsible.text) if task.co_responsible else "")
    cells.append(broken(result))
    return tuple(cells)


def body_rows(plan: Plan) -> list[Row]:
    """The table body: sections, tasks, continuation rows."""
    width = len(header_rows(plan)[0])
    rows: list[Row] = []
    n = 0
    for section in table_sections(plan):
        title = f"{section.number} {section.title}" if section.number else section.title
        rows.append(Row("section", (title,) + ("",) * (width - 1)))
        for task in section.tasks:
            n += 1
            words = task.activity.split(" ")
            if n % 4 == 0 and len(words) > 6 and "  " not in task.activity:
                # The row goes on below with an empty number (a page break).
                half = len(words) // 2
                rows.append(Row("task", _task_cells(plan, task, " ".join(words[:half]),
                                                    task.result or "")))
                more = ["", " ".join(words[half:])] + [""] * (width - 2)
                rows.append(Row("more", tuple(more)))
            else:
                rows.append(Row("task", _task_cells(plan, task, task.activity, task.result or "")))
    return rows


def heading(plan: Plan) -> list[str]:
    lines = []
    if plan.document is not None and plan.document.date is not None:
        lines.append(
            f"Приложение к {plan.document.kind}у от {plan.document.date:%d.%m.%Y} "
            f"№ {plan.document.number}"
        )
    lines.append(plan.title)
    return lines


def numbering_row(plan: Plan) -> tuple[str, ...]:
    return tuple(str(n) for n in range(1, len(header_rows(plan)[0]) + 1))


# ---------------------------------------------------------------- writers


def write_docx(plan: Plan, path: Path) -> Path:
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    section.left_margin = section.right_margin = Cm(1.5)
    for line in heading(plan):
        document.add_paragraph(line)
    first, second = header_rows(plan)
    body = body_rows(plan)
    width = len(first)
    table = document.add_table(rows=3 + len(body), cols=width)
    table.style = "Table Grid"
    for column in range(width):
        top = first[column]
        if top is None:
            continue
        span = column
        while span + 1 < width and first[span + 1] is None:
            span += 1
        cell = table.cell(0, column)
        if span > column:
            cell = cell.merge(table.cell(0, span))
            cell.text = top
            for sub in range(column, span + 1):
                table.cell(1, sub).text = second[sub] or ""
        elif top == second[column]:
            cell = cell.merge(table.cell(1, column))  # two rows high
            cell.text = top
        else:
            cell.text = top
            table.cell(1, column).text = second[column] or ""
    for column, text in enumerate(numbering_row(plan)):
        table.cell(2, column).text = text
    for r, row in enumerate(body, start=3):
        if row.kind == "section":
            merged = table.cell(r, 0).merge(table.cell(r, width - 1))
            merged.text = row.cells[0]
            continue
        for column, text in enumerate(row.cells):
            table.cell(r, column).text = text
    table.autofit = False
    widths = [1.6, 8.0, 3.6, 4.6, 3.6, 4.6] if width == 6 else [1.6, 9.0, 4.0, 5.4, 6.0]
    for row in table.rows:
        for column, cell in enumerate(row.cells):
            cell.width = Cm(widths[column])
    document.save(str(path))
    return path


def write_xlsx(plan: Plan, path: Path) -> Path:
    import openpyxl
    from openpyxl.styles import Alignment

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "План"
    for line in heading(plan):
        sheet.append([line])
    top = sheet.max_row + 1
    first, second = header_rows(plan)
    width = len(first)
    sheet.append(list(first))
    sheet.append(list(second))
    for column in range(width):
        if first[column] is None:
            continue
        span = column
        while span + 1 < width and first[span + 1] is None:
            span += 1
        if span > column:
            sheet.merge_cells(start_row=top, start_column=column + 1, end_row=top,
                              end_column=span + 1)
        elif first[column] == second[column]:
            sheet.merge_cells(start_row=top, start_column=column + 1, end_row=top + 1,
                              end_column=column + 1)
    sheet.append([int(v) for v in numbering_row(plan)])
    for row in body_rows(plan):
        sheet.append(list(row.cells))
        if row.kind == "section":
            r = sheet.max_row
            sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)
    book.save(str(path))
    return path


def write_csv(plan: Plan, path: Path, delimiter: str = ";", encoding: str = "utf-8-sig") -> Path:
    first, second = header_rows(plan)
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        for line in heading(plan):
            writer.writerow([line])
        writer.writerow([c or "" for c in first])
        writer.writerow([
            "" if c == first[n] else c or "" for n, c in enumerate(second)
        ])
        for row in body_rows(plan):
            writer.writerow(row.cells)
    return path


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(source: Path, target_format: str, outdir: Path) -> Path:
    """``source`` converted by LibreOffice headless (checks that it opens)."""
    binary = soffice()
    assert binary is not None
    profile = outdir / ".lo-profile"
    subprocess.run(
        [binary, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         target_format, "--outdir", str(outdir), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    return outdir / (source.stem + "." + target_format.split(":")[0])


def write_pdf(plan: Plan, path: Path) -> Path:
    source = write_docx(plan, path.with_suffix(".docx"))
    return convert(source, "pdf", path.parent)
