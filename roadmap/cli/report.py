"""``roadmap report PLAN``: the coordinator's view of a plan.

The numbers come from :func:`roadmap.report.build_report` (see its module
doc for what «current» means); :mod:`roadmap.report_formats` writes them:

- ``table`` (default): tasks, organisations and child plans, fitted to the
  terminal width;
- ``json``: one object (its keys: :mod:`roadmap.report_formats`);
- ``csv``: the task × organisation matrix in long form, one row per cell;
- ``html``: one self-contained page (inline CSS, no scripts, no external
  resources): a colour matrix of organisations × activities with a legend,
  the task table and the child plans;
- ``docx`` and ``xlsx``: the progress report a coordinator sends up
  («информация о ходе реализации»), built by :mod:`roadmap.execution` and
  written by :mod:`roadmap.execution_files`; ``--org`` limits it to one
  organisation. A binary format needs ``-o FILE`` or a redirected stdout.

With ``-o FILE`` the output is written to a temporary file in the same
directory and renamed over FILE (never a half-written report).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import click

from roadmap.app import App
from roadmap.cli.output import emit_binary, write_output
from roadmap.cli.params import today_option
from roadmap.cli.root import main, pass_app
from roadmap.execution import build_execution_report
from roadmap.execution_files import execution_docx, execution_xlsx
from roadmap.i18n import _
from roadmap.report import build_report
from roadmap.report_formats import FORMATS as TEXT_FORMATS
from roadmap.report_formats import render

DOCUMENTS = {"docx": execution_docx, "xlsx": execution_xlsx}
FORMATS = click.Choice([*TEXT_FORMATS, *DOCUMENTS])


@main.command()
@click.argument("plan")
@today_option
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option("--org", default=None,
              help="Только эта организация (для --format docx и xlsx).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Записать в файл (атомарно) вместо стандартного вывода.",
)
@pass_app
def report(
    app: App, plan: str, today: date | None, fmt: str, org: str | None, output: Path | None
) -> None:
    """Отчёт координатора: сколько организаций выполнили, просрочили и ждут
    каждую задачу плана, просроченные задачи каждой организации, итоги
    дочерних планов. С --format docx или xlsx — информация о ходе
    реализации плана, как её отправляют наверх."""
    if today is not None:
        app.clock.fixed_today = today
    if org is not None and fmt not in DOCUMENTS:
        raise click.UsageError(_("--org работает с --format docx и xlsx"))
    due_soon_days = int(app.settings["lookahead_days"])
    if fmt in DOCUMENTS:
        with app.sessions() as session:
            document = build_execution_report(session, app.clock.today, plan, due_soon_days, org)
        emit_binary(DOCUMENTS[fmt](document), output, fmt)
    else:
        with app.sessions() as session:
            result = build_report(session, app.clock.today, plan, due_soon_days)
        text = render(result, fmt, width=_terminal_width() if output is None else 120)
        if output is None:
            click.echo(text, nl=not text.endswith("\n"))
            return
        write_output(output, text)
    if output is not None:
        click.echo(_("Отчёт записан: {path}").format(path=output), err=True)


def _terminal_width() -> int:
    return max(60, shutil.get_terminal_size((100, 24)).columns)
