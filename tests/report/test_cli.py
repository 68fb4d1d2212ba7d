"""End to end: ``roadmap report`` in every format, on a real SQLite file."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

from click.testing import Result

from tests.report.conftest import CITY_A, CITY_A_ID, CITY_B_ID, REGION_ID, SCHOOL_1, counts

Run = Callable[..., Result]

ORG_NAMES = [SCHOOL_1, "МБОУ СОШ № 2 (пример)", "МАОУ Лицей № 3 (пример)", "МКУ ИМЦРО"]
ACTIVITIES = [
    'Назначение кураторов в ОО <приказ> & "учёт"',
    "Разработка положения о наставничестве",
    "Участие в проекте",
    "Мониторинг",
    "Отчёт за полугодие",
    "Ежегодная конференция наставников",
    "Публикация итогов года",
]


def test_activities_are_those_of_the_plan() -> None:
    # the YAML quotes one activity; make sure the list above matches it
    assert "'" + ACTIVITIES[0] + "'" in CITY_A


def test_json_has_the_documented_shape(loaded: Run) -> None:
    result = loaded("report", CITY_A_ID, "--today", "2025-03-01", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"plan", "today", "tasks", "organisations", "children"} <= set(data)
    assert (data["plan"], data["today"]) == (CITY_A_ID, "2025-03-01")
    task = data["tasks"][0]
    assert {"task", "number", "activity", "counts", "overdue_orgs"} <= set(task)
    assert task["activity"] == ACTIVITIES[0]
    assert task["counts"] == counts(done=2, overdue=2)
    assert [o["name"] for o in task["overdue_orgs"]] == [
        "МБОУ СОШ № 2 (пример)",
        "МАОУ Лицей № 3 (пример)",
    ]
    kinds = {t["task"]: t["kind"] for t in data["tasks"]}
    assert (kinds["1.1"], kinds["1.3"], kinds["1.4"]) == ("dated", "on_demand", "undated")
    orgs = {o["name"]: o for o in data["organisations"]}
    assert set(orgs) == set(ORG_NAMES)
    school_3 = orgs["МАОУ Лицей № 3 (пример)"]
    assert {"org", "name", "counts", "overdue_tasks"} <= set(school_3)
    assert school_3["org"] == "school-3" and school_3["kind"] == "organisation"
    assert school_3["overdue_tasks"] == ["1.1", "1.2", "1.6"]
    assert orgs["МКУ ИМЦРО"]["org"] is None and orgs["МКУ ИМЦРО"]["kind"] == "party"
    assert data["children"] == []
    assert data["counts"] == counts(
        done=5, overdue=6, due_soon=2, upcoming=3, on_demand=3, undated=1
    )


def test_json_of_a_parent_lists_its_children(loaded: Run) -> None:
    result = loaded("report", REGION_ID, "--today", "2025-03-01", "--format", "json")
    assert result.exit_code == 0, result.stderr
    children = json.loads(result.stdout)["children"]
    assert [(c["plan"], c["counts"]) for c in children] == [
        (CITY_A_ID, counts(done=5, overdue=6, due_soon=2, upcoming=3, on_demand=3, undated=1)),
        (CITY_B_ID, counts(done=1, overdue=1)),
    ]
    assert {"plan", "title", "counts"} <= set(children[0])


def test_csv_is_the_matrix_in_long_form(loaded: Run) -> None:
    result = loaded("report", CITY_A_ID, "--today", "2025-03-01", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 20  # 1.1: 4 units, 1.2/1.3/1.5/1.6/1.7: 3 schools, 1.4: МКУ ИМЦРО
    cell = {(r["task"], r["org"] or r["party"]): r for r in rows}
    assert cell[("1.1", "school-1")]["status"] == "done"
    assert cell[("1.1", "school-1")]["name"] == SCHOOL_1
    assert cell[("1.1", "school-3")]["status"] == "overdue"
    assert cell[("1.1", "school-2")]["days_overdue"] == "29"
    assert cell[("1.4", "imcro")]["status"] == "undated"
    assert cell[("1.3", "school-2")]["status"] == "on_demand"
    assert cell[("1.5", "school-1")]["due"] == "2025-03-10"
    assert all(r["status_label"] for r in rows)


def test_table_lists_tasks_organisations_and_children(loaded: Run) -> None:
    result = loaded("report", REGION_ID, "--today", "2025-03-01")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Сегодня: 01.03.2025" in out
    assert "Утверждение региональной программы" in out
    assert "Мониторинг реализации программы" in out
    assert CITY_A_ID in out and CITY_B_ID in out
    assert max(len(line) for line in out.splitlines()) <= 120

    city = loaded("report", CITY_A_ID, "--today", "2025-03-01")
    assert city.exit_code == 0, city.stderr
    assert "просрочено: МБОУ СОШ № 2 (пример), МАОУ Лицей № 3 (пример)" in city.stdout
    assert SCHOOL_1 in city.stdout
    assert "срок не указан" in city.stdout
    assert max(len(line) for line in city.stdout.splitlines()) <= 120


def test_unknown_plan_is_an_error(loaded: Run) -> None:
    result = loaded("report", "test-city-a", "--today", "2025-03-01")
    assert result.exit_code == 1
    assert "Нет плана «test-city-a»" in result.stderr


def test_bad_today_names_the_format(loaded: Run) -> None:
    result = loaded("report", CITY_A_ID, "--today", "01.03.2025")
    assert result.exit_code == 2
    assert "«01.03.2025» — не дата ГГГГ-ММ-ДД" in result.stderr  # the format, not %Y-%m-%d


class Page(HTMLParser):
    """Collects what the checks need and checks that tags nest."""

    VOID: ClassVar[set[str]] = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.in_matrix = False
        self.columns: list[str] = []
        self.row: str | None = None
        self.row_cells: list[str] = []
        self.cells: dict[tuple[str, str], str] = {}
        self._capture: str | None = None
        self._buffer: list[str] = []
        self._activity = False
        self.activities: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag not in self.VOID:
            self.stack.append(tag)
        classes = (attributes.get("class") or "").split()
        if tag == "table" and "matrix" in classes:
            self.in_matrix = True
            self.columns = []  # the page has the whole matrix, then blocks for print
            self.tables += 1
        if tag == "span" and "act" in classes and self._capture:
            self._activity = True  # a column's activity, under its number
            self.activities.append("")
        if self.in_matrix and tag == "th":
            self._capture = "row" if attributes.get("scope") == "row" else "column"
            self._buffer = []
        if self.in_matrix and tag == "td" and self.row is not None:
            index = len(self.row_cells)
            self.row_cells.append(attributes.get("class") or "")
            self.cells[(self.row, self.columns[index + 1])] = attributes.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected </{tag}> (open: {self.stack[-3:]})")
        else:
            self.stack.pop()
        if tag == "table":
            self.in_matrix = False
        if tag == "span":
            self._activity = False
        if tag == "th" and self._capture:
            text = "".join(self._buffer)
            if self._capture == "row":
                self.row, self.row_cells = text, []
            else:
                self.columns.append(text)
            self._capture = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._activity:
            self.activities[-1] += data
        elif self._capture:
            self._buffer.append(data)


def test_html_is_one_self_contained_page(loaded: Run, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    result = loaded(
        "report", CITY_A_ID, "--today", "2025-03-01", "--format", "html", "-o", str(target)
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temp file left
    page_text = target.read_text(encoding="utf-8")

    page = Page()
    page.feed(page_text)
    page.close()
    assert page.problems == [] and page.stack == []
    # self-contained: no scripts, no links, no external resources
    lowered = page_text.lower()
    for needle in ("<script", "<link", "http", "src=", "href=", "url(", "@import"):
        assert needle not in lowered, needle
    # every organisation and activity is there, escaped in the source
    text = "".join(page.text)
    for name in ORG_NAMES:
        assert name in text
        assert html.escape(name) in page_text
    for activity in ACTIVITIES:
        assert activity in text
    assert "<приказ>" not in page_text and "<Ко>" not in page_text
    assert "2025" in text and "01.03.2025" in text
    # colours: the done cell has the done class, the overdue one the overdue class
    assert "st-done" in page.cells[(SCHOOL_1, "1.1")].split()
    assert "st-overdue" in page.cells[("МАОУ Лицей № 3 (пример)", "1.1")].split()
    assert "none" in page.cells[("МКУ ИМЦРО", "1.2")].split()
    assert ".st-done" in page_text  # the class has a colour in the inline CSS
    # legend and labels in Russian
    assert "Обозначения" in text and "Организация" in text


def test_html_to_stdout_and_atomic_replace(loaded: Run, tmp_path: Path) -> None:
    result = loaded("report", CITY_A_ID, "--today", "2025-03-01", "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    again = loaded(
        "report", CITY_A_ID, "--today", "2025-03-01", "--format", "json", "-o", str(target)
    )
    assert again.exit_code == 0, again.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["plan"] == CITY_A_ID


def test_unwritable_output_is_a_clean_error(loaded: Run, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "report.html"
    result = loaded("report", CITY_A_ID, "--format", "html", "-o", str(target))
    assert result.exit_code == 1
    assert "Не удалось записать" in result.stderr and str(target) in result.stderr


def test_html_prints_the_whole_matrix_and_names_columns(loaded: Run, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    result = loaded(
        "report", CITY_A_ID, "--today", "2025-03-01", "--format", "html", "-o", str(target)
    )
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    page = Page()
    page.feed(text)
    page.close()
    assert page.problems == []
    # Paper: landscape, the header row repeated on each page, matrix blocks
    # (here one block: few tasks) shown only in print, the screen one hidden.
    assert "@page { size: A4 landscape" in text
    assert "thead { display: table-header-group; }" in text
    assert '<div class="print-only">' in text and '<div class="screen-only">' in text
    assert page.tables == 2  # the screen matrix and its printed block
    # Every column says its activity (shown in print and on phones), not
    # only in a tooltip; the organisation column heads every block.
    tasks = json.loads(
        loaded("report", CITY_A_ID, "--today", "2025-03-01", "--format", "json").stdout
    )["tasks"]
    activities = [t["activity"] for t in tasks]
    assert page.activities == activities * 2
    assert text.count('<th class="u">Организация</th>') == 2
    assert "@media (max-width: 600px)" in text and "span.act { display: block; }" in text
