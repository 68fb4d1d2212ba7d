"""Running ``roadmap`` as a user would, under a time and memory bound.

Hostile input must give bounded work and a clean error: :func:`roadmap`
runs ``python -m roadmap`` in a child process whose address space is capped
(:data:`MEMORY_BYTES`) and which is killed after ``timeout`` seconds, and
:func:`assert_clean` checks the outcome — an exit code of the documented
rule (0, 1 or 2), no traceback, no hang. A fuzzer that drives the core
in-process runs in the same kind of child (:func:`python`), so one slow or
greedy case fails the test instead of the machine.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

#: Address-space cap of a child: far above a normal run (~300 MB), far
#: below what the unbounded cases took (2–5 GB).
MEMORY_BYTES = 1024 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def python(
    args: list[str],
    env: Mapping[str, str],
    *,
    timeout: float = 30,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``python *args`` in the repository, capped in memory and time
    (:class:`subprocess.TimeoutExpired` is a hang)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=dict(env),
        input=stdin,
        capture_output=True,
        timeout=timeout,
        preexec_fn=_cap_memory,
        check=False,
    )


def roadmap(
    *args: str, env: Mapping[str, str], timeout: float = 30, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``python -m roadmap --lang ru *args`` under the bounds."""
    return python(["-m", "roadmap", "--lang", "ru", *args], env, timeout=timeout, stdin=stdin)


def assert_clean(result: subprocess.CompletedProcess[bytes], *codes: int) -> str:
    """The run ended by the rule (one of ``codes``, else 0, 1 or 2) with no
    traceback; returns its stderr as text."""
    err = result.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in err, err[-3000:]
    assert result.returncode in (codes or (0, 1, 2)), (result.returncode, err[-3000:])
    return err
