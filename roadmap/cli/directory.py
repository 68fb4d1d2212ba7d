"""``roadmap orgs`` and ``roadmap parties``: find an organisation or a
party, and the id to give ``--org``/``--party`` (:mod:`roadmap.directory`)."""

from __future__ import annotations

import click

from roadmap.app import App
from roadmap.cli.output import echo_csv, echo_json
from roadmap.cli.root import main, pass_app
from roadmap.directory import list_orgs, list_parties
from roadmap.formats import render_table
from roadmap.i18n import N_, _

LIST_FORMATS = click.Choice(["table", "json", "csv"])
ORG_HEADERS = (N_("Организация"), N_("Название"), N_("Реестр"), N_("Куратор"), N_("Планы"))
PARTY_HEADERS = (N_("Сторона"), N_("Название"), N_("Реестр"), N_("Задачи"), N_("Как в тексте"))


@main.command("orgs")
@click.option("--plan", default=None, help="Только организации этого плана.")
@click.option("--format", "fmt", type=LIST_FORMATS, default="table", show_default=True)
@pass_app
def orgs_command(app: App, plan: str | None, fmt: str) -> None:
    """Организации реестров: id (для --org), название, куратор, планы.

    --org принимает id или название (целиком или его часть, «СОШ № 1»)."""
    with app.sessions() as session:
        orgs = list_orgs(session, plan)
    if fmt == "json":
        echo_json([o.as_json() for o in orgs])
        return
    rows = [
        (o.id, o.name, o.register,
         ", ".join(x for x in (o.curator, o.curator_email) if x), ", ".join(o.plans))
        for o in orgs
    ]
    if fmt == "csv":
        echo_csv(("id", "name", "register", "curator", "plans"), rows)
    elif not orgs:
        click.echo(_("Организаций нет (реестры загружаются вместе с планами: roadmap load PATH)"))
    else:
        click.echo(render_table([_(h) for h in ORG_HEADERS], rows, (24, None, 16, 30, None)))


@main.command("parties")
@click.argument("plan")
@click.option("--format", "fmt", type=LIST_FORMATS, default="table", show_default=True)
@pass_app
def parties_command(app: App, plan: str, fmt: str) -> None:
    """Ответственные стороны плана: id (для --party), название, реестр."""
    with app.sessions() as session:
        parties = list_parties(session, plan)
    if fmt == "json":
        echo_json([p.as_json() for p in parties])
        return
    rows = [(p.id, p.name, p.register or "", p.tasks, ", ".join(p.aliases)) for p in parties]
    if fmt == "csv":
        echo_csv(("id", "name", "register", "tasks", "aliases"), rows)
    else:
        click.echo(render_table([_(h) for h in PARTY_HEADERS], rows, (16, None, 16, 6, None),
                                right=(3,)))
