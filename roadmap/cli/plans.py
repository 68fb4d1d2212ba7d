"""roadmap plans commands."""

from __future__ import annotations
