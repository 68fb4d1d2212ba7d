"""Start-up: a plain ``roadmap status`` loads only what it needs. The
command modules are imported lazily (``roadmap.cli.COMMANDS``), alembic
only when a migration is due, aiohttp only for ``serve``; a real
``python -m roadmap`` process reports the modules it imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click

from roadmap.cli import COMMANDS, main
from tests.fixtures import Env, process_env

from .conftest import IRK

# Packages a status table does not need: migrations (alembic, mako,
# pygments), HTTP (aiohttp, jinja2), mail and calendars (aiosmtplib,
# icalendar), YAML plans (ruamel), the other commands' modules.
NOT_FOR_STATUS = (
    "alembic", "mako", "pygments", "aiohttp", "jinja2", "aiosmtplib", "icalendar",
    "ruamel", "notifications", "roadmap.web", "roadmap.cli.web", "roadmap.cli.calendar",
    "roadmap.cli.report", "roadmap.cli.store", "roadmap.cli.remind",
)

# Runs the command line in this process, then writes sys.modules to argv[1].
PROBE = """\
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
from roadmap.cli import main
main(prog_name="roadmap")
"""


def imported(tmp_path: Path, env: Env, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), "--lang", "ru", *args],
        env=process_env(env), capture_output=True, text=True, timeout=120, check=False,
    )
    return done, set(json.loads(out.read_text()))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in NOT_FOR_STATUS or m in NOT_FOR_STATUS
                  or any(m.startswith(p + ".") for p in NOT_FOR_STATUS))


def test_status_imports_no_migration_http_mail_or_calendar_code(
    tmp_path: Path, env: Env, loaded: Path
) -> None:
    done, modules = imported(tmp_path, env, "status", "--plan", IRK, "--today", "2024-03-01")
    assert done.returncode == 0, done.stderr
    assert IRK in done.stdout  # the status table of the plan was printed
    assert "roadmap.cli.track" in modules and "sqlalchemy" in modules
    assert heavy(modules) == []


def test_help_lists_every_command_without_importing_them(tmp_path: Path, env: Env) -> None:
    done, modules = imported(tmp_path, env, "--help")
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert f"\n  {name} " in done.stdout
    assert "sqlalchemy" not in modules
    assert not [m for m in modules if m.startswith("roadmap.cli.") and m != "roadmap.cli.root"]


def test_every_registered_command_is_added_by_its_module() -> None:
    ctx = click.Context(main)
    for name, (module, _short) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None, (name, module)
        assert sys.modules[command.callback.__module__] is sys.modules[module]  # type: ignore[union-attr]
    assert set(main.commands) == set(COMMANDS)  # no command outside the registry


def test_a_calendar_file_needs_no_http_server(tmp_path: Path, env: Env, loaded: Path) -> None:
    out = tmp_path / "plan.ics"
    done, modules = imported(tmp_path, env, "ics", "--plan", IRK, "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert not [m for m in modules if m.split(".")[0] in ("aiohttp", "alembic", "jinja2")]
