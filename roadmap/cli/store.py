"""roadmap store commands."""

from __future__ import annotations
