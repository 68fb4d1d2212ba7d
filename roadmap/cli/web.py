"""``roadmap link create|list|revoke`` and ``roadmap serve``: the web side.

Thin shells: :mod:`roadmap.links` keeps the personal links,
:func:`roadmap.web.server.serve` runs the pages, the feeds and the scheduler.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import click

from roadmap.app import App, Clock
from roadmap.cli.calendar import to_scope, warn_if_local, when_utc
from roadmap.cli.root import main, pass_app
from roadmap.formats import render_table
from roadmap.i18n import _
from roadmap.links import MAX_LINK_DAYS, LinkView, create_link, list_links, revoke_link
from roadmap.storage.db import write_session


def link_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/l/{token}"


def link_json(view: LinkView, url: str | None = None) -> dict[str, object]:
    data: dict[str, object] = {
        "id": view.id,
        "scope": view.scope.describe(),
        "kind": view.scope.kind,
        "code": view.scope.code,
        "plan": view.scope.plan,
        "label": view.label,
        "created_at": view.created_at.isoformat(),
        "expires": view.expires_at.isoformat() if view.expires_at else None,
        "revoked_at": view.revoked_at.isoformat() if view.revoked_at else None,
    }
    if url is not None:
        data["url"] = url
    return data


@main.group()
def link() -> None:
    """Личные ссылки на веб-страницы: куратору — отмечать выполнение, координатору — сводка."""


@link.command("create")
@click.option("--org", default=None, help="Организация: страница куратора (может отмечать).")
@click.option("--party", default=None, help="Сторона плана: страница куратора (может отмечать).")
@click.option("--plan", default=None,
              help="План: сводка координатора (план и дочерние); с --org/--party — только этот план.")
@click.option("--label", default=None, help="Для кого ссылка (видно в roadmap link list).")
@click.option("--days", type=click.IntRange(1, MAX_LINK_DAYS), default=None, metavar="N",
              help="Ссылка действует N дней (по умолчанию — пока не отозвана).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_app
def link_create(
    app: App, org: str | None, party: str | None, plan: str | None, label: str | None,
    days: int | None, fmt: str,
) -> None:
    """Создать личную ссылку; адрес выводится последним (один раз: хранится только хеш)."""
    scope = to_scope(app, plan, party, org)
    with write_session(app.sessions) as session:
        view, token = create_link(session, scope, label, app.clock.now(), days=days)
    base = str(app.settings["feed_base_url"])
    url = link_url(base, token)
    warn_if_local(base)
    if fmt == "json":
        data = link_json(view, url)
        click.echo(json.dumps({"id": data["id"], "url": url, "scope": data["scope"],
                               "expires": data["expires"]}, ensure_ascii=False))
        return
    kind = _("куратора") if view.curator else _("координатора")
    click.echo(_("Ссылка {id} ({kind}): {scope}").format(
        id=view.id, kind=kind, scope=view.scope.describe()))
    if view.expires_at is not None:
        click.echo(_("Действует до {when}").format(when=when_utc(view.expires_at)))
    click.echo(
        _("Ссылка показана один раз и действует как пароль; отозвать: roadmap link revoke {id}")
        .format(id=view.id),
        err=True,
    )
    click.echo(url)


@link.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_app
def link_list(app: App, fmt: str) -> None:
    """Личные ссылки: номер, охват, метка, создана, действует до, отозвана (адреса не хранятся)."""
    with app.sessions() as session:
        views = list_links(session)
    if fmt == "json":
        click.echo(json.dumps([link_json(v) for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        click.echo(_("Ссылок нет (roadmap link create)"))
        return
    headers = (_("Номер"), _("Охват"), _("Метка"), _("Создана"), _("Действует до"), _("Отозвана"))
    rows = [
        (str(v.id), v.scope.describe(), v.label or "", when_utc(v.created_at), when_utc(v.expires_at),
         when_utc(v.revoked_at))
        for v in views
    ]
    click.echo(render_table(headers, rows))


@link.command("revoke")
@click.argument("link_id", metavar="ID", type=int)
@pass_app
def link_revoke(app: App, link_id: int) -> None:
    """Отозвать ссылку ID: она и открытые по ней сеансы перестают работать сразу."""
    with write_session(app.sessions) as session:
        view = revoke_link(session, link_id, app.clock.now())
    click.echo(_("Ссылка {id} отозвана ({when})").format(id=view.id, when=when_utc(view.revoked_at)))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Адрес для входящих.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Запускать ежедневную рассылку в этом процессе.",
)
@click.option("--behind-proxy", is_flag=True,
              help="За обратным прокси с TLS: доверять X-Forwarded-*, cookie с флагом Secure.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="ГГГГ-ММ-ДД", help="Считать сегодняшней эту дату (показ и проверки).")
@pass_app
def serve(
    app: App, host: str, port: int, scheduler: bool, behind_proxy: bool, today: datetime | None
) -> None:
    """Веб-страницы, календари (GET /feeds/<ссылка>.ics) и ежедневная рассылка."""
    from roadmap.web.server import serve as run

    if today is not None:
        fixed: date = today.date()
        app.clock = Clock(fixed_today=fixed)
    app.engine  # noqa: B018  open (and migrate) the database before listening

    def announce(url: str) -> None:
        click.echo(_("Страницы и календари: {url} (Ctrl+C — остановить)").format(url=url),
                   err=True)

    run(app, host, port, scheduler=scheduler, behind_proxy=behind_proxy, announce=announce)
