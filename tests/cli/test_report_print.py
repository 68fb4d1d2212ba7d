"""The HTML report printed by a real browser (headless Chromium → PDF,
read back with poppler): landscape pages, the whole matrix in blocks of
columns, each block headed by the organisation column."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures import Run

REPO = Path(__file__).resolve().parents[2]
CITY = "irkutsk-city-2023-2026"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {}


@pytest.mark.slow
@pytest.mark.skipif(
    not (CHROMIUM and shutil.which("pdfinfo") and shutil.which("pdftotext")),
    reason="needs chromium and poppler-utils",
)
def test_printed_report_keeps_the_whole_matrix(run: Run, tmp_path: Path) -> None:
    assert run("load", str(REPO / "plans")).exit_code == 0
    page = tmp_path / "report.html"
    assert run("report", CITY, "--format", "html", "-o", str(page),
               "--today", "2024-03-15").exit_code == 0
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True, timeout=180, check=True,
    )
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    width, height = (float(x) for x in info.split("Page size:")[1].split("pts")[0].split(" x "))
    assert width > height  # landscape
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    tasks = json.loads(run("report", CITY, "--format", "json", "--today", "2024-03-15").stdout)
    numbers = [t["number"] or t["task"] for t in tasks["tasks"]]
    blocks = [numbers[n:n + 8] for n in range(0, len(numbers), 8)]
    assert len(blocks) > 1
    for block in blocks:  # every column is printed, in a block of its own
        assert f"Мероприятия {block[0]} — {block[-1]}" in text
    # The organisation column heads every block (and every page it spans).
    assert text.count("Организация") >= len(blocks)
    for org in tasks["organisations"]:
        assert text.count(org["name"].split()[0]) >= len(blocks)
