"""The generated parts of the documentation, so that they cannot drift:

- ``docs/settings.md``: the table of every setting, from :data:`roadmap.settings.SPEC`;
- ``docs/plan-format.md``: the table of deadline phrases and what the
  engine makes of them, from the engine's own examples
  (``tests/data/cases.json``, the phrases of the real plans) read by the
  engine itself.

Each generated part sits between ``<!-- generated: NAME -->`` and
``<!-- end: NAME -->`` in its file. ``scripts/docs.sh`` rewrites them; a
test checks the files are current.

Example::

    text = replace_generated(text, "settings", settings_table())
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, time
from pathlib import Path
from typing import Any

from roadmap.deadlines.api import Context, interpret
from roadmap.settings import SPEC

SETTINGS_DOC = Path("docs/settings.md")
PLAN_FORMAT_DOC = Path("docs/plan-format.md")
CASES = Path("tests/data/cases.json")
SHOWN_WINDOWS = 3  # windows listed per phrase before «… всего N»


# Defaults worked out when the settings are read, not written in the spec.
_DERIVED = {
    "data_dir": "каталог данных пользователя (Linux: ~/.local/share/roadmap)",
    "db_url": "sqlite:///<data_dir>/roadmap.db",
    "user": "пользователь ОС",
}


def _default(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def settings_table() -> str:
    """Markdown: key in the YAML file, its ``ROADMAP_*`` variable, default,
    what it accepts, what it does."""
    lines = [
        "| ключ в файле | переменная окружения | по умолчанию | значение | что задаёт |",
        "|---|---|---|---|---|",
    ]
    for option in SPEC:
        lines.append(
            f"| `{option.key}` | `{option.env}` "
            f"| {_DERIVED.get(option.key) or '`' + _default(option.default) + '`'} "
            f"| {option.accepts} | {option.doc} |"
        )
    return "\n".join(lines)


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _windows(occurrences: Iterable[Any]) -> str:
    found = list(occurrences)
    shown = [
        f"{_day(w.start)}–{_day(w.due)}" if w.start else f"до {_day(w.due)}"
        for w in found[:SHOWN_WINDOWS]
    ]
    if len(found) > SHOWN_WINDOWS:
        shown.append(f"… всего {len(found)}")
    return "; ".join(shown)


def phrase_table(cases: Iterable[Mapping[str, Any]]) -> str:
    """Markdown: each distinct phrase of ``cases`` (``text``, ``period``
    «START..END», ``school_years``), in the plan period it comes from, and
    what the engine understands by it."""
    lines = [
        "| как написано в плане | период плана | что это значит |",
        "|---|---|---|",
    ]
    seen: set[str] = set()
    for case in cases:
        text = str(case["text"])
        if text in seen:
            continue
        seen.add(text)
        start, end = (date.fromisoformat(p) for p in str(case["period"]).split(".."))
        meaning = interpret(text, Context(start, end, bool(case.get("school_years"))))
        if meaning.occurrences:
            what = _windows(meaning.occurrences)
        elif meaning.on_demand:
            what = "по мере необходимости (без даты)"
        else:
            what = "срок не указан (без даты)"
        years = " (уч. годы)" if case.get("school_years") else ""
        cell = text.replace("|", "\\|")
        lines.append(f"| «{cell}» | {_day(start)}–{_day(end)}{years} | {what} |")
    return "\n".join(lines)


def replace_generated(text: str, name: str, body: str) -> str:
    """``text`` with the part between the markers of ``name`` replaced by
    ``body`` (:class:`ValueError` when the markers are missing)."""
    pattern = re.compile(
        rf"(<!-- generated: {re.escape(name)} -->\n).*?(<!-- end: {re.escape(name)} -->)",
        re.DOTALL,
    )
    if not pattern.search(text):
        raise ValueError(f"no generated part {name!r}")
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text, count=1)


def generated(root: Path) -> dict[Path, str]:
    """Every generated document under ``root`` (the clone) as it should read."""
    cases = json.loads((root / CASES).read_text(encoding="utf-8"))
    settings = (root / SETTINGS_DOC).read_text(encoding="utf-8")
    plan_format = (root / PLAN_FORMAT_DOC).read_text(encoding="utf-8")
    return {
        root / SETTINGS_DOC: replace_generated(settings, "settings", settings_table()),
        root / PLAN_FORMAT_DOC: replace_generated(plan_format, "phrases", phrase_table(cases)),
    }


def update_docs(root: Path) -> list[Path]:
    """Rewrite the generated parts under ``root``; returns the files changed."""
    changed = []
    for path, text in generated(root).items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
