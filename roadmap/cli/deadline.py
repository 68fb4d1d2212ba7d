"""roadmap deadline commands."""

from __future__ import annotations
