"""``roadmap db check`` and ``roadmap db backup FILE``: the database itself.

Both work on a damaged file too: the engine is opened without migrating,
and the core (:mod:`roadmap.storage.health`) reports instead of raising.
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import Engine

from roadmap.app import App
from roadmap.cli.root import main, pass_app
from roadmap.i18n import _
from roadmap.storage.health import backup_database, check_database, open_existing


@main.group("db")
def db_group() -> None:
    """База данных: проверка и резервная копия."""


def _unmigrated(app: App) -> Engine:
    return open_existing(app.settings.db_url, app.settings.data_dir)


@db_group.command("check")
@pass_app
def check(app: App) -> None:
    """Проверить базу: целостность файла (SQLite integrity_check, amcheck на
    PostgreSQL) и схему. Код выхода 1, если что-то не так."""
    engine = _unmigrated(app)
    try:
        report = check_database(engine)
    finally:
        engine.dispose()
    for note in report.notes:
        click.echo(_("Замечание: {note}").format(note=note))
    if report.ok:
        click.echo(_("База данных {where} в порядке").format(where=report.where))
        return
    click.echo(_("База данных {where}: найдено проблем {n}:").format(
        where=report.where, n=len(report.problems)), err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    click.echo(_("Восстановите базу из резервной копии (roadmap db backup ФАЙЛ делает копии)"),
               err=True)
    click.get_current_context().exit(1)


@db_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup(app: App, file: Path) -> None:
    """Сделать резервную копию базы SQLite в FILE, не останавливая работу
    (для PostgreSQL — подсказка, как это сделать pg_dump)."""
    engine = _unmigrated(app)
    try:
        size = backup_database(engine, file)
    finally:
        engine.dispose()
    click.echo(_("Копия базы записана: {path} ({size} байт)").format(path=file, size=size))
