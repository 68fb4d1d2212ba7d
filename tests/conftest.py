"""Suite-wide test settings, and the shared end-to-end fixtures of
``tests/fixtures.py`` (plan tree, ``run``, ``loaded``, ``make_app``, ...)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from roadmap.i18n import set_language

pytest_plugins = ("tests.fixtures",)

# Speed is measured by benchmarks, not by tests: no per-example deadline.
# Under CI the examples are derandomized so a run is reproducible.
settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(autouse=True)
def _russian_by_default() -> Iterator[None]:
    """Each test starts in the default language: a ``--lang en`` run in an
    earlier test must not leak into the next one."""
    set_language("ru")
    yield
    set_language("ru")
