"""``roadmap ics``, ``roadmap feed create|list|revoke``: calendars.

Thin shells: :func:`notifications.feeds.calendar_for` builds a calendar,
:mod:`roadmap.feeds` keeps the subscriptions; ``roadmap serve``
(:mod:`roadmap.cli.web`) serves the feeds.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click

from roadmap.app import App
from roadmap.cli.params import today_option
from roadmap.cli.root import main, pass_app
from roadmap.feeds import FeedView, Scope, create_feed, list_feeds, resolve_scope, revoke_feed
from roadmap.files import write_atomic
from roadmap.formats import render_table
from roadmap.i18n import _
from roadmap.settings import DEFAULT_BASE_URL
from roadmap.storage.db import write_session


def scope_options(func: click.decorators.FC) -> click.decorators.FC:
    """``--plan``, ``--party``, ``--org``: what a calendar covers."""
    func = click.option(
        "--org", default=None, help="Организация: её сроки по всем планам (или по --plan)."
    )(func)
    func = click.option(
        "--party", default=None, help="Сторона плана: её сроки (или по --plan)."
    )(func)
    func = click.option(
        "--plan",
        default=None,
        help="План: сводка координатора (одно событие на срок задачи); "
        "с --party или --org — только этот план.",
    )(func)
    return func


def to_scope(app: App, plan: str | None, party: str | None, org: str | None) -> Scope:
    """The scope the options name (:func:`roadmap.feeds.resolve_scope`)."""
    with app.sessions() as session:
        return resolve_scope(session, plan, party, org)


@main.command()
@scope_options
@today_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Записать в файл (атомарно) вместо стандартного вывода.",
)
@click.option("--todo", is_flag=True, help="Задачи (VTODO) вместо событий (VEVENT).")
@click.option(
    "--spans",
    is_flag=True,
    help="Длинные периоды (больше месяца) — полосой на весь период, а не событием в день срока.",
)
@pass_app
def ics(
    app: App,
    plan: str | None,
    party: str | None,
    org: str | None,
    today: date | None,
    output: Path | None,
    todo: bool,
    spans: bool,
) -> None:
    """Календарь iCalendar (RFC 5545) сроков плана, стороны или организации."""
    from notifications.feeds import calendar_for

    scope = to_scope(app, plan, party, org)
    if today is not None:
        app.clock.fixed_today = today
    # A calendar for another day is a what-if: the live feeds' revisions
    # (SEQUENCE, DTSTAMP, ETag) must not move because of it.
    # --spans shows other events: a what-if too, for the live revisions.
    data = calendar_for(
        app, scope, todo=todo, record=today is None and not spans, spans=spans
    )
    if output is None:
        click.echo(data, nl=False)
    else:
        write_atomic(output, data)
        click.echo(_("Календарь записан: {path}").format(path=output), err=True)


@main.group()
def feed() -> None:
    """Подписки на календари: секретные ссылки для календарных программ."""


def feed_urls(base: str, token: str) -> tuple[str, str]:
    """The https (or http) URL of a feed and its ``webcal://`` form."""
    url = f"{base.rstrip('/')}/feeds/{token}.ics"
    webcal = "webcal://" + url.split("://", 1)[1] if "://" in url else url
    return url, webcal


@feed.command("create")
@scope_options
@click.option("--label", default=None, help="Для кого подписка (видно в roadmap feed list).")
@pass_app
def feed_create(
    app: App, plan: str | None, party: str | None, org: str | None, label: str | None
) -> None:
    """Создать подписку и показать её ссылку (один раз: хранится только хеш)."""
    scope = to_scope(app, plan, party, org)
    with write_session(app.sessions) as session:
        view, token = create_feed(session, scope, label, app.clock.now())
    base = str(app.settings["feed_base_url"])
    url, webcal = feed_urls(base, token)
    click.echo(_("Подписка {id}: {scope}").format(id=view.id, scope=view.scope.describe()))
    click.echo(url)
    click.echo(webcal)
    click.echo(
        _("Ссылка показана один раз и действует как пароль; отозвать: roadmap feed revoke {id}")
        .format(id=view.id),
        err=True,
    )
    warn_if_local(base)


def warn_if_local(base: str) -> None:
    """On stderr: a link made with the default ``feed_base_url`` opens only
    on this computer (a curator's browser would not reach it)."""
    if base == DEFAULT_BASE_URL:
        click.echo(
            _(
                "Внимание: адрес {base} — по умолчанию, он открывается только на этом "
                "компьютере; укажите внешний адрес в настройке feed_base_url "
                "(ROADMAP_FEED_BASE_URL, см. docs/settings.md)"
            ).format(base=base),
            err=True,
        )


def when_utc(at: datetime | None) -> str:
    """A stored timestamp for listings: «2026-12-04 16:05 UTC», or «—»."""
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "—"


def feed_json(view: FeedView) -> dict[str, object]:
    return {
        "id": view.id,
        "scope": view.scope.kind,
        "code": view.scope.code,
        "plan": view.scope.plan,
        "label": view.label,
        "created_at": view.created_at.isoformat(),
        "revoked_at": view.revoked_at.isoformat() if view.revoked_at else None,
    }


@feed.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_app
def feed_list(app: App, fmt: str) -> None:
    """Подписки: номер, охват, метка, создана, отозвана (ссылки не хранятся)."""
    with app.sessions() as session:
        views = list_feeds(session)
    if fmt == "json":
        click.echo(json.dumps([feed_json(v) for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        click.echo(_("Подписок нет (roadmap feed create)"))
        return
    header = (_("Номер"), _("Охват"), _("Метка"), _("Создана"), _("Отозвана"))
    rows = [
        (str(v.id), v.scope.describe(), v.label or "", when_utc(v.created_at), when_utc(v.revoked_at))
        for v in views
    ]
    click.echo(render_table(header, rows))


@feed.command("revoke")
@click.argument("feed_id", metavar="ID", type=int)
@pass_app
def feed_revoke(app: App, feed_id: int) -> None:
    """Отозвать подписку ID: её ссылка перестаёт работать сразу."""
    with write_session(app.sessions) as session:
        view = revoke_feed(session, feed_id, app.clock.now())
    click.echo(
        _("Подписка {id} отозвана ({when})").format(id=view.id, when=when_utc(view.revoked_at))
    )
