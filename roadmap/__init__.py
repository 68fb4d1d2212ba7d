"""roadmap: deadline tracking for Russian education road maps (дорожные карты)."""

from __future__ import annotations

__version__ = "0.1.0"
