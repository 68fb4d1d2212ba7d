"""The pages: the curator's list with its forms, the coordinator's dashboard,
one cell of it, exports and evidence downloads.

Each handler checks access (:func:`roadmap.web.access.require`), calls the
core functions the command line calls (status rows, the report, done,
reopen, history) in a worker thread, and renders a template. Actions are
POST forms followed by a redirect to a GET (no double submit on reload);
a refused action re-renders the page with the message beside the item.
"""

from __future__ import annotations

import asyncio
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from aiohttp import web

from roadmap.app import App
from roadmap.errors import RoadmapError
from roadmap.evidence import Evidence
from roadmap.feeds import plan_details, scope_name
from roadmap.i18n import _, get_language
from roadmap.links import WebSession, remember_name
from roadmap.report import Report, Unit, build_report, change_marker
from roadmap.report_formats import render as render_report
from roadmap.status import MARKS, Status, status_class
from roadmap.storage.db import write_session
from roadmap.tracking import (
    HistoryEntry,
    Selector,
    StatusFilter,
    StatusRow,
    choose_for_done,
    completion_evidence,
    mark_done,
    occurrence_history,
    reopen,
    status_rows,
    stored_evidence,
)
from roadmap.web.access import (
    CsrfRefused,
    Form,
    app_of,
    current,
    read_form,
    require,
    session_csrf,
)
from roadmap.web.cache import Lru
from roadmap.web.headers import attachment
from roadmap.web.templating import html_response, render, render_text
from roadmap.web.uploads import Upload, UploadError

# The curator's sections, in the order the page shows them.
SECTIONS: tuple[Status, ...] = (
    Status.OVERDUE,
    Status.DUE_SOON,
    Status.UPCOMING,
    Status.ON_DEMAND,
    Status.UNDATED,
    Status.DONE,
)
MAX_NAME = 200
MAX_TEXT = 4000


def _staging(app: App) -> Path:
    return app.settings.data_dir / "uploads"


def _max_bytes(app: App) -> int:
    return int(app.settings["evidence_max_bytes"])


# ---------------------------------------------------------------- the curator's page


@dataclass(frozen=True)
class Item:
    row: StatusRow
    plan_title: str
    timezone: str
    history: list[HistoryEntry]


def _curator_items(app: App, web_session: WebSession) -> tuple[str, dict[Status, list[Item]]]:
    scope = web_session.link.scope
    flt = scope.status_filter(int(app.settings["lookahead_days"]))
    with app.sessions() as session:
        subject = scope_name(session, scope, strict=False)
        rows = status_rows(session, app.clock.today, flt)
        plans = plan_details(session, {r.plan for r in rows})
        history = occurrence_history(session, (r.occurrence_id for r in rows))
    sections: dict[Status, list[Item]] = {s: [] for s in SECTIONS}
    for row in rows:
        title, zone = plans.get(row.plan, (row.plan, "UTC"))
        sections.setdefault(row.status, []).append(
            Item(row, title, zone, history.get(row.occurrence_id, []))
        )
    # Overdue: the longest overdue first; done: the latest first.
    sections[Status.OVERDUE].sort(key=lambda i: -i.row.days_overdue)
    sections[Status.DONE].reverse()
    return subject, sections


async def curator_page(
    request: web.Request,
    web_session: WebSession,
    *,
    errors: dict[int, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    app = app_of(request)
    subject, sections = await asyncio.to_thread(_curator_items, app, web_session)
    return render(
        request,
        "curator.html",
        status=status,
        subject=subject,
        sections=sections,
        order=SECTIONS,
        link=web_session.link,
        ask_name=web_session.by is None,
        by=web_session.by,
        csrf=session_csrf(request),
        errors=errors or {},
        values={"note": "", "url": "", **(values or {})},
        flash=request.query.get("ok"),
        today=app.clock.today("UTC") if app.clock.fixed_today else None,
    )


async def home(request: web.Request) -> web.StreamResponse:
    """``/``: the curator's page, or a coordinator's dashboard."""
    web_session = await current(request)
    if not web_session.link.curator:
        raise web.HTTPSeeOther(f"/plan/{quote(web_session.link.scope.code, safe='')}")
    return await curator_page(request, web_session)


# ---------------------------------------------------------------- done / reopen


def _selector(app: App, occurrence: int) -> Selector | None:
    """The selector of one occurrence (None: no such active occurrence)."""
    with app.sessions() as session:
        rows = status_rows(session, app.clock.today, StatusFilter(occurrence=occurrence))
    if not rows:
        return None
    row = rows[0]
    return Selector(row.plan, row.task, org=row.org, party=row.party, occurrence=occurrence)


def _bundle(uploads: list[Upload], staging: Path) -> Upload:
    """One file as it is; several as one ZIP archive keeping their names."""
    if len(uploads) == 1:
        return uploads[0]
    path = staging / f"bundle-{uploads[0].path.stem}.zip"
    seen: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for upload in uploads:
            name = upload.name
            if name in seen:
                seen[name] += 1
                stem, dot, ext = name.rpartition(".")
                name = f"{stem or ext} ({seen[name]}){dot}{ext if stem else ''}"
            else:
                seen[name] = 1
            archive.write(upload.path, name)
    return Upload(path, _("документы") + ".zip", path.stat().st_size)


def _record_done(
    app: App, web_session: WebSession, sel: Selector, by: str, upload: Upload | None,
    url: str | None, note: str | None, again: bool,
) -> None:
    with app.sessions() as session:  # a refused call must not leave a stored file
        choose_for_done(session, app.clock.today, sel, again=again)
    staged = upload.path if upload is not None else None
    name = upload.name if upload is not None else None
    with stored_evidence(app.evidence_store, app.sessions, staged, name) as evidence, \
            write_session(app.sessions) as session:
        mark_done(session, app.clock.today, sel, by=by, at=app.clock.now(), evidence=evidence,
                  url=url, note=note, again=again)
        if web_session.by != by:
            remember_name(session, web_session.id, by)


def _record_reopen(app: App, web_session: WebSession, sel: Selector, by: str, reason: str) -> None:
    with write_session(app.sessions) as session:
        reopen(session, app.clock.today, sel, by=by, at=app.clock.now(), reason=reason)
        if web_session.by != by:
            remember_name(session, web_session.id, by)


def _occurrence_field(form: Form) -> int:
    try:
        return int(form.get("occurrence"))
    except ValueError:
        raise web.HTTPBadRequest() from None


def _too_long(form: Form, *names: str) -> bool:
    return any(len(form.get(n)) > MAX_TEXT for n in names) or len(form.get("by")) > MAX_NAME


async def _form(request: web.Request) -> Form:
    app = app_of(request)
    try:
        return await read_form(request, _staging(app), _max_bytes(app))
    except CsrfRefused:
        raise web.HTTPForbidden(text=_("Форма устарела: откройте страницу заново")) from None
    except UploadError as err:
        if err.what == "size":
            raise web.HTTPRequestEntityTooLarge(
                max_size=_max_bytes(app), actual_size=err.size,
                text=_("Файл больше {mb} МБ: он не сохранён").format(
                    mb=_max_bytes(app) // (1024 * 1024)
                ),
            ) from None
        raise web.HTTPBadRequest() from None
    except ValueError:  # a malformed multipart body
        raise web.HTTPBadRequest() from None


async def done(request: web.Request) -> web.StreamResponse:
    """``POST /done``: mark one occurrence done with files or a URL and a note."""
    web_session = await require(request, curator=True)
    form = await _form(request)
    app = app_of(request)
    try:
        occurrence = _occurrence_field(form)
        await require(request, occurrence=occurrence, curator=True)
        by = form.get("by")[:MAX_NAME] or (web_session.by or "")
        url = form.get("url") or None
        note = form.get("note") or None
        message = None
        if not by:
            message = _("Укажите, кто отмечает (имя и фамилия)")
        elif _too_long(form, "note", "url"):
            message = _("Слишком длинный текст")
        elif not form.uploads and url is None:
            message = _("Приложите файл или укажите ссылку на документ")
        elif form.uploads and url is not None:
            message = _("Нужно одно из двух: файл или ссылка")
        sel = await asyncio.to_thread(_selector, app, occurrence)
        if sel is None:
            raise web.HTTPNotFound()
        if message is None:
            upload = _bundle(form.uploads, _staging(app)) if form.uploads else None
            try:
                await asyncio.to_thread(
                    _record_done, app, web_session, sel, by, upload, url, note,
                    bool(form.get("again")),
                )
            except RoadmapError as err:
                message = str(err)
            finally:
                if upload is not None:
                    upload.path.unlink(missing_ok=True)
    finally:
        form.discard()
    if message is not None:
        return await curator_page(request, web_session, errors={occurrence: message},
                                  values={"note": note or "", "url": url or ""}, status=400)
    raise web.HTTPSeeOther(f"/?ok=done#occ-{occurrence}")


async def reopen_(request: web.Request) -> web.StreamResponse:
    """``POST /reopen``: undo a «done» with a reason."""
    web_session = await require(request, curator=True)
    form = await _form(request)
    occurrence = _occurrence_field(form)
    await require(request, occurrence=occurrence, curator=True)
    app = app_of(request)
    by = form.get("by")[:MAX_NAME] or (web_session.by or "")
    reason = form.get("reason")
    message = None
    if not by:
        message = _("Укажите, кто отмечает (имя и фамилия)")
    elif not reason:
        message = _("Укажите причину отмены")
    elif _too_long(form, "reason"):
        message = _("Слишком длинный текст")
    sel = await asyncio.to_thread(_selector, app, occurrence)
    if sel is None:
        raise web.HTTPNotFound()
    if message is None:
        try:
            await asyncio.to_thread(_record_reopen, app, web_session, sel, by, reason)
        except RoadmapError as err:
            message = str(err)
    if message is not None:
        return await curator_page(request, web_session, errors={occurrence: message}, status=400)
    raise web.HTTPSeeOther(f"/?ok=reopened#occ-{occurrence}")


# ---------------------------------------------------------------- the dashboard


@dataclass(frozen=True)
class Filters:
    overdue: bool
    party: str
    org: str

    @classmethod
    def of(cls, request: web.Request) -> Filters:
        q = request.query
        return cls(q.get("overdue") == "1", q.get("party", ""), q.get("org", ""))

    def units(self, report: Report) -> list[Unit]:
        units = [
            u for u in report.units
            if (not self.party or u.party == self.party) and (not self.org or u.org == self.org)
        ]
        if self.overdue:
            units = [
                u for u in units
                if any((c := report.cell(t.task, u)) and c.status is Status.OVERDUE
                       for t in report.tasks)
            ]
        return units

    def tasks(self, report: Report, units: Iterable[Unit]) -> list[Any]:
        if not self.overdue:
            return list(report.tasks)
        shown = list(units)
        return [
            t for t in report.tasks
            if any((c := report.cell(t.task, u)) and c.status is Status.OVERDUE for u in shown)
        ]


def _report(app: App, plan: str) -> Report:
    with app.sessions() as session:
        return build_report(session, app.clock.today, plan, int(app.settings["lookahead_days"]))


class PageCache(Lru[tuple[object, ...], object]):
    """Built reports and rendered dashboards, keyed by the database's
    :func:`~roadmap.report.change_marker` and the plan-local date: a repeat
    view costs one marker check until something changes (then it is built
    again)."""

    def __init__(self, size: int = 64) -> None:
        super().__init__(size)
        self._zones: dict[str, str] = {}

    def dashboard(self, app: App, plan: str, page: Callable[[Report], str],
                  view: tuple[object, ...]) -> str:
        """The dashboard page of ``plan`` for this ``view`` (filters,
        language, path …), rendered by ``page`` from the current report."""
        with app.sessions() as session:
            marker = change_marker(session)
        zone = self._zones.get(plan)
        today = app.clock.today(zone) if zone is not None else None
        report = cast(Report, self.get_or_make(("report", plan, marker, today),
                                               lambda: _report(app, plan)))
        self._zones[plan] = report.timezone
        return cast(str, self.get_or_make(("page", plan, marker, report.today, *view),
                                          lambda: page(report)))


PAGE_CACHE = web.AppKey("roadmap_page_cache", PageCache)


@dataclass(frozen=True, slots=True)
class MatrixCell:
    task: str
    status: str  # the status name (data-status)
    css: str
    mark: str
    due: str  # ISO, or ""
    href: str


def matrix_rows(
    report: Report, units: Iterable[Unit], tasks: Iterable[Any]
) -> list[tuple[Unit, list[MatrixCell | None]]]:
    """The matrix as plain rows, built once in Python (the template only
    writes them out: a 200-school plan has thousands of cells)."""
    plan = quote(report.plan, safe="")
    task_list = list(tasks)
    task_query = {t.task: quote(t.task, safe="") for t in task_list}
    looks = {s: (s.value, status_class(s), MARKS.get(s, "?")) for s in Status}
    rows = []
    for unit in units:
        unit_query = "party=" + quote(unit.party, safe="")
        if unit.org is not None:
            unit_query += "&org=" + quote(unit.org, safe="")
        cells: list[MatrixCell | None] = []
        for t in task_list:
            c = report.cell(t.task, unit)
            if c is None:
                cells.append(None)
                continue
            value, css, mark = looks[c.status]
            cells.append(MatrixCell(
                t.task, value, css, mark, c.due.isoformat() if c.due else "",
                f"/plan/{plan}/cell?task={task_query[t.task]}&{unit_query}",
            ))
        rows.append((unit, cells))
    return rows


async def dashboard(request: web.Request) -> web.StreamResponse:
    """``/plan/<plan>``: the organisations × activities matrix, live."""
    plan = request.match_info["plan"]
    web_session = await require(request, plan=plan)
    filters = Filters.of(request)
    home = web_session.link.scope.code
    path = request.path

    def page(report: Report) -> str:
        units = filters.units(report)
        tasks = filters.tasks(report, units)
        return render_text(
            "dashboard.html", path,
            report=report,
            rows=matrix_rows(report, units, tasks),
            tasks=tasks,
            filters=filters,
            parties=sorted({(u.party, u.name) for u in report.units if not u.is_org}),
            orgs=[u for u in report.units if u.is_org],
            home=home,
        )

    cache = request.app[PAGE_CACHE]
    view = (filters, get_language(), home, path)
    body = await asyncio.to_thread(cache.dashboard, app_of(request), plan, page, view)
    response = html_response(body)
    response.enable_compression()  # when asked; no secret is on this page (BREACH)
    return response


def _cell_items(app: App, plan: str, task: str, party: str, org: str | None) -> list[Item]:
    flt = StatusFilter(plan=plan, task=task, party=party, org=org)
    with app.sessions() as session:
        rows = [r for r in status_rows(session, app.clock.today, flt) if r.org == org]
        plans = plan_details(session, {plan})
        history = occurrence_history(session, (r.occurrence_id for r in rows))
    title, zone = plans.get(plan, (plan, "UTC"))
    return [Item(r, title, zone, history.get(r.occurrence_id, [])) for r in rows]


async def cell(request: web.Request) -> web.StreamResponse:
    """``/plan/<plan>/cell?task=&party=[&org=]``: one task of one unit."""
    plan = request.match_info["plan"]
    await require(request, plan=plan)
    task, party = request.query.get("task", ""), request.query.get("party", "")
    org = request.query.get("org") or None
    items = await asyncio.to_thread(_cell_items, app_of(request), plan, task, party, org)
    if not items:
        raise web.HTTPNotFound()
    return render(request, "cell.html", items=items, plan=plan, first=items[0].row)


EXPORT_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _export(app: App, plan: str, fmt: str) -> tuple[bytes, date]:
    """The report of ``plan`` as the command line writes it (``report --format``)."""
    from roadmap.execution import build_execution_report
    from roadmap.execution_files import execution_docx, execution_xlsx

    due_soon = int(app.settings["lookahead_days"])
    if fmt in ("docx", "xlsx"):
        with app.sessions() as session:
            document = build_execution_report(session, app.clock.today, plan, due_soon, None)
        writer = execution_docx if fmt == "docx" else execution_xlsx
        return writer(document), document.today
    report = _report(app, plan)
    return render_report(report, fmt).encode("utf-8"), report.today


async def export(request: web.Request) -> web.StreamResponse:
    """``/plan/<plan>/report.<fmt>``: the report in the command line's formats,
    the execution report (docx, xlsx) among them."""
    plan, fmt = request.match_info["plan"], request.match_info["fmt"]
    await require(request, plan=plan)
    body, today = await asyncio.to_thread(_export, app_of(request), plan, fmt)
    name = f"{plan}-{today.isoformat()}.{fmt}"
    return web.Response(
        body=body,
        headers={"Content-Type": EXPORT_TYPES[fmt], "Content-Disposition": attachment(name),
                 "Cache-Control": "no-store"},
    )


# ---------------------------------------------------------------- evidence


async def evidence(request: web.Request) -> web.StreamResponse:
    """``/evidence/<completion>``: the file, under its original name, never inline."""
    try:
        completion = int(request.match_info["completion"])
    except ValueError:
        raise web.HTTPNotFound() from None
    await require(request, completion=completion)
    app = app_of(request)

    def find() -> tuple[Evidence, Path] | None:
        with app.sessions() as session:
            found = completion_evidence(session, completion)
        if found is None:
            return None
        return found, app.evidence_store.path_for(found.sha256)

    located = await asyncio.to_thread(find)
    if located is None or not located[1].is_file():
        raise web.HTTPNotFound()
    ev, path = located
    response = web.FileResponse(path, headers={
        "Content-Disposition": attachment(ev.name),
        "Content-Type": ev.media_type or "application/octet-stream",
        "Cache-Control": "private, no-store",
    })
    return response


__all__ = ["cell", "curator_page", "dashboard", "done", "evidence",
           "export", "home", "reopen_"]
