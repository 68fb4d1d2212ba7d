"""Two curators, two processes, the same moment, different occurrences:
both completions are recorded (BEGIN IMMEDIATE + busy timeout)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import IRK, Run, child_env


@pytest.mark.slow
def test_two_processes_complete_different_occurrences(
    run: Run, loaded: Path, tmp_path: Path, env: dict[str, str | None]
) -> None:
    docs = []
    for n in (1, 2):
        doc = tmp_path / f"prikaz-{n}.pdf"
        doc.write_bytes(b"the same order, scanned twice")  # same content: same stored file
        docs.append(doc)
    go = tmp_path / "go"
    # Each child waits for the same file to appear, then runs the command.
    starter = (
        "import os, sys, time, runpy\n"
        "while not os.path.exists(sys.argv[1]): time.sleep(0.005)\n"
        "sys.argv = ['roadmap'] + sys.argv[2:]\n"
        "runpy.run_module('roadmap', run_name='__main__')\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", starter, str(go), "--lang", "ru", "done", IRK, "1.1",
             "--org", org, "--evidence", str(doc), "--by", f"curator-{org}",
             "--today", "2023-01-15"],
            env=child_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for org, doc in zip(("school-1", "school-2"), docs, strict=True)
    ]
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, (out, err)
    result = run("history", IRK, "1.1", "--format", "json")
    log = json.loads(result.stdout)
    assert sorted(e["org"] for e in log) == ["school-1", "school-2"]
    assert len({e["evidence"]["sha256"] for e in log}) == 1
    verify = run("evidence", "verify")
    assert verify.exit_code == 0, verify.stdout


def test_python_m_roadmap_is_the_cli(
    run: Run, loaded: Path, env: dict[str, str | None]
) -> None:
    args = ["status", "--plan", IRK, "--format", "json", "--today", "2024-01-10"]
    proc = subprocess.run(
        [sys.executable, "-m", "roadmap", "--lang", "ru", *args],
        env=child_env(env), capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows == json.loads(run(*args).stdout)  # the same command, in-process
    assert {r["plan"] for r in rows} == {IRK} and len(rows) >= 3
