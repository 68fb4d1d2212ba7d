"""Russian by default, English with --lang en or LANG: every message translated."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner, Result

from roadmap.cli import main
from roadmap.cli.root import help_texts
from roadmap.i18n import language_from_env

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "roadmap/locale/en/LC_MESSAGES/roadmap.po"
MO = PO.with_suffix(".mo")


# As scripts/babel.cfg says: the code and the web pages' templates.
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}


def code_msgids() -> set[str]:
    ids: set[str] = set()
    for package in ("roadmap", "scheduler", "notifications"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=METHODS, options_map=OPTIONS,
            keywords={"_": None, "N_": None, "days_": (1, 1)},
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids | set(help_texts(main))  # docstrings and help= of the command line


def test_every_message_in_the_code_has_an_english_translation() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    def translated(msgid: str) -> bool:
        entry = catalog.get(msgid)
        if entry is None or entry.fuzzy:
            return False
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        return all(forms)  # a plural entry: «day» and «days»

    missing = sorted(m for m in code_msgids() if not translated(m))
    assert not missing, "run scripts/i18n.sh and translate: " + "; ".join(missing[:10])


def test_compiled_catalogue_matches_po() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def compiled_as(m: Message) -> str | tuple[str, ...]:
        if isinstance(m.id, tuple):  # «1 day», «2 days»
            return tuple(compiled.ngettext(m.id[0], m.id[1], n) for n in (1, 2))
        return compiled.gettext(m.id)

    stale = [m.id for m in catalog if m.id and m.string and compiled_as(m) != m.string]
    assert not stale, "run scripts/i18n.sh to recompile: " + "; ".join(map(str, stale[:5]))


def test_language_from_environment() -> None:
    assert language_from_env({"LANG": "en_US.UTF-8"}) == "en"
    assert language_from_env({"LANG": "ru_RU.UTF-8"}) == "ru"
    assert language_from_env({"LANG": "C.UTF-8"}) == "ru"
    assert language_from_env({}) == "ru"
    assert language_from_env({"LANGUAGE": "en", "LANG": "ru_RU.UTF-8"}) == "en"


def test_lang_env_switches_cli_to_english(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    ru = CliRunner().invoke(main, ["validate", str(missing)], env={"LANG": "ru_RU.UTF-8", "LANGUAGE": ""})
    en = CliRunner().invoke(main, ["validate", str(missing)], env={"LANG": "en_US.UTF-8", "LANGUAGE": ""})
    assert "нет такого файла или каталога" in ru.stderr
    assert "no such file or directory" in en.stderr


def test_no_translated_call_hides_inside_an_f_string() -> None:
    # gettext extraction does not look inside f-strings: such text would
    # silently stay Russian under --lang en.
    import ast

    hidden = []
    for package in ("roadmap", "scheduler", "notifications"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.JoinedStr):
                    for inner in ast.walk(node):
                        if (
                            isinstance(inner, ast.Call)
                            and isinstance(inner.func, ast.Name)
                            and inner.func.id in ("_", "N_")
                        ):
                            hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not hidden, "move these _() calls out of f-strings: " + ", ".join(hidden)


def test_help_follows_lang_and_LANG() -> None:
    runner = CliRunner()
    ru_env = {"LANG": "ru_RU.UTF-8", "LANGUAGE": ""}
    en_env = {"LANG": "en_US.UTF-8", "LANGUAGE": ""}
    top = runner.invoke(main, ["--lang", "en", "--help"], env=ru_env)
    assert "road map deadlines" in top.stdout
    assert "Message language" in top.stdout and "Check plans and registers" in top.stdout
    status = runner.invoke(main, ["--lang", "en", "status", "--help"], env=ru_env)
    assert "Only this plan." in status.stdout and "Только" not in status.stdout
    nested = runner.invoke(main, ["feed", "create", "--help"], env=en_env)
    assert "Who the subscription is for" in nested.stdout
    russian = runner.invoke(main, ["status", "--help"], env=ru_env)
    assert "Только этот план." in russian.stdout and "Only this plan." not in russian.stdout
    # The help text of a command listed by its group, in the group's help.
    assert "Сроки" not in runner.invoke(main, ["--help"], env=en_env).stdout


CLICK_PO = ROOT / "roadmap/locale/ru/LC_MESSAGES/click.po"


def test_clicks_own_messages_follow_lang_and_LANG() -> None:
    def roadmap(*args: str, env: dict[str, str]) -> Result:
        return CliRunner().invoke(main, list(args), env=env, prog_name="roadmap")

    ru_env = {"LANG": "ru_RU.UTF-8", "LANGUAGE": ""}
    en_env = {"LANG": "en_US.UTF-8", "LANGUAGE": ""}

    unknown = roadmap("--bogus", env=ru_env)
    assert unknown.exit_code == 2
    assert unknown.stderr.splitlines() == [
        "Использование: roadmap [OPTIONS] COMMAND [ARGS]...",
        "Справка: 'roadmap --help'.",
        "",
        "Ошибка: Нет такого параметра '--bogus'.",
    ]
    missing = roadmap("done", env=ru_env)
    assert "Ошибка: Не указан аргумент 'PLAN'." in missing.stderr
    number = roadmap("status", "--due-within", "abc", env=ru_env)
    assert "Ошибка: Недопустимое значение '--due-within': 'abc' — не число." in number.stderr
    helped = roadmap("status", "--help", env=ru_env).stdout
    assert "Использование: roadmap status" in helped and "Параметры:" in helped
    assert "Показать эту справку и выйти." in helped

    # The same process in English afterwards: nothing of the Russian stays
    # (click keeps each command's help option once made).
    english = roadmap("--lang", "en", "done", env=ru_env)
    assert "Error: Missing argument 'PLAN'." in english.stderr
    assert "Usage: roadmap done [OPTIONS] PLAN TASK" in english.stderr
    helped = roadmap("status", "--help", env=en_env).stdout
    assert "Usage: roadmap status" in helped and "Options:" in helped
    assert "Show this message and exit." in helped and "Показать" not in helped
    top = roadmap("--help", env=en_env).stdout
    assert "Show the version and exit." in top


def test_every_message_of_click_has_a_russian_translation() -> None:
    import click

    with CLICK_PO.open("rb") as handle:
        catalog = read_po(handle)
    ids = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            Path(click.__file__).parent, keywords={"_": None, "ngettext": (1, 2)}
        )
    }
    missing = sorted(
        m for m in ids
        if not (entry := catalog.get(m)) or entry.fuzzy
        or not all(entry.string if isinstance(entry.string, tuple) else (entry.string,))
    )
    assert not missing, "run scripts/i18n.sh and translate click.po: " + "; ".join(missing[:10])
    with CLICK_PO.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert compiled.gettext("Usage:") == catalog.get("Usage:").string == "Использование:"
