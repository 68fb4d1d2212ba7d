"""Is the database sound? Checks, online backups and plain words for failures.

A damaged SQLite file (a bad page, a torn write, a disk error) or a schema
that drifted from the code's (a table dropped, a column renamed by hand)
must never reach a user as a traceback, nor be written into:

- :func:`explain_failure` turns an exception met while using the database
  into one :class:`StorageError` — what is wrong, where the file is, what to
  do — or None when the database is not to blame;
- :func:`ensure_intact` runs SQLite's ``PRAGMA quick_check`` and refuses a
  damaged file: ``roadmap load`` calls it before writing, and so should the
  daemon before its daily job;
- :func:`check_database` is ``roadmap db check``: ``PRAGMA integrity_check``
  and ``foreign_key_check`` on SQLite, ``amcheck``'s B-tree checks on
  PostgreSQL where the extension is installed, and the schema compared
  with the code's tables on both;
- :func:`backup_database` is ``roadmap db backup FILE``: SQLite's online
  backup API into a temporary file renamed into place; on PostgreSQL the
  advice to use ``pg_dump``.

Example::

    ensure_intact(engine)                       # StorageError if damaged
    report = check_database(engine)
    backup_database(engine, Path("roadmap-2024-03-01.db"))
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from roadmap.errors import StorageError
from roadmap.i18n import _
from roadmap.storage.db import open_engine, read_only_uri
from roadmap.storage.tables import Base

#: Lines of ``integrity_check`` kept (it can list one per damaged row).
MAX_PROBLEMS = 100
# What SQLite and PostgreSQL say when a table or column is not there.
_DRIFT_MARKS = ("no such table", "no such column", "undefinedtable", "undefinedcolumn",
                "does not exist", "has no column")


@dataclass
class CheckReport:
    """What :func:`check_database` found: ``problems`` (empty when sound)
    and ``notes`` (what could not be checked, and why)."""

    where: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def open_existing(url: str, data_dir: Path | None = None) -> Engine:
    """An engine on the database of ``url`` as it is — not created, not
    migrated — so that a damaged or drifted one can still be examined.
    A SQLite file that does not exist is a :class:`StorageError`."""
    parsed = make_url(url) if "://" in url else None
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not path.is_file():
            raise StorageError(
                _("Файла базы данных нет: {path} (его создаёт roadmap load)").format(path=path)
            )
    return open_engine(url, data_dir, migrate=False)


def where(engine: Engine) -> str:
    """The SQLite file's path, else the URL without its password."""
    if engine.dialect.name == "sqlite":
        return str(engine.url.database)
    return engine.url.render_as_string(hide_password=True)


def damaged(location: str, reason: str) -> StorageError:
    """The one message for a damaged database."""
    return StorageError(
        _(
            "База данных {where} повреждена ({reason}). Ничего не записано. Восстановите её из "
            "резервной копии (roadmap db backup ФАЙЛ делает копии); подробности: roadmap db check"
        ).format(where=location, reason=reason)
    )


def drifted(location: str, reason: str) -> StorageError:
    """The one message for a schema that is not the code's."""
    return StorageError(
        _(
            "Схема базы данных {where} не та, что ждёт программа ({reason}): таблицу или столбец "
            "изменили вручную. Восстановите базу из резервной копии; подробности: roadmap db check"
        ).format(where=location, reason=reason)
    )


def _reason(err: BaseException | str) -> str:
    """The first line of what the driver said, without the damaged text
    itself («Could not decode to UTF-8 column 'x' with text '…'»)."""
    if isinstance(err, DBAPIError) and err.orig is not None:
        err = err.orig
    lines = [line for line in str(err).strip().splitlines() if "***" not in line]
    first = lines[0] if lines else type(err).__name__
    return first.split(" with text ")[0][:200]


def _sqlite_connect(path: str) -> sqlite3.Connection:
    """A read-only connection of its own (the engine's pool may be the
    thing that broke)."""
    uri = read_only_uri(Path(path)) or "file:" + quote(str(Path(path).resolve())) + "?mode=ro"
    connection = sqlite3.connect(uri, uri=True, timeout=30)
    # A damaged page may put any bytes into integrity_check's messages.
    connection.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
    return connection


def _quick_check(path: str, pragma: str = "quick_check") -> list[str]:
    """The problems ``PRAGMA quick_check``/``integrity_check`` lists
    (empty when the file is sound); a file too broken to check is one.
    A file that cannot be opened now (missing, locked) is not called
    damaged: :class:`sqlite3.OperationalError` is the caller's."""
    try:
        with contextlib.closing(_sqlite_connect(path)) as connection:
            rows = connection.execute(f"PRAGMA {pragma}({MAX_PROBLEMS})").fetchall()
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as err:  # «file is not a database», «malformed»
        return [str(err)]
    except UnicodeDecodeError:  # SQLite's own message quoted damaged bytes
        return ["malformed database schema"]
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


def ensure_intact(engine: Engine) -> None:
    """Refuse (:class:`StorageError`) a database not fit to be written:
    a SQLite file that fails ``PRAGMA quick_check`` (PostgreSQL guards its
    own pages), or a schema that lacks a table or column of the code's."""
    _ensure_sound_file(engine)
    missing = schema_problems(engine)
    if missing:
        raise drifted(where(engine), "; ".join(missing[:3]))


def _ensure_sound_file(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    try:
        problems = _quick_check(str(engine.url.database))
    except sqlite3.OperationalError as err:
        raise StorageError(
            _("Не удаётся открыть базу данных {url}: {reason}").format(
                url=where(engine), reason=_reason(err)
            )
        ) from err
    if problems:
        raise damaged(where(engine), _reason(problems[0]))


def explain_failure(engine: Engine, err: BaseException) -> StorageError | None:
    """One clear :class:`StorageError` for ``err``, met while using
    ``engine``'s database, when the database is to blame (damaged, schema
    drifted, or the driver failed); None when it is not (a bug to report).

    Any error is checked against the file: corrupt pages also surface as
    undecodable text or JSON, not only as «database disk image is malformed»."""
    location = where(engine)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        with contextlib.suppress(sqlite3.OperationalError):  # cannot tell: go on
            problems = _quick_check(str(engine.url.database))
            if problems:
                return damaged(location, _reason(problems[0]))
    if isinstance(err, DBAPIError | sqlite3.Error):
        reason = _reason(err)
        lowered = (reason + " " + type(getattr(err, "orig", err)).__name__).lower()
        if any(mark in lowered for mark in _DRIFT_MARKS):
            return drifted(location, reason)
        if "readonly" in lowered or "read-only" in lowered:
            return StorageError(
                _(
                    "База данных {where} доступна только для чтения (файл или диск защищены "
                    "от записи): показывать можно, записывать нельзя"
                ).format(where=location)
            )
        if sqlite and isinstance(getattr(err, "orig", err), sqlite3.DatabaseError) and (
            "malformed" in lowered or "not a database" in lowered or "decode" in lowered
        ):
            return damaged(location, reason)
        return StorageError(
            _("Ошибка базы данных {where}: {reason}; проверьте её: roadmap db check").format(
                where=location, reason=reason
            )
        )
    if sqlite and isinstance(err, UnicodeDecodeError | json.JSONDecodeError):
        return damaged(location, _reason(err))
    return None


def schema_problems(engine: Engine) -> list[str]:
    """Tables and columns of the code's schema that the database lacks."""
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    problems: list[str] = []
    if not present & set(Base.metadata.tables):
        return [_("в базе нет таблиц roadmap (их создаёт первая команда, например roadmap load)")]
    if "alembic_version" not in present:
        problems.append(_("нет таблицы {table}").format(table="alembic_version"))
    for table in Base.metadata.sorted_tables:
        if table.name not in present:
            problems.append(_("нет таблицы {table}").format(table=table.name))
            continue
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in columns:
                problems.append(
                    _("в таблице {table} нет столбца {column}").format(
                        table=table.name, column=column.name
                    )
                )
    return problems


def check_database(engine: Engine) -> CheckReport:
    """``roadmap db check``: every problem found, never raising for one.

    ``engine`` should be opened without migrating (``open_engine(...,
    migrate=False)``), so that a damaged file can still be examined."""
    report = CheckReport(where(engine))
    if engine.dialect.name == "sqlite":
        try:
            report.problems += _quick_check(str(engine.url.database), "integrity_check")
        except sqlite3.OperationalError as err:
            report.problems.append(_reason(err))
        if report.problems:
            return report  # the schema cannot be read from a broken file
        with contextlib.closing(_sqlite_connect(str(engine.url.database))) as connection:
            for table, rowid, parent, _fk in connection.execute("PRAGMA foreign_key_check"):
                report.problems.append(
                    _("строка {rowid} таблицы {table} ссылается на несуществующую в {parent}").format(
                        rowid=rowid, table=table, parent=parent
                    )
                )
    elif engine.dialect.name == "postgresql":
        report.problems += _amcheck(engine, report.notes)
    try:
        report.problems += schema_problems(engine)
    except SQLAlchemyError as err:
        report.problems.append(_reason(err))
    return report


def _amcheck(engine: Engine, notes: list[str]) -> list[str]:
    """``bt_index_check`` of every B-tree index of the public schema, where
    the ``amcheck`` extension is installed (``CREATE EXTENSION amcheck``)."""
    with engine.connect() as connection:
        installed = connection.execute(
            text("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")
        ).first()
        if installed is None:
            notes.append(
                _(
                    "расширение amcheck не установлено: индексы не проверены "
                    "(CREATE EXTENSION amcheck от имени администратора)"
                )
            )
            return []
        indexes = connection.execute(
            text(
                "SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE a.amname = 'btree' AND n.nspname = current_schema()"
            )
        ).all()
        problems = []
        for oid, name in indexes:
            try:
                with connection.begin_nested():
                    connection.execute(text("SELECT bt_index_check(:oid)"), {"oid": oid})
            except DBAPIError as err:
                problems.append(f"{name}: {_reason(err)}")
        connection.rollback()
    return problems


def backup_database(engine: Engine, dest: Path) -> int:
    """Copy the SQLite database into ``dest`` while it is in use (SQLite's
    online backup API: a consistent snapshot, writers are not stopped for
    long); the copy appears under ``dest`` only once whole. Returns its size.

    On PostgreSQL a :class:`StorageError` gives the ``pg_dump`` command to
    use instead."""
    if engine.dialect.name != "sqlite":
        url = engine.url
        raise StorageError(
            _(
                "Резервную копию PostgreSQL делает pg_dump: pg_dump --format=custom "
                "--host={host} --port={port} --username={user} --file={file} {db}"
            ).format(
                host=url.host or "localhost", port=url.port or 5432, user=url.username or "",
                file=dest, db=url.database or "",
            )
        )
    _ensure_sound_file(engine)  # a copy of a damaged file is no backup
    folder = dest.parent if str(dest.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise StorageError(
            _("Копия не записана: {path}: {err}").format(path=dest, err=err.strerror or err)
        ) from err
    os.close(fd)
    try:
        with contextlib.closing(_sqlite_connect(str(engine.url.database))) as source, \
                contextlib.closing(sqlite3.connect(temp)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        os.replace(temp, dest)
    except (OSError, sqlite3.Error) as err:
        Path(temp).unlink(missing_ok=True)
        raise StorageError(
            _("Копия не записана: {path}: {err}").format(path=dest, err=_reason(err))
        ) from err
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return dest.stat().st_size
