"""``roadmap import`` options: ids, period, zone, parties from a loaded plan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ruamel.yaml import YAML

from tests.fixtures import Run
from tests.importing.documents import PLANS, load_plan, write_docx


def _draft(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_flags_override_the_heading(run: Run, tmp_path: Path) -> None:
    source = write_docx(load_plan("glazov-2022-2024"), tmp_path / "glazov.docx")
    out = tmp_path / "glazov-draft.yaml"
    result = run("import", str(source), "-o", str(out), "--title", "Мой план",
                 "--period", "2022..2023", "--tz", "Asia/Irkutsk", "--school-years")
    assert result.exit_code == 0, result.stderr
    draft = _draft(out)
    assert (draft["id"], draft["title"], draft["timezone"]) == (
        "glazov-draft", "Мой план", "Asia/Irkutsk")
    assert draft["period"] == {"start": date(2022, 1, 1), "end": date(2023, 12, 31)}
    assert draft["school_years"] is True
    # Found in the heading: the approving order.
    assert draft["document"] == {"kind": "приказ", "number": "70-ОД", "date": date(2022, 4, 22)}


def test_parties_from_a_loaded_plan(run: Run, tmp_path: Path) -> None:
    assert run("load", str(PLANS / "glazov-2022-2024.yaml"), str(PLANS / "orgs")).exit_code == 0
    source = write_docx(load_plan("glazov-2022-2024"), tmp_path / "glazov.docx")
    out = tmp_path / "glazov-copy.yaml"
    result = run("import", str(source), "-o", str(out), "--register", "glazov-2022-2024")
    assert result.exit_code == 0, result.stderr
    assert "Новые стороны" not in result.stdout
    ids = {p["id"] for p in _draft(out)["parties"]}
    assert ids <= {"uo", "uo-head", "coordinator", "oo", "peremena", "iro", "ggpi", "profkom"}


def test_bad_options_are_usage_errors(run: Run, tmp_path: Path) -> None:
    source = write_docx(load_plan("bokhan-2022-2024"), tmp_path / "bokhan.docx")
    cases = [
        (("--period", "2024..2022"), "--period"),
        (("--tz", "Mars/Olympus"), "Asia/Irkutsk"),
        (("-o", str(tmp_path / "Bad_Name.yaml")), "латиница"),
        (("--register", "no-such-plan"), "no-such-plan"),
    ]
    for args, hint in cases:
        result = run("import", str(source), *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert hint in result.stderr
        assert "Traceback" not in result.stderr


def test_yaml_on_stdout_summary_on_stderr(run: Run, tmp_path: Path) -> None:
    source = write_docx(load_plan("bokhan-2022-2024"), tmp_path / "bokhan.docx")
    result = run("import", str(source), "--id", "bokhan-draft")
    assert result.exit_code == 0
    assert _draft_text(result.stdout)["id"] == "bokhan-draft"
    assert "Сроки: прочитано 0, прочитано частично 0, не прочитано 0, не указано 24" in result.stderr


def _draft_text(text: str) -> dict:
    return YAML(typ="safe").load(text)


def test_what_the_document_does_not_say_is_a_todo(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "bare.csv"
    source.write_text(
        "Мероприятие,Срок,Исполнитель\n"
        "Совещание,по мере необходимости,Отдел кадров\n",
        encoding="utf-8",
    )
    out = tmp_path / "bare.yaml"
    result = run("import", str(source), "-o", str(out), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert __import__("json").loads(result.stdout)["todo"] == [
        "title", "authority", "period", "timezone"
    ]
    text = out.read_text(encoding="utf-8")
    assert "# TODO: период плана не указан в документе" in text
    assert "timezone: Europe/Moscow  # TODO: часовой пояс плана не указан в документе" in text
    checked = run("validate", str(out))
    assert checked.exit_code == 0
    assert "title: не заполнено" in checked.stdout + checked.stderr
