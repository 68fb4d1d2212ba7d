"""The five seed road maps, written as Word, Excel, CSV and PDF documents
(``documents.py``), come back through ``roadmap import`` as plans that
validate and agree with our hand-made ``plans/`` YAML."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from roadmap.model import Plan, Task
from roadmap.plans import check_paths
from tests.fixtures import Run
from tests.importing.documents import (
    PLANS,
    SEEDS,
    load_plan,
    soffice,
    table_sections,
    write_csv,
    write_docx,
    write_pdf,
    write_xlsx,
)

WRITERS: dict[str, Callable[[Plan, Path], Path]] = {
    "docx": write_docx,
    "xlsx": write_xlsx,
    "csv": write_csv,
    "pdf": write_pdf,
}
needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) not installed")
FORMATS = ["docx", "xlsx", "csv", pytest.param("pdf", marks=needs_soffice)]


def _imported(run: Run, source: Path, plan_id: str, tmp_path: Path, *extra: str) -> Plan:
    out = tmp_path / "draft" / f"{plan_id}.yaml"
    out.parent.mkdir(exist_ok=True)
    result = run("import", str(source), "-o", str(out), *extra)
    assert result.exit_code == 0, result.stderr
    validated = run("validate", str(out), str(PLANS / "orgs"))
    assert validated.exit_code == 0, validated.stdout + validated.stderr
    catalog, problems = check_paths([out, PLANS / "orgs"])
    assert not [p for p in problems if p.severity == "error"]
    return catalog.plans[plan_id]


def _text(value: str | None, fmt: str) -> str | None:
    # A PDF keeps no line-break information: where a line ended inside a
    # word or at a double space cannot be told from the page. Its texts are
    # compared without whitespace (same characters, same order).
    if value is None or fmt != "pdf":
        return value
    return re.sub(r"\s+", "", value)


def _parties(task: Task) -> tuple[frozenset[str], frozenset[str]]:
    co = task.co_responsible.parties if task.co_responsible else ()
    return frozenset(task.responsible.parties), frozenset(co)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("plan_id", SEEDS)
def test_seed_document_imports_as_the_hand_made_plan(
    run: Run, tmp_path: Path, plan_id: str, fmt: str
) -> None:
    expected = load_plan(plan_id)
    source = WRITERS[fmt](expected, tmp_path / f"{plan_id}.{fmt}")
    got = _imported(run, source, plan_id, tmp_path, "--register", str(PLANS / f"{plan_id}.yaml"),
                    "--register", str(PLANS / "orgs"))

    want_sections = table_sections(expected)
    assert [(s.number, _text(s.title, fmt)) for s in got.sections] == [
        (s.number, _text(s.title, fmt)) for s in want_sections
    ]
    want = [t for s in want_sections for t in s.tasks]
    have = list(got.tasks())
    assert [t.number for t in have] == [t.number for t in want]
    for field in ("activity", "deadline", "result"):
        assert [_text(getattr(t, field), fmt) for t in have] == [
            _text(getattr(t, field), fmt) for t in want
        ], field
    # Same register → the same party ids, for every task.
    assert [_parties(t) for t in have] == [_parties(t) for t in want]
    if fmt != "pdf":
        assert got.title == expected.title
    assert got.document == expected.document
    assert got.period == expected.period
    assert got.school_years == expected.school_years


@pytest.mark.parametrize("plan_id", SEEDS)
def test_import_agrees_with_show_json(run: Run, tmp_path: Path, plan_id: str) -> None:
    """Loaded side by side, the imported plan and the hand-made one show
    the same tasks: numbers, activities, deadlines, results, parties and
    the dates the deadlines give."""
    source = write_docx(load_plan(plan_id), tmp_path / "plan.docx")
    draft = tmp_path / "draft"
    draft.mkdir()
    out = draft / "imported.yaml"
    assert run("import", str(source), "-o", str(out), "--register",
               str(PLANS / f"{plan_id}.yaml"), "--register", str(PLANS / "orgs")).exit_code == 0
    assert run("load", str(PLANS / f"{plan_id}.yaml"), str(PLANS / "orgs")).exit_code == 0
    loaded = run("load", str(out), str(PLANS / "orgs"))
    assert loaded.exit_code == 0, loaded.stderr

    # A hand-made `schedule:` override is a reader's judgement («май 2022»
    # read as 2023): a draft has only the text, so those dates may differ.
    judged = {t.number for t in load_plan(plan_id).tasks() if t.schedule is not None}

    def tasks(code: str) -> list[dict[str, object]]:
        shown = json.loads(run("show", code, "--format", "json").stdout)
        keys = ("activity", "deadline", "result", "on_demand", "undated")
        return [
            {**{k: t[k] for k in keys}, "parties": sorted(t["parties"]),
             "number": t["number"],
             "occurrences": None if t["number"] in judged else t["occurrences"]}
            for t in shown["tasks"]
            if not t["id"].startswith("order-")  # the order's own text, not its table
        ]

    assert tasks("imported") == tasks(plan_id)


def test_import_without_register_validates_and_lists_new_parties(
    run: Run, tmp_path: Path
) -> None:
    source = write_xlsx(load_plan("glazov-2022-2024"), tmp_path / "glazov.xlsx")
    out = tmp_path / "glazov-draft.yaml"
    result = run("import", str(source), "-o", str(out), "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["activities"] == 35 and summary["sections"] == 4
    created = {p["id"]: p["name"] for p in summary["parties_created"]}
    assert created["oo"] == "Образовательные организации"  # «ОО»: every school
    assert created["profsoyuznyy-komitet"] == "Профсоюзный комитет"  # readable ids
    assert summary["todo"] == ["authority"]
    checked = run("validate", str(out))
    assert checked.exit_code == 0
    assert "authority: не заполнено" in checked.stdout + checked.stderr


def test_cp1251_tab_separated_csv(run: Run, tmp_path: Path) -> None:
    plan = load_plan("bokhan-2022-2024")
    source = write_csv(plan, tmp_path / "bokhan.csv", delimiter="\t", encoding="cp1251")
    got = _imported(run, source, "bokhan-2022-2024", tmp_path)
    assert [t.activity for t in got.tasks()] == [
        t.activity for s in table_sections(plan) for t in s.tasks
    ]
    assert all(t.deadline is None for t in got.tasks())  # the lost date column


@needs_soffice
def test_scanned_pdf_is_refused_clearly(run: Run, tmp_path: Path) -> None:
    from PIL import Image

    scan = tmp_path / "scan.pdf"
    Image.new("RGB", (600, 800), "white").save(scan)
    result = run("import", str(scan))
    assert result.exit_code == 1
    assert "нет текстового слоя" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_format_names_the_accepted_ones(run: Run, tmp_path: Path) -> None:
    odt = tmp_path / "plan.odt"
    odt.write_bytes(b"PK")
    result = run("import", str(odt))
    assert result.exit_code == 1
    assert ".docx, .xlsx, .csv" in result.stderr


def test_damaged_docx_is_a_clear_error(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "plan.docx"
    bad.write_bytes(b"not a zip")
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert "plan.docx" in result.stderr and "Traceback" not in result.stderr


def test_soffice_on_path_when_ci_installs_it() -> None:
    # .ci/run installs LibreOffice; locally the PDF tests skip with a reason.
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed")
    assert soffice() is not None


def test_zip_bomb_is_refused_before_opening(run: Run, tmp_path: Path) -> None:
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member,
    ):
        for _ in range(201):
            member.write(b"\0" * (1 << 20))
    assert bomb.stat().st_size < 1 << 20
    result = run("import", str(bomb))
    assert result.exit_code == 1
    assert "распаковывается больше чем в 200 МБ" in result.stderr
