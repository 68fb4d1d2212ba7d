"""The ``roadmap`` command line: a thin shell over the core API.

The group builds one :class:`~roadmap.app.App` (settings, database, clock)
lazily and closes it when the command ends; each command module below adds
its commands to :data:`main`. Errors raised by the core carry their exit code
(:mod:`roadmap.errors`); :func:`handle_errors` turns them into a message.
"""

from __future__ import annotations

from roadmap.cli.root import main, pass_app

# Importing a module registers its commands on ``main``.
from roadmap.cli import deadline as _deadline  # noqa: F401  isort: skip
from roadmap.cli import plans as _plans  # noqa: F401  isort: skip
from roadmap.cli import store as _store  # noqa: F401  isort: skip
from roadmap.cli import track as _track  # noqa: F401  isort: skip
from roadmap.cli import calendar as _calendar  # noqa: F401  isort: skip
from roadmap.cli import remind as _remind  # noqa: F401  isort: skip
from roadmap.cli import report as _report  # noqa: F401  isort: skip
from roadmap.cli import web as _web  # noqa: F401  isort: skip
from roadmap.cli import database as _database  # noqa: F401  isort: skip
from roadmap.cli import indicators as _indicators  # noqa: F401  isort: skip
from roadmap.cli import imports as _imports  # noqa: F401  isort: skip
from roadmap.cli import directory as _directory  # noqa: F401  isort: skip

__all__ = ["main", "pass_app"]
