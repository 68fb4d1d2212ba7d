"""Engine, sessions, units of work and schema versioning.

SQLite (the default, one file in the data directory) needs care to be safe
with several processes (CLI, daemon) on one file:

- every connection sets ``journal_mode=WAL`` (readers do not block the
  writer), ``foreign_keys=ON`` and a ``busy_timeout`` (wait for a lock
  instead of failing at once);
- pysqlite's own, lazy BEGIN is disabled and we emit BEGIN ourselves in the
  engine's ``begin`` event (the recipe of SQLAlchemy's SQLite docs). A unit
  of work that writes (:func:`write_session`) begins with ``BEGIN
  IMMEDIATE``: it takes the write lock up front, waiting up to the busy
  timeout, so a read-then-write transaction can never fail half way with
  «database is locked» (a deferred transaction that read first cannot be
  upgraded while another process writes, and SQLite does not wait then).

PostgreSQL (``postgresql+psycopg://…``; install the ``postgres`` extra) gets
the same guarantees by other means:

- connections are checked before use (``pool_pre_ping``) and their session
  time zone is UTC;
- a unit of work that writes takes a transaction-level advisory lock
  (:data:`WRITER_LOCK`) first, so writers run one at a time exactly as on
  SQLite (the code's read-then-write units rely on it) while readers never
  wait; ``SET LOCAL lock_timeout`` bounds the wait by the same busy timeout,
  and a writer that times out gets the same :class:`StorageError`;
- :func:`ensure_schema` migrates under that same lock, so two processes
  starting at once do not both migrate;
- :func:`job_lock` lets one process at a time run a named job body (the
  daily digest) when several hosts share the database.

Example::

    engine = open_engine("sqlite:////var/lib/roadmap/roadmap.db", data_dir=Path("/var/lib/roadmap"))
    with write_session(session_factory(engine)) as session:
        load_catalog(session, catalog, now)
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from roadmap.errors import StorageError
from roadmap.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

BUSY_TIMEOUT_MS = 30_000
# Execution option that marks a connection's next transaction as a writer.
WRITE_OPTION = "roadmap_write"
# PostgreSQL: the advisory lock key every writer (and a migration) holds
# for its whole transaction — «road» in ASCII.
WRITER_LOCK = 0x726F6164
# PostgreSQL: the first half of the two-key advisory lock a job body holds
# (:func:`job_lock`) — «jobs» in ASCII; the second half is derived from the
# job's name. Two-key and one-key advisory locks never collide.
JOB_LOCK = 0x6A6F6273
# PostgreSQL: lock_not_available, raised when lock_timeout runs out.
_PG_LOCK_TIMEOUT = "55P03"
MIGRATIONS = "roadmap.storage:migrations"

log = logging.getLogger(__name__)


def open_engine(
    url: str,
    data_dir: Path | None = None,
    *,
    migrate: bool = True,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> Engine:
    """An engine for ``url`` with the schema at the code's version.

    For a SQLite file, its directory (normally ``data_dir``) is created. On
    SQLite and PostgreSQL alike a writer waits up to ``busy_timeout_ms`` for
    another process's write lock, then gets a :class:`StorageError`.
    With ``migrate`` (the default) the schema is created or upgraded, and a
    database newer than the code is refused (:class:`StorageError`)."""
    try:
        return _open_engine(url, data_dir, migrate, busy_timeout_ms)
    except (ArgumentError, NoSuchModuleError) as err:
        raise StorageError(
            _(
                "Неверный адрес базы данных «{url}»: ожидается sqlite:///путь/к/файлу.db "
                "или postgresql+psycopg://пользователь:пароль@хост/база"
            ).format(url=url)
        ) from err
    except ModuleNotFoundError as err:  # only PostgreSQL's driver is optional
        raise StorageError(
            _("Для PostgreSQL нужен драйвер {module}: pip install 'roadmap[postgres]'").format(
                module=err.name
            )
        ) from err
    except DBAPIError as err:  # the server is down, refuses the login, ...
        if isinstance(err.orig, sqlite3.DatabaseError) and not isinstance(
            err.orig, sqlite3.OperationalError
        ):  # «file is not a database», «malformed»: the file, not the access
            from roadmap.storage.health import damaged

            raise damaged(str(make_url(url).database), str(err.orig)) from err
        shown = make_url(url).render_as_string(hide_password=True)
        if "already exists" in str(err.orig):  # tables without their version
            from roadmap.storage.health import drifted

            raise drifted(shown, _("нет таблицы {table}").format(table="alembic_version")) from err
        reason = str(err.orig or err).strip().splitlines()[0]
        raise StorageError(
            _("Не удаётся открыть базу данных {url}: {reason}").format(url=shown, reason=reason)
        ) from err
    except UnicodeDecodeError as err:  # SQLite's message quoted a damaged schema
        from roadmap.storage.health import damaged

        raise damaged(str(make_url(url).database), "malformed database schema") from err
    except OSError as err:
        raise StorageError(
            _("Каталог данных недоступен: {path}: {reason}").format(
                path=err.filename or data_dir, reason=err.strerror or err
            )
        ) from err


def _open_engine(
    url: str, data_dir: Path | None, migrate: bool, busy_timeout_ms: int
) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    sqlite = backend == "sqlite"
    if sqlite:
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            # Each pooled connection would see its own empty database.
            raise StorageError(
                _("Нужен файл базы SQLite, а не база в памяти: {url}").format(url=url)
            )
        read_only = read_only_uri(Path(database))
        if read_only is None:
            if data_dir is not None:
                data_dir.mkdir(parents=True, exist_ok=True)
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url)
        else:  # reads still work; a write is refused by SQLite itself
            engine = create_engine(
                url, creator=lambda: sqlite3.connect(read_only, uri=True, check_same_thread=False)
            )
        _configure_sqlite(engine, busy_timeout_ms, read_only=read_only is not None)
    elif backend == "postgresql":
        # The driver, psycopg 3, comes with the ``postgres`` extra.
        engine = create_engine(url, pool_pre_ping=True)
        _configure_postgresql(engine, busy_timeout_ms)
    else:
        parsed.get_dialect()  # an unknown scheme: NoSuchModuleError, «Неверный адрес»
        raise StorageError(
            _(
                "База данных «{backend}» не поддерживается: roadmap работает с SQLite "
                "(sqlite:///путь/к/файлу.db) и PostgreSQL (postgresql+psycopg://…, "
                "pip install 'roadmap[postgres]')"
            ).format(backend=backend)
        )
    if migrate:
        try:
            ensure_schema(engine)
        except BaseException:
            engine.dispose()  # no pooled connection outlives a refused database
            raise
    return engine


def read_only_uri(database: Path) -> str | None:
    """A read-only SQLite URI for an existing file that cannot be written
    (a read-only file system, a file without write permission); None when
    it can be (or does not exist yet). On a read-only file system nobody
    can change the file, so it is also opened ``immutable``: SQLite then
    needs no ``-shm`` file beside it, which it could not create there."""
    if not database.is_file():
        return None
    uri = "file:" + quote(str(database.resolve()))
    try:
        frozen = bool(os.statvfs(database).f_flag & os.ST_RDONLY)
    except OSError:
        frozen = False
    if frozen:
        return uri + "?mode=ro&immutable=1"
    if not os.access(database, os.W_OK) or not os.access(database.parent, os.W_OK):
        return uri + "?mode=ro"
    return None


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite: we emit BEGIN below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if read_only:  # WAL is the file's own setting: nothing to switch
                return
            _ensure_wal(cursor, busy_timeout_ms)
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def _configure_postgresql(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Raw SQL and server-side date arithmetic see UTC, whatever the
        # server's default zone (the ORM converts to aware UTC regardless).
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute("SET TIME ZONE 'UTC'")
        finally:
            dbapi_connection.autocommit = autocommit

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(WRITE_OPTION):
            # One writer at a time, as on SQLite; wait at most the busy timeout.
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(busy_timeout_ms)}")
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")


def _ensure_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch the file to WAL (a persistent setting of the file).

    Switching needs an exclusive lock and SQLite does not call the busy
    handler for it, so two processes opening a new file at once would see
    «database is locked»: retry for up to the busy timeout."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work that writes: all of it is committed, or none.

    On SQLite the transaction begins with ``BEGIN IMMEDIATE``; on PostgreSQL
    it is an ordinary transaction that first takes the writers' advisory
    lock (see the module doc). A writer that waited the busy timeout in vain
    gets a :class:`StorageError`.

    Example::

        with write_session(app.sessions) as session:
            record_completion(session, occurrence_id, by="ivanova", at=now)
    """
    with factory() as session:
        try:
            # Asking for the connection with the option starts the
            # transaction now, so the first statement already holds the lock.
            session.connection(execution_options={WRITE_OPTION: True})
            yield session
            session.commit()
        except OperationalError as err:
            session.rollback()
            if _is_lock_timeout(err):
                raise _busy() from err
            raise
        except BaseException:
            session.rollback()
            raise


def _job_key(name: str) -> int:
    """A stable signed 32-bit key for ``name`` (the same in every process)."""
    key = zlib.crc32(name.encode("utf-8"))
    return key - (1 << 32) if key >= 1 << 31 else key


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Whether this process may run the job body ``name`` now; held until exit.

    On PostgreSQL a session-level advisory lock (:data:`JOB_LOCK`, a key
    derived from ``name``) is *tried*, never waited for, on a connection of
    its own in autocommit mode (no transaction stays open while the body
    runs). It is released on exit, normal or by an exception, and by the
    server when the connection ends (the process died, the server was
    restarted — then another process may take it while the body still
    runs, which the idempotent jobs tolerate). The body runs in other
    connections: the lock only excludes other holders of the same ``name``
    — in this process or any other — and blocks no reader or writer.
    Yields False when someone else holds it.

    Elsewhere (SQLite: one host, writes already serialized) it always yields
    True and takes nothing.

    Example::

        with job_lock(app.engine, "daily-digest:Asia/Irkutsk") as mine:
            if mine:
                run_the_body()
    """
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = _job_key(name)
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        got = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({JOB_LOCK}, {key})").scalar()
        if not got:
            yield False
            return
        try:
            yield True
        finally:
            _job_unlock(connection, name, key)


def _job_unlock(connection: Connection, name: str, key: int) -> None:
    released = False
    try:
        released = bool(
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({JOB_LOCK}, {key})").scalar()
        )
    except DBAPIError as err:
        log.warning("job lock %s: unlock failed (%s); dropping the connection", name, err.orig)
    finally:
        if not released:
            # A pooled connection must never keep the lock: ending its
            # server session is what frees it.
            connection.invalidate()


def _busy() -> StorageError:
    return StorageError(_("База данных занята другим процессом; повторите позже"))


def _is_lock_timeout(err: OperationalError) -> bool:
    """True when the database gave up waiting for another process's lock."""
    if getattr(err.orig, "sqlstate", None) == _PG_LOCK_TIMEOUT:
        return True
    return isinstance(err.orig, sqlite3.OperationalError) and "locked" in str(err.orig)


def alembic_config(script_location: str = MIGRATIONS) -> Config:
    """A programmatic Alembic configuration (no alembic.ini needed)."""
    from alembic.config import Config  # alembic only to migrate

    config = Config()
    config.set_main_option("script_location", script_location)
    return config


def schema_version(engine: Engine) -> str | None:
    """The database's schema revision, or None for a database without one."""
    with engine.connect() as connection:
        heads = _stored_heads(connection)
    return min(heads) if heads else None


# The lines of a migration script (as alembic writes them) that name its
# revision and the one(s) it revises.
_REVISION = re.compile(r"^(down_)?revision\b[^=]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""['"]([^'"]+)['"]""")


def _code_heads(script_location: str) -> set[str]:
    """The code's head revisions, read from our migration scripts' text
    (importing alembic costs more than most commands; it is needed only
    when a migration runs). Empty when the scripts are elsewhere."""
    if script_location != MIGRATIONS:
        return set()
    revisions: set[str] = set()
    revised: set[str] = set()
    versions = resources.files("roadmap.storage") / "migrations" / "versions"
    for script in versions.iterdir():
        if not script.name.endswith(".py"):
            continue
        for down, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (revised if down else revisions).update(_QUOTED.findall(value))
    return revisions - revised


def _stored_heads(connection: Connection) -> set[str]:
    """The revisions recorded in the database (none for a new one)."""
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


def ensure_schema(engine: Engine, script_location: str = MIGRATIONS) -> None:
    """Create a new schema, or upgrade an older one to the code's version.

    A database whose revision the code does not know (written by a newer
    ``roadmap``) is refused with :class:`StorageError` and left untouched.
    Alembic is imported only when the revisions differ."""
    heads = _code_heads(script_location)
    with engine.connect() as connection:
        current = _stored_heads(connection)
        connection.rollback()
    if heads and current == heads:
        return  # the common case: no alembic, no write lock taken
    from alembic import command  # alembic only to migrate
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = alembic_config(script_location)
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    if current == heads:
        return
    # Check again and migrate under the write lock (BEGIN IMMEDIATE on
    # SQLite, the writers' advisory lock on PostgreSQL): two processes
    # opening a new database at once must not both create the tables.
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                current = set(MigrationContext.configure(connection).get_current_heads())
                unknown = [rev for rev in current if _find(script, rev) is None]
                if unknown:
                    raise StorageError(
                        _(
                            "База данных {url} создана более новой версией roadmap "
                            "(версия схемы {found}, эта программа знает до {known}); "
                            "обновите roadmap"
                        ).format(
                            url=engine.url.render_as_string(hide_password=True),
                            found=", ".join(sorted(unknown)),
                            known=", ".join(sorted(heads)),
                        )
                    )
                if current == heads:
                    return
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
    except OperationalError as err:
        if _is_lock_timeout(err):
            raise _busy() from err
        raise


def _find(script: ScriptDirectory, revision: str) -> object | None:
    try:
        return script.get_revision(revision)
    except Exception:  # alembic raises several kinds for an unknown id
        return None
