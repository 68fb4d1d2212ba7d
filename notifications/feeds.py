"""Calendars for a scope.

:func:`calendar_for` is the one way to get a calendar: status rows
(:func:`roadmap.tracking.status_rows`) → entries
(:mod:`notifications.calendar`) → calendar revisions
(:mod:`roadmap.feeds`, written only when something changed) → bytes.
``roadmap ics`` and the feed server (:mod:`roadmap.web.feeds`) both call it.

Example::

    calendar_for(app, Scope("org", "school-1", "irkutsk-city-2023-2026"))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

from notifications.calendar import (
    CalendarInfo,
    Details,
    Entry,
    PlanDetail,
    Revision,
    TaskDetail,
    occurrence_entries,
    render,
    summary_entries,
    uid_for,
    without_dates,
)
from roadmap.app import App
from roadmap.feeds import (
    Scope,
    StoredRevision,
    occurrence_sequences,
    plan_details,
    read_revisions,
    record_revisions,
    scope_name,
    stale,
    task_details,
)
from roadmap.i18n import _
from roadmap.storage.db import write_session
from roadmap.storage.tables import SCOPE_ORG, SCOPE_PARTY, SCOPE_PLAN
from roadmap.tracking import status_rows

# ---------------------------------------------------------------- calendars


@dataclass(frozen=True)
class Prepared:
    """A calendar's input, before revisions are applied."""

    info: CalendarInfo
    entries: list[Entry]


def prepare(
    app: App, scope: Scope, *, strict: bool = True, record: bool = True, spans: bool = False
) -> tuple[Prepared, dict[str, Revision]]:
    """Read everything a calendar of ``scope`` shows, and bring the calendar
    revisions of its events up to date (a write only when one changed).
    Without ``record`` (a calendar for another day than today) the new
    revisions are worked out but not stored: the live feeds' state stays."""
    due_soon = int(app.settings["lookahead_days"])
    with app.sessions() as session:
        subject = scope_name(session, scope, strict=strict)
        rows = status_rows(session, app.clock.today, scope.status_filter(due_soon))
        plans = {r.plan for r in rows}
        details = Details(
            plans={c: PlanDetail(t, z) for c, (t, z) in plan_details(session, plans).items()},
            tasks={k: TaskDetail(r, c) for k, (r, c) in task_details(session, plans).items()},
        )
        if scope.kind == SCOPE_ORG:
            own, shared = rows, []
        elif scope.kind == SCOPE_PARTY:
            # A party that stands for many organisations gets one summary per
            # window, like a coordinator; a single party gets its own events.
            own = [r for r in rows if r.org is None]
            shared = [r for r in rows if r.org is not None]
        else:
            own, shared = [], rows
        sequences = occurrence_sequences(session, (r.occurrence_id for r in own))
        entries = occurrence_entries(own, sequences, details, spans=spans)
        if shared:
            party = scope.code if scope.kind == SCOPE_PARTY else None
            entries += summary_entries(shared, details, party, spans=spans)
        current = {e.uid: e.fingerprint for e in entries}
        stored = read_revisions(session, current)
    changed = stale(current, stored)
    if changed and not record:
        # A what-if renders the same bytes each time: its changes are
        # stamped with the start of the day it is for, not with the clock.
        day = app.clock.fixed_today or app.clock.now().date()
        now = datetime.combine(day, time(), UTC)
        for uid, fp in changed.items():
            old = stored.get(uid)
            stored[uid] = StoredRevision(fp, 0 if old is None else old.sequence + 1, now)
    elif changed:
        owner = {e.uid: e.occurrence_id for e in entries}
        with write_session(app.sessions) as session:
            stored.update(
                record_revisions(
                    session, {u: (fp, owner[u]) for u, fp in changed.items()}, app.clock.now()
                )
            )
    revisions = {uid: Revision(s.sequence, s.changed_at) for uid, s in stored.items()}
    info = CalendarInfo(
        uid=uid_for(scope.key),
        name=calendar_name(scope, subject),
        description=calendar_description(scope, subject, without_dates(rows)),
        today=rows[0].today if rows else app.clock.today("UTC"),
    )
    return Prepared(info, entries), revisions


def calendar_name(scope: Scope, subject: str) -> str:
    if scope.kind == SCOPE_PLAN:
        return _("Сроки плана {plan} (сводка)").format(plan=scope.code)
    if scope.plan:
        return _("Сроки: {name} ({plan})").format(name=subject, plan=scope.plan)
    return _("Сроки: {name}").format(name=subject)


def calendar_description(scope: Scope, subject: str, undated: list[str]) -> str:
    if scope.kind == SCOPE_PLAN:
        lines = [
            _("Сроки плана «{title}»: одно событие на срок задачи, «выполнено N из M» "
              "и просрочившие организации.").format(title=subject)
        ]
    else:
        lines = [_("Сроки дорожных карт: {name}.").format(name=subject)]
    if undated:
        lines.append("")
        lines.append(_("Без даты (по мере необходимости или срок не указан):"))
        lines.extend(undated)
    return "\n".join(lines)


def calendar_for(
    app: App, scope: Scope, *, todo: bool = False, strict: bool = True, record: bool = True,
    spans: bool = False,
) -> bytes:
    """The iCalendar bytes of ``scope`` for the app clock's «today»: VEVENTs,
    or VTODOs with ``todo``. Updates calendar revisions when needed, unless
    ``record`` is off (a what-if calendar for another day). A window longer
    than a month is one event on its due date unless ``spans``."""
    prepared, revisions = prepare(app, scope, strict=strict, record=record, spans=spans)
    return render(prepared.info, prepared.entries, revisions, todo=todo)


__all__ = ["Prepared", "calendar_for", "prepare"]
