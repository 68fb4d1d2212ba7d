"""Column types shared by the tables: aware UTC timestamps.

SQLite has no time zone type and SQLAlchemy's ``DateTime`` drops ``tzinfo``
there, so a naive value read back would be ambiguous. :class:`UtcDateTime`
accepts only aware datetimes, stores them in UTC (``timestamptz`` on
PostgreSQL, a naive UTC string on SQLite) and always returns aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware timestamp stored as UTC; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive value would be silently read as UTC later: refuse it here.
            raise ValueError(f"naive datetime {value!r}: timestamps must be aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
