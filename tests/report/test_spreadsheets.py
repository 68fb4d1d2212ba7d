"""``--format xlsx`` of ``status`` and ``history`` (one writer with the
execution report), and CSV that a spreadsheet cannot turn into formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
from click.testing import Result

from roadmap.formats import to_csv
from tests.fixtures import cli, write_plan_tree
from tests.report.conftest import CITY_A_ID

Run = Callable[..., Result]

HOSTILE = """\
kind: plan
id: hostile-2024
title: План с формулами
authority: Тест
period: {start: 2024-01-01, end: 2024-12-31}
timezone: Europe/Moscow
parties:
  - id: uo
    name: "=HYPERLINK(\\"http://evil.example\\",\\"УО\\")"
sections:
  - id: "1"
    title: Раздел
    tasks:
      - id: "1"
        number: "1"
        activity: "=1+2"
        deadline: до 1 марта 2024 г.
        responsible: {text: "@УО", parties: [uo]}
        result: "+7 отчётов"
      - id: "2"
        number: "2"
        activity: "-минус в начале"
        deadline: до 1 апреля 2024 г.
        responsible: {text: УО, parties: [uo]}
"""


def _book(run: Run, tmp_path: Path, *args: str) -> openpyxl.Workbook:
    out = tmp_path / "out.xlsx"
    result = run(*args, "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    return openpyxl.load_workbook(out)


def test_status_xlsx_has_russian_headers_and_typed_dates(loaded: Run, tmp_path: Path) -> None:
    sheet = _book(loaded, tmp_path, "status", "--plan", CITY_A_ID, "--today", "2025-03-01").active
    header = [c.value for c in sheet[1]]
    assert header[:8] == ["План", "№", "Мероприятие", "Сторона", "Организация", "Начало",
                          "Срок", "Статус"]
    assert sheet.freeze_panes == "D2"
    assert sheet.auto_filter.ref == f"A1:M{sheet.max_row}"
    due = [r[6] for r in sheet.iter_rows(min_row=2) if r[6].value is not None]
    assert due and all(isinstance(c.value, datetime) for c in due)
    assert due[0].number_format == "DD.MM.YYYY"
    statuses = {r[7].value for r in sheet.iter_rows(min_row=2)}
    assert "просрочено" in statuses


def test_status_xlsx_in_english(loaded: Run, tmp_path: Path, env: dict[str, str | None]) -> None:
    sheet = _book(cli(env, "en"), tmp_path, "status", "--plan", CITY_A_ID).active
    assert [c.value for c in sheet[1]][:3] == ["Plan", "No.", "Activity"]
    assert sheet["G2"].number_format == "YYYY-MM-DD"


def test_history_xlsx(loaded: Run, tmp_path: Path) -> None:
    sheet = _book(loaded, tmp_path, "history", CITY_A_ID).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["№", "Когда (UTC)", "Местное время", "Кто"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 11  # the completions of CITY_A in conftest.DONE
    assert all(isinstance(r[1], datetime) and isinstance(r[7], datetime) for r in rows)
    assert {r[3] for r in rows} == {"ivanova"}


def test_formula_cells_stay_text(run: Run, tmp_path: Path) -> None:
    plans = write_plan_tree(tmp_path / "plans", {"hostile-2024.yaml": HOSTILE})
    assert run("load", str(plans)).exit_code == 0
    result = run("status", "--plan", "hostile-2024", "--today", "2024-02-01", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert b"\r\n" in result.stdout_bytes  # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["activity"] == "'=1+2"
    assert rows[0]["party_name"].startswith("'=HYPERLINK")
    assert rows[0]["result"] == "'+7 отчётов"
    assert rows[1]["activity"] == "'-минус в начале"
    assert rows[0]["days_overdue"] == "0"  # numbers are not texts: unchanged

    sheet = _book(run, tmp_path, "status", "--plan", "hostile-2024", "--today", "2024-02-01").active
    cell = sheet["C2"]
    assert (cell.value, cell.data_type) == ("=1+2", "s")  # shown as typed, never computed


def test_csv_neutralises_every_formula_start() -> None:
    text = to_csv(("a",), [(v,) for v in ("=x", "+x", "-x", "@x", "\tx", "\rx", "x=1", -5, None)])
    values = [r[0] for r in csv.reader(io.StringIO(text, newline=""))][1:]
    assert values == ["'=x", "'+x", "'-x", "'@x", "'\tx", "'\rx", "x=1", "-5", ""]
