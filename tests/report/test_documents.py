"""``roadmap report --format docx|xlsx``: the execution report as the files
a coordinator sends up, opened by python-docx, openpyxl and LibreOffice."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
import pdfplumber
import pytest
from click.testing import Result

from roadmap.status import COLOURS, Status
from tests.importing.documents import convert, soffice
from tests.report.conftest import CITY_A_ID, CITY_B_ID, SCHOOL_1

Run = Callable[..., Result]
TODAY = "2025-03-01"
HEADERS = ["№", "Мероприятие", "Срок", "Ответственный", "Отметка о выполнении",
           "Подтверждающий документ"]
needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) not installed")


def _docx(run: Run, tmp_path: Path, plan: str = CITY_A_ID, *extra: str) -> docx.document.Document:
    out = tmp_path / "report.docx"
    result = run("report", plan, "--today", TODAY, "--format", "docx", "-o", str(out), *extra)
    assert result.exit_code == 0, result.stderr
    return docx.Document(str(out))


def _rows(table: object) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]  # type: ignore[attr-defined]


def test_docx_heading_and_table(loaded: Run, tmp_path: Path) -> None:
    document = _docx(loaded, tmp_path)
    text = [p.text for p in document.paragraphs]
    assert text[0] == "Городской план А (тест)"
    assert "Утверждён: Департамент образования (пример)" in text
    assert "Информация о ходе реализации плана мероприятий по состоянию на 01.03.2025" in text
    main = document.tables[0]
    rows = _rows(main)
    assert rows[0] == HEADERS
    # The section is one merged row across the table.
    section = main.rows[1]
    assert len({id(c._tc) for c in section.cells}) == 1
    by_number = {r[0]: r for r in rows[2:]}
    # 1.1: the МКУ's own mark, then counts over the three schools.
    assert by_number["1.1"][4] == (
        "МКУ ИМЦРО: выполнено 28.02.2025 (ivanova)\n"
        "организации: выполнено: 1 из 3; просрочено: 2 из 3"
    )
    assert by_number["1.4"][2] == "срок не указан"
    # The header row repeats on every page.
    assert main.rows[0]._tr.trPr.xml.count("tblHeader") == 1
    # Landscape.
    section_props = document.sections[0]
    assert section_props.page_width > section_props.page_height


def test_docx_appendix_per_organisation(loaded: Run, tmp_path: Path) -> None:
    document = _docx(loaded, tmp_path)
    headings = [p.text for p in document.paragraphs if p.text.startswith("Приложение")]
    assert headings[0] == f"Приложение 1. {SCHOOL_1}"
    assert len(headings) == len(document.tables) - 1 == 3
    school_1 = {r[0]: r for r in _rows(document.tables[1])[1:]}
    assert school_1["1.1"][3] == "выполнено 28.02.2025 (ivanova)"
    school_2 = {r[0]: r for r in _rows(document.tables[2])[1:]}
    assert school_2["1.1"][3] == "не выполнено, просрочено на 29 дн."


def test_docx_party_plan_shows_marks_and_evidence(loaded: Run, tmp_path: Path) -> None:
    done = loaded("done", CITY_B_ID, "b.2", "--url", "https://example.org/prikaz-15.pdf",
                  "--note", "приказ № 15", "--by", "Петрова", "--today", "2025-01-20")
    assert done.exit_code == 0, done.stderr
    document = _docx(loaded, tmp_path, CITY_B_ID)
    rows = {r[0]: r for r in _rows(document.tables[0])[2:]}
    assert rows["1"][4] == "выполнено 28.02.2025 (ivanova)"
    assert rows["2"][4].startswith("выполнено ") and rows["2"][4].endswith("(Петрова)")
    assert rows["2"][5] == "https://example.org/prikaz-15.pdf\nприказ № 15"
    assert len(document.tables) == 1  # no organisations, no appendix


def test_docx_for_one_organisation(loaded: Run, tmp_path: Path) -> None:
    document = _docx(loaded, tmp_path, CITY_A_ID, "--org", "school-2")
    assert "Организация: МБОУ СОШ № 2 (пример)" in [p.text for p in document.paragraphs]
    rows = {r[0]: r for r in _rows(document.tables[0])[2:]}
    assert rows["1.1"][4] == "не выполнено, просрочено на 29 дн."
    assert len(document.tables) == 1


def test_unknown_org_lists_the_plans_organisations(loaded: Run, tmp_path: Path) -> None:
    result = loaded("report", CITY_A_ID, "--format", "docx", "--org", "school-9",
                    "-o", str(tmp_path / "x.docx"))
    assert result.exit_code == 1
    assert "school-1, school-2, school-3" in result.stderr
    assert not (tmp_path / "x.docx").exists()


def test_org_needs_a_document_format(loaded: Run) -> None:
    result = loaded("report", CITY_A_ID, "--org", "school-1")
    assert result.exit_code == 2


def test_xlsx_rows_and_matrix(loaded: Run, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    result = loaded("report", CITY_A_ID, "--today", TODAY, "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Отчёт", "Матрица"]
    sheet = book["Отчёт"]
    assert sheet["A1"].value == "Городской план А (тест)"
    header = [c.value for c in sheet[5]]  # title, approval, «по состоянию на», a gap
    assert header[:3] == ["№", "Мероприятие", "Срок"] and "Дата срока" in header
    assert sheet.freeze_panes == "C6"
    assert sheet.auto_filter.ref.startswith("A5:H")
    assert "A6:H6" in {str(r) for r in sheet.merged_cells.ranges}  # the section
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=7)}
    due = rows["1.5"][3]
    assert isinstance(due.value, datetime) and due.value.date().isoformat() == "2025-03-10"
    assert due.number_format == "DD.MM.YYYY"
    matrix = book["Матрица"]
    names = [matrix.cell(r, 1).value for r in range(5, matrix.max_row + 1)]
    assert SCHOOL_1 in names
    school_row = 5 + names.index(SCHOOL_1)
    numbers = [c.value for c in matrix[4]]
    cell = matrix.cell(school_row, numbers.index("1.1") + 1)
    assert cell.value == "✓"
    assert cell.fill.start_color.rgb.endswith(COLOURS[Status.DONE].lstrip("#").upper())


def test_english_report(loaded: Run, tmp_path: Path, env: dict[str, str | None]) -> None:
    from tests.fixtures import cli

    out = tmp_path / "report.docx"
    result = cli(env, "en")("report", CITY_A_ID, "--today", TODAY, "--format", "docx",
                            "-o", str(out))
    assert result.exit_code == 0, result.stderr
    document = docx.Document(str(out))
    assert _rows(document.tables[0])[0][4] == "Completion"
    assert any("as of 2025-03-01" in p.text for p in document.paragraphs)


@needs_soffice
@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_libreoffice_opens_and_renders(loaded: Run, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    assert loaded("report", CITY_A_ID, "--today", TODAY, "--format", fmt,
                  "-o", str(out)).exit_code == 0
    pdf = convert(out, "pdf", tmp_path)
    with pdfplumber.open(io.BytesIO(pdf.read_bytes())) as rendered:
        text = "\n".join(page.extract_text() or "" for page in rendered.pages)
    assert "Городской план А (тест)" in text
    assert "Назначение кураторов" in text
