"""Jinja2 templates of the pages (autoescaping on) and their helpers:
``_``/``days_`` in the request's language, dates for people (ДД.ММ.ГГГГ in
Russian, ISO in English), times in the plan's zone, status labels, marks
and CSS classes shared with the HTML report."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from roadmap.i18n import _, days_, get_language
from roadmap.report import Unit
from roadmap.status import COLOURS, MARKS, Status, status_class, status_label


def human_date(day: date | None) -> str:
    if day is None:
        return "—"
    return day.isoformat() if get_language() == "en" else day.strftime("%d.%m.%Y")


def local_time(at: datetime, zone: str) -> str:
    """An aware timestamp as the plan's local date and time."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{human_date(local.date())} {local:%H:%M}"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("roadmap.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=_, days_=days_, lang=get_language, human_date=human_date, local_time=local_time,
        status_label=status_label, status_class=status_class, MARKS=MARKS, Status=Status,
    )
    return env


@cache
def stylesheet() -> str:
    """The one stylesheet: the report's colours and the page layout."""
    return environment().get_template("style.css").render(
        colours={status_class(s): c for s, c in COLOURS.items()}
    )


def cell_url(plan: str, task: str, unit: Unit) -> str:
    query = {"task": task, "party": unit.party}
    if unit.org is not None:
        query["org"] = unit.org
    return f"/plan/{quote(plan, safe='')}/cell?{urlencode(query)}"



def render_text(name: str, path: str, **context: Any) -> str:
    """The page ``name`` for the request path ``path`` (the language switch
    links back to it), in the current language."""
    return environment().get_template(name).render(path=path, cell_url=cell_url, **context)


def html_response(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


def render(request: web.Request, name: str, *, status: int = 200, **context: Any) -> web.Response:
    return html_response(render_text(name, request.path, **context), status)


__all__ = [
    "cell_url", "environment", "html_response", "human_date", "local_time", "render",
    "render_text", "stylesheet",
]
