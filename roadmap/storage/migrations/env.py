"""Alembic environment: runs on the connection handed over by ensure_schema.

There is no alembic.ini: :func:`roadmap.storage.db.alembic_config` builds the
configuration and passes an open connection (already inside a write
transaction) in ``config.attributes["connection"]``. Without one (the
``alembic`` command line during development) an engine is made from
``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from roadmap.storage.tables import Base
from roadmap.storage.types import UtcDateTime

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as own:
            _run(own)
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: let autogenerate emit batch ops.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations are frozen snapshots: render our column type as its plain
    # SQL type instead of importing application code.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
run_migrations_online()
