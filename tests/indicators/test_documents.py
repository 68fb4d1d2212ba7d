"""Indicators in the documents people open: ``roadmap indicators --format
xlsx`` and the indicators section of the execution report (DOCX and XLSX),
read back with openpyxl and python-docx."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import docx
import openpyxl
import pytest

from tests.fixtures import Run
from tests.indicators.conftest import CITY, set_value


@pytest.fixture(autouse=True)
def _loaded(loaded: Path) -> None:
    """The region and its two towns loaded."""


def test_indicators_as_a_workbook_and_in_the_execution_report(run: Run, tmp_path: Path) -> None:
    for org, num, den in (("school-1", 10, 100), ("school-2", 30, 50), ("school-3", 1, 10)):
        set_value(run, CITY, "teachers-share", "--year", "2023", "--num", str(num),
                  "--den", str(den), "--org", org)
    out = tmp_path / "indicators.xlsx"
    assert run("indicators", CITY, "--format", "xlsx", "-o", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in values if "Показатель" in r)
    share = next(r for r in values if r[2] == 2023 and r[header.index("Значение")] is not None
                 and abs(r[header.index("Значение")] - 41 / 160 * 100) < 0.01)
    assert share[header.index("Сообщили")] == "3 / 3"
    assert share[header.index("Достигнуто")] == "нет"

    report = tmp_path / "report.xlsx"
    assert run("report", CITY, "--format", "xlsx", "-o", str(report)).exit_code == 0
    book = openpyxl.load_workbook(report)
    assert "Показатели" in book.sheetnames
    word = tmp_path / "report.docx"
    assert run("report", CITY, "--format", "docx", "-o", str(word)).exit_code == 0
    document = docx.Document(BytesIO(word.read_bytes()))
    assert any(p.text == "Показатели" for p in document.paragraphs)
    cells = {c.text for t in document.tables for r in t.rows for c in r.cells}
    assert "3 / 3" in cells
