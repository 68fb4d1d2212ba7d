"""``roadmap remind`` and ``roadmap outbox``: the daily digests by hand.

``remind`` stores today's digests in the outbox, then sends what is due
(the daemon's daily job does the same, see :mod:`scheduler.daemon`); run it
twice and the second run sends nothing new. ``--dry-run`` writes the
messages as ``.eml`` files instead and changes nothing in the database.
``outbox`` lists the stored messages; ``outbox retry ID`` puts a failed one
back in the queue. The core is :mod:`notifications.outbox`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from roadmap.app import App
from roadmap.cli.params import today_option
from roadmap.cli.root import main, pass_app
from roadmap.formats import render_table
from roadmap.i18n import N_, _
from roadmap.storage.db import write_session
from roadmap.storage.tables import OUTBOX_STATUSES as STATUSES

if TYPE_CHECKING:
    from notifications.outbox import RemindReport

# The core (notifications.outbox) is imported inside the commands: the rest
# of the command line does not pay for it.


@main.command()
@today_option
@click.option("--plan", default=None, help="Только этот план (его код).")
@click.option(
    "--dry-run",
    "dry_run_flag",
    is_flag=True,
    help="Не отправлять: записать письма файлами .eml в --out; база не меняется.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("outbox-dry-run"),
    show_default=True,
    help="Каталог для писем при --dry-run.",
)
@pass_app
def remind(
    app: App, today: date | None, plan: str | None, dry_run_flag: bool, out_dir: Path
) -> None:
    """Составить сегодняшние напоминания и отправить их (каждое — один раз)."""
    from notifications.outbox import dry_run, run_reminders

    day = today if today is not None else None
    if dry_run_flag:
        report = dry_run(app, out_dir, plan=plan, today=day)
    else:
        report = asyncio.run(run_reminders(app, plan=plan, today=day))
    for line in describe_remind(report):
        click.echo(line)
    for skipped in report.build.skipped:
        click.echo(
            _("Пропущен получатель ({who}, {address}): {reason}").format(
                who=skipped.who, address=skipped.address or "—", reason=skipped.reason
            ),
            err=True,
        )
    send = report.send
    if send is not None and send.connection_error:
        click.echo(send.connection_error, err=True)
    if send is not None and send.sent == 0 and send.retry + send.deferred:
        # Nothing went out: a cron job or an operator must notice.
        click.echo(
            _("Ни одно письмо не отправлено; {n} остались в очереди и уйдут при следующем "
              "запуске (roadmap outbox)").format(n=send.retry + send.deferred),
            err=True,
        )
        click.get_current_context().exit(1)


def describe_remind(report: RemindReport) -> list[str]:
    lines = []
    if report.send is None:
        lines.append(
            _("Пробный запуск: писем {n}, записаны в файлы:").format(n=len(report.written))
        )
        lines += [f"  {path}" for path in report.written]
        return lines
    lines.append(_("Новых писем в очереди: {n}").format(n=len(report.build.added)))
    send = report.send
    lines.append(
        _("Отправлено: {sent}; отложено: {retry}; не доставлено: {failed}").format(
            sent=send.sent, retry=send.retry + send.deferred, failed=send.failed
        )
    )
    return lines


# The statuses of the outbox (``--status`` and JSON keep the codes) for people.
OUTBOX_LABELS = {
    "pending": N_("в очереди"),
    "sending": N_("отправляется"),
    "sent": N_("отправлено"),
    "failed": N_("не доставлено"),
    "dropped": N_("не нужно (нечего сообщить)"),
}


@main.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Только с этим статусом.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
def outbox(ctx: click.Context, status: str | None, fmt: str) -> None:
    """Очередь писем: что составлено, отправлено, отложено или не доставлено."""
    if ctx.invoked_subcommand is not None:
        return
    from notifications.outbox import list_outbox

    app: App = ctx.obj
    with app.sessions() as session:
        rows = list_outbox(session, status)
    if fmt == "json":
        click.echo(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(_("Очередь писем пуста"))
        return
    headers = (_("№"), _("Статус"), _("Дата"), _("Кому"), _("Попыток"), _("Тема"))
    table = [
        (r.id, _(OUTBOX_LABELS.get(r.status, r.status)), r.local_date.isoformat(), r.recipient,
         r.attempts,
         r.subject or _("(составляется при отправке)"))
        for r in rows
    ]
    click.echo(render_table(headers, table, (8, 14, 10, 32, 7, None), right=(0, 4)))
    # Replies in full, below the table: they are what an operator acts on.
    for r in rows:
        if r.last_error and r.status != "sent":
            click.echo(_("{id}: {error}").format(id=r.id, error=r.last_error))


@outbox.command("retry")
@click.argument("row_id", metavar="ID", type=int)
@pass_app
def outbox_retry(app: App, row_id: int) -> None:
    """Вернуть недоставленное письмо ID в очередь (отправится при следующем запуске)."""
    from notifications.outbox import retry_row

    with write_session(app.sessions) as session:
        view = retry_row(session, row_id, app.clock.now())
    click.echo(_("Письмо {id} ({recipient}) снова в очереди").format(
        id=view.id, recipient=view.recipient))
