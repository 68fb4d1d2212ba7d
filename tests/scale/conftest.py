"""Fixtures of the scale tests: every backend (see :mod:`tests.backends`)."""

from __future__ import annotations

from tests.backends import backend, db_url

__all__ = ["backend", "db_url"]
