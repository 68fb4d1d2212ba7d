"""The generated parts of the docs are current, and say what users need:
every setting with its variable and default, every deadline phrase of the
engine's examples with what it means; help is grouped by role."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from roadmap.cli import main
from roadmap.docs import CASES, generated, phrase_table, settings_table
from roadmap.settings import SPEC

REPO = Path(__file__).resolve().parents[1]


def test_generated_docs_are_current() -> None:
    for path, text in generated(REPO).items():
        assert path.read_text(encoding="utf-8") == text, f"run scripts/docs.sh ({path})"


def test_settings_table_names_every_key_variable_and_default() -> None:
    table = settings_table()
    for option in SPEC:
        assert f"| `{option.key}` | `{option.env}` |" in table
    assert "`ROADMAP_FEED_BASE_URL` | `http://127.0.0.1:8080`" in table
    assert "`ROADMAP_LOOKAHEAD_DAYS` | `14`" in table


def test_phrase_table_says_what_each_phrase_means() -> None:
    cases = json.loads((REPO / CASES).read_text(encoding="utf-8"))
    table = phrase_table(cases)
    assert len(table.splitlines()) == 2 + len({c["text"] for c in cases})
    assert "| «в срок до 1 марта 2023 года» | 01.01.2023–31.12.2026 | до 01.03.2023 |" in table
    assert "| «По плану проекта» |" in table and "по мере необходимости" in table
    doc = (REPO / "docs" / "plan-format.md").read_text(encoding="utf-8")
    for topic in ("Зачем `aliases`", "Где живут реестры", "Родительский план",
                  "id в кавычках"):
        assert topic in doc


def test_help_groups_commands_by_role() -> None:
    shown = CliRunner().invoke(main, ["--lang", "ru", "--help"]).output
    order = ["Планы:", "Куратор школы:", "Координатор:", "Календари и почта:", "Сервер:"]
    positions = [shown.index(title) for title in order]
    assert positions == sorted(positions)
    plans = shown[positions[0]:positions[1]]
    assert "validate" in plans and "orgs" in plans and "status" not in plans
    curator = shown[positions[1]:positions[2]]
    assert "done" in curator and "history" in curator
    english = CliRunner().invoke(main, ["--lang", "en", "--help"]).output
    assert "Plans:" in english and "Calendars and mail:" in english
