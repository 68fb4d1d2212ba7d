"""Errors that carry their exit code and a readable (translated) message.

Nothing below the command line prints or exits: the core raises these, and
one decorator in :mod:`roadmap.cli` turns them into a message on stderr and
an exit status.
"""

from __future__ import annotations

from collections.abc import Sequence


class RoadmapError(Exception):
    """Base of every error a user may see. ``str(err)`` is the message."""

    EXIT_CODE = 1


class UsageError(RoadmapError):
    """The call itself is wrong (bad option value, unknown name)."""

    EXIT_CODE = 2


class ConfigError(RoadmapError):
    """The settings file or environment is invalid."""

    EXIT_CODE = 2


class PlanError(RoadmapError):
    """A plan or register file is invalid; ``problems`` lists every one."""

    EXIT_CODE = 1

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in problems))


class NotFoundError(RoadmapError):
    """A plan, task, party or organisation that does not exist."""

    EXIT_CODE = 1


class StorageError(RoadmapError):
    """The database cannot be used (wrong schema version, locked, ...)."""

    EXIT_CODE = 1


class EvidenceError(UsageError):
    """An evidence file or URL that is refused (the message names the file
    and what is accepted). Failures of the store itself are :class:`StorageError`."""

    EXIT_CODE = 2
