"""Suite-wide test settings, and the shared end-to-end fixtures of
``tests/fixtures.py`` (plan tree, ``run``, ``loaded``, ``make_app``, ...)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

import notifications.digest
import roadmap.deadlines.api
import roadmap.deadlines.expand
import roadmap.deadlines.lexicon
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


@pytest.fixture(autouse=True)
def _fresh_caches_under_mutation() -> None:
    """Under mutation testing (mutmut sets ``MUTANT_UNDER_TEST``) each mutant
    runs in a process forked after the unmutated code filled the deadline
    engine's caches: empty them, or the mutant's own results go unseen."""
    if "MUTANT_UNDER_TEST" not in os.environ:
        return
    modules = (roadmap.deadlines.api, roadmap.deadlines.expand, roadmap.deadlines.lexicon,
               notifications.digest)
    for module in modules:
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()
