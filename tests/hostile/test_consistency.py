"""One rule for exit codes and for what a command needs (issue 18, item 11):
0 success, 1 a problem in the data or the environment, 2 a usage error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from roadmap.errors import StorageError
from roadmap.storage.db import open_engine
from tests.fixtures import cli, cli_env, load_plans, write_plan_tree
from tests.hostile.bounded import ROOT
from tests.test_validate import GOOD_PLAN, REGISTER


@pytest.mark.parametrize("command", ["validate", "load"])
def test_a_missing_path_is_the_same_error_everywhere(tmp_path: Path, command: str) -> None:
    run = cli(cli_env(tmp_path / "data"))
    result = run(command, str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}:1:1: нет такого файла или каталога" in result.stderr


def test_a_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    run = cli(cli_env(tmp_path / "data"))
    assert run("validate").exit_code == 2  # PATH missing
    assert run("plans", "--format", "xml").exit_code == 2


def test_unsupported_backends_name_the_supported_ones() -> None:
    with pytest.raises(StorageError) as caught:
        open_engine("mysql://user@localhost/roadmap")
    message = str(caught.value)
    assert "«mysql» не поддерживается" in message
    assert "SQLite" in message and "PostgreSQL" in message


def test_read_only_commands_work_on_a_read_only_file_system(tmp_path: Path) -> None:
    """The data directory is bind-mounted read-only in a private mount
    namespace (root and ``unshare`` needed; skipped elsewhere)."""
    env = cli_env(tmp_path / "data")
    plans = write_plan_tree(tmp_path / "plans", {"town-2023.yaml": GOOD_PLAN,
                                                 "orgs/town.yaml": REGISTER})
    load_plans(cli(env), plans)
    data = tmp_path / "data"
    script = (
        f"mount --bind {data} {data} && mount -o remount,bind,ro {data} || exit 77\n"
        f"touch {data}/probe 2>/dev/null && exit 77\n"
        f'"{sys.executable}" -m roadmap --lang ru plans --format json || exit $?\n'
        f'"{sys.executable}" -m roadmap --lang ru done town-2023 1.1 --org school-1 '
        f"--url https://school1.example.org/order.pdf\n"
    )
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare(1)")
    proc = subprocess.run(
        [unshare, "-m", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True,
        env={**{k: v for k, v in env.items() if v is not None}, "PATH": "/usr/bin:/bin",
             "PYTHONPATH": str(ROOT)},
        timeout=60, check=False,
    )
    if proc.returncode == 77 or "unshare failed" in proc.stderr or "Operation not permitted" in proc.stderr:
        pytest.skip("cannot make a read-only mount here: " + proc.stderr[-200:])
    assert '"id": "town-2023"' in proc.stdout, proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert "доступна только для чтения" in proc.stderr and "Traceback" not in proc.stderr
