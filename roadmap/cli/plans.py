"""``roadmap validate``: check plan and register files."""

from __future__ import annotations

from pathlib import Path

import click

from roadmap.app import App
from roadmap.cli.root import main, pass_app
from roadmap.cli.store import stored
from roadmap.i18n import _
from roadmap.plans import check_paths


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Непонятые сроки — ошибки, а не предупреждения.")
@pass_app
def validate(app: App, paths: tuple[Path, ...], strict: bool) -> None:
    """Проверить планы и реестры: все ошибки всех файлов за один проход.

    Родительский план и реестр, которых нет среди файлов, ищутся в базе
    (загруженные раньше)."""
    catalog, problems = check_paths(paths, strict=strict, stored=lambda: stored(app))
    for problem in problems:
        click.echo(str(problem), err=problem.severity == "error")
    for code in sorted(catalog.stored_plans):
        click.echo(_("Родительский план «{id}» взят из базы данных").format(id=code))
    for code in sorted(catalog.stored_registers):
        click.echo(_("Реестр «{id}» взят из базы данных").format(id=code))
    errors = sum(p.severity == "error" for p in problems)
    if errors:
        click.echo(_("Ошибок: {n}").format(n=errors), err=True)
        raise SystemExit(1)
    click.echo(
        _("Проверено: планов {plans}, реестров {registers}; предупреждений {warnings}").format(
            plans=len(catalog.plans),
            registers=len(catalog.registers),
            warnings=len(catalog.warnings),
        )
    )
