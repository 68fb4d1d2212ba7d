"""Imports run one way: the shells (the command line, the web, the daemon)
call the core; the core knows nothing of them, of mail or of HTTP; the web
never borrows from the command line. Each module's imports are read from
its source (every ``import``, also those inside functions)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("roadmap", "notifications", "scheduler")
SHELLS = ("roadmap/cli/", "roadmap/web/", "roadmap/__main__.py")


def imported(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def modules() -> list[str]:
    return sorted(
        p.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
        if "/migrations/" not in p.as_posix()
    )


def refused(module: str) -> tuple[str, ...]:
    """What ``module`` (a path relative to the repository) must not import."""
    if module.startswith("roadmap/web/"):
        return ("roadmap.cli",)
    if module.startswith(SHELLS):
        return ()
    if module.startswith("roadmap/"):  # the core
        return ("roadmap.cli", "roadmap.web", "notifications", "scheduler",
                "aiohttp", "aiosmtplib", "jinja2", "click")
    # notifications/ and scheduler/ sit on the core, beside the other shells.
    return ("roadmap.cli", "roadmap.web")


def test_the_layers_are_found() -> None:
    found = modules()
    assert "roadmap/tracking.py" in found and "roadmap/web/pages.py" in found
    assert "notifications/outbox.py" in found and "scheduler/jobs.py" in found


@pytest.mark.parametrize("module", modules())
def test_imports_run_one_way(module: str) -> None:
    banned = refused(module)
    wrong = sorted(
        name for name in imported(ROOT / module)
        if any(name == b or name.startswith(b + ".") for b in banned)
    )
    assert wrong == [], f"{module} imports {wrong}"
