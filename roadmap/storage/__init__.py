"""Storage: SQLAlchemy models, migrations and the repository of plans and completions."""

from __future__ import annotations
