"""The composition root: settings, database, clock — built once per command.

The command line and the daemon each make one :class:`App`; the core gets
what it needs from it (never from globals). Everything is built lazily, so a
command that needs no database (``roadmap deadline``) opens none.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from roadmap.errors import RoadmapError
from roadmap.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from roadmap.evidence import EvidenceStore


def utc_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """Injectable «now»; ``today(zone)`` is the plan-local date.

    ``Clock(fixed_today=date(2024, 3, 1))`` pins «today» for ``--today``."""

    def __init__(
        self, now: Callable[[], datetime] = utc_now, fixed_today: date | None = None
    ) -> None:
        self._now = now
        self.fixed_today = fixed_today

    def now(self) -> datetime:
        """An aware UTC timestamp."""
        return self._now().astimezone(UTC)

    def today(self, zone: str) -> date:
        """Today's date in ``zone`` (23:30 UTC is already tomorrow in Irkutsk)."""
        if self.fixed_today is not None:
            return self.fixed_today
        return self.now().astimezone(ZoneInfo(zone)).date()


class App:
    def __init__(
        self,
        config_path: Path | None = None,
        settings: Settings | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._config_path = config_path
        self._settings = settings
        self.clock = clock or Clock()

    @cached_property
    def settings(self) -> Settings:
        return self._settings or load_settings(self._config_path)

    @cached_property
    def engine(self) -> Engine:
        from roadmap.storage.db import open_engine

        return open_engine(self.settings.db_url, data_dir=self.settings.data_dir)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from roadmap.storage.db import session_factory

        return session_factory(self.engine)

    @cached_property
    def evidence_store(self) -> EvidenceStore:
        from roadmap.evidence import EvidenceStore

        return EvidenceStore(
            self.settings.data_dir / "evidence", self.settings["evidence_max_bytes"]
        )

    def explain(self, err: Exception) -> RoadmapError | None:
        """A clear error for ``err`` when the database this app opened is to
        blame (damaged, its schema changed by hand); None otherwise."""
        if "engine" not in self.__dict__:
            return None
        from roadmap.storage.health import explain_failure

        return explain_failure(self.engine, err)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
