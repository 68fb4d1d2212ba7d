"""An irregular table: every source row ends up in a task, a section, or a
finding of the summary — none is dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from tests.fixtures import Run

ROWS = [
    ["План мероприятий (дорожная карта) на 2024 – 2025 годы"],
    ["№ п/п", "Мероприятие", "Срок", "Ответственный", "Результат", "Примечание"],
    ["1", "2", "3", "4", "5", "6"],                                  # column numbers
    ["I.", "Организация", "", "", "", ""],                          # section
    ["1.", "Назначение кураторов", "до 1 марта 2024 г.", "МКУ ИМЦРО, ОО", "Приказ", ""],
    ["", "в каждой школе", "", "", "", ""],                          # continuation
    ["3.1)", "Семинар", "когда-нибудь потом", "УО", "", "перенесён"],  # not understood
    ["3.1)", "Семинар (повтор)", "Ежегодно, май", "УО", "", ""],     # repeated number
    ["", "", "", "", "", ""],                                        # empty
    ["№ п/п", "Мероприятие", "Срок", "Ответственный", "Результат", "Примечание"],  # header again
    ["7", "", "май 2024", "", "", ""],                               # no activity
    ["8", "Отчёт", "Декабрь 2025 г.", "", "Справка", ""],          # no responsible
]


def test_every_source_row_is_accounted_for(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "irregular.csv"
    source.write_text("\n".join(";".join(r) for r in ROWS) + "\n", encoding="utf-8")
    out = tmp_path / "irregular-2024.yaml"
    result = run("import", str(source), "-o", str(out), "--format", "json", "--tz", "Asia/Irkutsk")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    # 10 rows under the header: 1 section + 4 tasks + 1 continuation
    # + 3 skipped (numbers, empty, header again) + 1 finding.
    assert summary["rows"] == 10
    assert (summary["sections"], summary["activities"]) == (1, 4)
    assert (summary["continuations"], summary["skipped"]) == (1, 3)
    assert [(f["place"], f["text"]) for f in summary["findings"]] == [
        ("irregular.csv, строка 11", "7 | май 2024")
    ]
    assert summary["deadlines"] == {"read": 3, "partly": 0, "unread": 1, "missing": 0}
    assert summary["unread"][0]["text"] == "когда-нибудь потом"

    text = out.read_text(encoding="utf-8")
    assert "deadline: когда-нибудь потом  # не распознано: срок не понят" in text
    plan = YAML(typ="safe").load(text)
    assert plan["period"] == {"start": __import__("datetime").date(2024, 1, 1),
                              "end": __import__("datetime").date(2025, 12, 31)}
    section = plan["sections"][0]
    assert (section["number"], section["title"]) == ("I.", "Организация")
    tasks = section["tasks"]
    assert [(t["id"], t["number"]) for t in tasks] == [
        ("1", "1."), ("3.1", "3.1)"), ("3.1-bis", "3.1)"), ("8", "8")
    ]
    assert tasks[0]["activity"] == "Назначение кураторов в каждой школе"
    assert tasks[0]["responsible"]["parties"] == ["mku-imtsro", "oo"]
    assert tasks[1]["note"] == "Примечание: перенесён"
    assert tasks[3]["responsible"]["text"].startswith("TODO")
    checked = run("validate", str(out))
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert "не заполнено" in checked.stdout + checked.stderr


def test_a_table_split_in_two_goes_on_and_other_tables_are_named(
    run: Run, tmp_path: Path
) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("План мероприятий на 2024 год")
    first = document.add_table(rows=0, cols=4)
    for cells in (["№", "Мероприятие", "Срок", "Ответственный"],
                  ["1.", "Организация работы", "", ""],
                  ["1.1", "Назначение", "до 1 марта 2024 г.", "УО"],
                  ["1.2", "Разработка положения о", "Апрель 2024 г.", "УО"]):
        row = first.add_row().cells
        for cell, text in zip(row, cells, strict=True):
            cell.text = text
    document.add_page_break()
    second = document.add_table(rows=0, cols=4)  # the same table after a section break
    for cells in (["", "наставничестве", "", ""], ["1.3", "Отчёт", "Декабрь 2024 г.", "УО"]):
        row = second.add_row().cells
        for cell, text in zip(row, cells, strict=True):
            cell.text = text
    signatures = document.add_table(rows=1, cols=2)
    signatures.cell(0, 0).text = "Начальник УО"
    signatures.cell(0, 1).text = "И. И. Иванов"
    source = tmp_path / "split.docx"
    document.save(str(source))

    out = tmp_path / "split-2024.yaml"
    result = run("import", str(source), "-o", str(out), "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["sections"], summary["activities"], summary["continuations"]) == (1, 3, 1)
    assert summary["findings"] == [{
        "place": "таблица 3", "message": "таблица без заголовков плана, не прочитана",
        "text": "Начальник УО | И. И. Иванов",
    }]
    tasks = YAML(typ="safe").load(out.read_text(encoding="utf-8"))["sections"][0]["tasks"]
    assert [t["activity"] for t in tasks] == [
        "Назначение", "Разработка положения о наставничестве", "Отчёт"
    ]
