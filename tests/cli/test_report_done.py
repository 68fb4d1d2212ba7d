"""The report says who did what: per done occurrence, who marked it, when,
the note and the evidence's name (JSON and HTML)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli.test_carry import PLAN, PLAN_ID, REGISTER
from tests.fixtures import Run


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {f"{PLAN_ID}.yaml": PLAN, "orgs/carry-city.yaml": REGISTER}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.cells.append(data.strip())


def test_report_names_who_when_note_and_evidence(
    run: Run, loaded: Path, tmp_path: Path
) -> None:
    scan = tmp_path / "Программа наставничества.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")
    assert run("done", PLAN_ID, "1.1", "--org", "school-1", "--evidence", str(scan),
               "--note", "утверждена педсоветом", "--by", "ivanova",
               "--today", "2024-08-20").exit_code == 0
    assert run("done", PLAN_ID, "1.1", "--org", "school-2", "--url", "https://s2.example/p",
               "--by", "petrov", "--today", "2024-08-20").exit_code == 0
    # A reopened one is not done any more: not listed.
    assert run("reopen", PLAN_ID, "1.1", "--org", "school-2", "--reason", "не тот документ",
               "--by", "koord").exit_code == 0

    data = json.loads(run("report", PLAN_ID, "--format", "json", "--today", "2024-08-20").stdout)
    assert len(data["done"]) == 1
    done = data["done"][0]
    assert (done["task"], done["org"], done["name"], done["due"]) == (
        "1.1", "school-1", "МБОУ СОШ № 1 (пример)", "2024-09-01"
    )
    assert (done["by"], done["note"], done["evidence"]) == (
        "ivanova", "утверждена педсоветом", "Программа наставничества.pdf"
    )
    assert done["at"].endswith("+00:00")

    page = tmp_path / "report.html"
    assert run("report", PLAN_ID, "--format", "html", "-o", str(page),
               "--today", "2024-08-20").exit_code == 0
    parser = _Text()
    parser.feed(page.read_text(encoding="utf-8"))
    text = parser.cells
    start = text.index("Выполнено: кто, когда, документ")
    listed = text[start:]
    for expected in ("МБОУ СОШ № 1 (пример)", "01.09.2024", "ivanova",
                     "Программа наставничества.pdf", "утверждена педсоветом"):
        assert expected in listed, expected
    assert "petrov" not in listed
