"""The ``roadmap`` command line: a thin shell over the core API.

The group builds one :class:`~roadmap.app.App` (settings, database, clock)
lazily and closes it when the command ends; each command module below adds
its commands to :data:`main`. Errors raised by the core carry their exit code
(:mod:`roadmap.errors`); :func:`handle_errors` turns them into a message.
"""

from __future__ import annotations

from roadmap.cli.root import main, pass_app

# Importing a module registers its commands on ``main``.
from roadmap.cli import deadline as _deadline  # noqa: E402,F401  isort: skip
from roadmap.cli import plans as _plans  # noqa: E402,F401  isort: skip
from roadmap.cli import store as _store  # noqa: E402,F401  isort: skip

__all__ = ["main", "pass_app"]
