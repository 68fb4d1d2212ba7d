"""iCalendar (RFC 5545) calendars of deadlines — pure: rows in, bytes out.

Two steps, with the database step between them done by the caller
(:func:`notifications.feeds.calendar_for`):

1. :func:`occurrence_entries` / :func:`summary_entries` turn status rows
   (:class:`roadmap.tracking.StatusRow`) into :class:`Entry` values: what
   each event shows, and a ``fingerprint`` of it;
2. the caller looks each entry's fingerprint up in the calendar revision
   store (``calendar_state``), which bumps the revision when it changed,
   and :func:`render` writes the calendar with those revisions.

Standards, so that real clients (Google, Outlook, Apple, Thunderbird) show
what we mean:

- every deadline is an all-day event: ``DTSTART;VALUE=DATE`` is the
  window's start (its due date when it has none), ``DTEND`` is *exclusive*,
  the due date + 1 day; ``TRANSP:TRANSPARENT`` (a month-long window must not
  make anyone «busy»);
- ``UID`` is derived from the occurrence's natural key
  (``sha256(key)[:32]@roadmap``): stable across renders and reloads;
- ``SEQUENCE`` is the occurrence's own ``sequence`` (bumped by reloads) plus
  its calendar revision (bumped when anything shown changes, e.g. «✓» after
  a completion), so it only ever grows;
- ``DTSTAMP`` (UTC) is the time of the last change of the event, not the
  render time: an unchanged calendar is byte-identical (stable ETags);
- no ``VALARM``: clients strip alarms of subscribed calendars, and reminders
  go by e-mail;
- on-demand and undated items get no invented dates: they are listed in the
  calendar's description (``DESCRIPTION``/``X-WR-CALDESC``).

Example::

    entries = occurrence_entries(rows, sequences, details)
    revisions = {e.uid: Revision(0, stamp) for e in entries}
    data = render(CalendarInfo("x@roadmap", "Сроки", "…"), entries, revisions)
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

from roadmap.i18n import _
from roadmap.status import Status

if TYPE_CHECKING:
    from roadmap.tracking import StatusRow

PRODID = "-//roadmap//Дорожные карты//RU"
UID_DOMAIN = "roadmap"
REFRESH = timedelta(hours=6)
# How many names an aggregated event lists before «и ещё N».
MAX_NAMES = 50


def uid_for(key: str) -> str:
    """The UID of the event (or calendar) with natural key ``key``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@" + UID_DOMAIN


@dataclass(frozen=True)
class PlanDetail:
    title: str
    timezone: str


@dataclass(frozen=True)
class TaskDetail:
    responsible: str
    co_responsible: str | None = None


@dataclass(frozen=True)
class Details:
    """What status rows do not carry: plan titles and zones, the
    responsibility text of each task (by ``(plan, task)``)."""

    plans: Mapping[str, PlanDetail]
    tasks: Mapping[tuple[str, str], TaskDetail]


@dataclass(frozen=True)
class Entry:
    """One event (or to-do) of a calendar, before its revision is known."""

    uid: str
    occurrence_id: int | None  # None for an aggregated (coordinator) event
    start: date
    due: date  # the last day, inclusive
    summary: str
    description: str
    categories: tuple[str, ...]
    done: bool
    completed_at: datetime | None
    base_sequence: int = 0  # the occurrence's own sequence
    percent: int | None = None  # aggregated to-dos: share done

    @property
    def fingerprint(self) -> str:
        """SHA-256 of everything the event shows (not its revision)."""
        content = [
            self.start.isoformat(),
            self.due.isoformat(),
            self.summary,
            self.description,
            list(self.categories),
            self.done,
            self.completed_at.isoformat() if self.completed_at else None,
            self.percent,
        ]
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Revision:
    """An event's calendar revision: SEQUENCE increment and DTSTAMP."""

    sequence: int
    stamp: datetime


@dataclass(frozen=True)
class CalendarInfo:
    uid: str
    name: str
    description: str
    # The plan-local today: a calendar with no dated item shows one
    # informational event on it (RFC 5545 wants at least one component).
    today: date | None = None


# ---------------------------------------------------------------- entries


def _mark(summary: str, status: Status | None) -> str:
    if status is Status.DONE:
        return _("✓ {summary}").format(summary=summary)
    if status is Status.OVERDUE:
        return _("[просрочено] {summary}").format(summary=summary)
    return summary


def _status_text(status: Status) -> str:
    # «Скоро срок» is not shown: it would change the event (and its SEQUENCE)
    # a fortnight before every deadline for nothing a calendar needs.
    if status is Status.DONE:
        return _("выполнено")
    if status is Status.OVERDUE:
        return _("просрочено")
    return _("не выполнено, срок не наступил")


def _local_date(at: datetime, zone: str | None) -> str:
    return at.astimezone(ZoneInfo(zone)).date().isoformat() if zone else at.date().isoformat()


def _window(row: StatusRow) -> tuple[date, date]:
    assert row.due is not None
    start = row.start if row.start is not None and row.start <= row.due else row.due
    return start, row.due


#: A window longer than this («в течение всего периода», a school year) is
#: shown as one all-day event on its due date, the window in the
#: description, not as a bar across months of the calendar (``spans``
#: keeps the bar).
LONG_WINDOW_DAYS = 31


def _shown(start: date, due: date, spans: bool) -> tuple[date, date, str | None]:
    """The dates an event covers, and the line that tells the window when
    only its due date is shown."""
    if spans or (due - start).days + 1 <= LONG_WINDOW_DAYS:
        return start, due, None
    line = _("Период выполнения: {start} — {due}").format(
        start=start.strftime("%d.%m.%Y"), due=due.strftime("%d.%m.%Y")
    )
    return due, due, line


def _plan_line(row: StatusRow, details: Details) -> str:
    plan = details.plans.get(row.plan)
    title = f"{plan.title} ({row.plan})" if plan else row.plan
    if row.number:
        return _("План: {plan}, пункт {number}").format(plan=title, number=row.number)
    return _("План: {plan}").format(plan=title)


def _common_lines(row: StatusRow, details: Details) -> list[str]:
    lines = [_("Срок по плану: {text}").format(text=row.deadline or "—")]
    if row.result:
        lines.append(_("Ожидаемый результат: {text}").format(text=row.result))
    task = details.tasks.get((row.plan, row.task))
    if task is not None:
        responsible = task.responsible
        if task.co_responsible:
            responsible += "; " + task.co_responsible
        lines.append(_("Ответственные: {text}").format(text=responsible))
    lines.append(_plan_line(row, details))
    return lines


def _who(row: StatusRow) -> str:
    if row.org_name:
        return f"{row.org_name} ({row.party_name})"
    return row.party_name


def occurrence_entries(
    rows: Iterable[StatusRow], sequences: Mapping[int, int], details: Details,
    *, spans: bool = False, brief: bool = False,
) -> list[Entry]:
    """One entry per dated occurrence (a school's or a single party's feed).

    ``sequences`` maps occurrence ids to their stored ``sequence``; a window
    longer than :data:`LONG_WINDOW_DAYS` is an event on its due date unless
    ``spans``. A ``brief`` entry (the calendar attached to a message, whose
    text holds the rest) has no categories, and its description only the
    deadline's text, the plan's code and item number, who and the status."""
    entries = []
    for row in rows:
        if row.due is None or row.status is Status.WITHDRAWN:
            continue
        start, due, window = _shown(*_window(row), spans)
        plan = details.plans.get(row.plan)
        zone = plan.timezone if plan else None
        if brief:
            lines = [_("Срок по плану: {text}").format(text=row.deadline or "—"),
                     _plan_line(row, Details({}, {}))]
        else:
            lines = _common_lines(row, details)
        if window:
            lines.insert(1, window)
        lines.append(_("Исполнитель: {who}").format(who=_who(row)))
        status = _status_text(row.status)
        if row.status is Status.DONE and row.done_at is not None:
            status = _("выполнено {date}").format(date=_local_date(row.done_at, zone))
        lines.append(_("Статус: {status}").format(status=status))
        entries.append(
            Entry(
                uid=uid_for(row.occurrence_key),
                occurrence_id=row.occurrence_id,
                start=start,
                due=due,
                summary=_mark(row.activity, row.status),
                description="\n".join(lines),
                categories=(row.section,) if row.section and not brief else (),
                done=row.status is Status.DONE,
                completed_at=row.done_at if row.status is Status.DONE else None,
                base_sequence=sequences.get(row.occurrence_id, 0),
            )
        )
    return entries


def _key_parts(key: str) -> list[str]:
    # plan/task/party/org/window, each part percent-escaped: «/» splits safely.
    return key.split("/")


def summary_key(row: StatusRow, party: str | None) -> str:
    """The natural key of the aggregated event of ``row``'s task window:
    ``plan/task/*/*/window`` (``party`` fills the third part for a party's
    feed). «*» cannot clash with a real code: codes are escaped (``%2A``)."""
    plan, task, _party, _org, window = _key_parts(row.occurrence_key)
    return "/".join([plan, task, quote(party, safe="") if party else "*", "*", window])


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    if len(names) > MAX_NAMES:
        shown += " " + _("и ещё {n}").format(n=len(names) - MAX_NAMES)
    return shown


def summary_entries(
    rows: Iterable[StatusRow], details: Details, party: str | None = None,
    *, spans: bool = False,
) -> list[Entry]:
    """One entry per task window, summarising all its occurrences: «выполнено
    N из M», the overdue organisations (or parties) named. For a
    coordinator's feed of a plan that fans out to many organisations."""
    groups: dict[str, list[StatusRow]] = {}
    for row in rows:
        if row.due is None or row.status is Status.WITHDRAWN:
            continue
        groups.setdefault(summary_key(row, party), []).append(row)
    entries = []
    for key, members in groups.items():
        first = members[0]
        start, due, window = _shown(
            min(_window(r)[0] for r in members), max(_window(r)[1] for r in members), spans
        )
        total = len(members)
        done = [r for r in members if r.status is Status.DONE]
        overdue = [_who(r) for r in members if r.status is Status.OVERDUE]
        pending = [
            _who(r) for r in members if r.status not in (Status.DONE, Status.OVERDUE)
        ]
        progress = _("выполнено {done} из {total}").format(done=len(done), total=total)
        status = Status.DONE if len(done) == total else Status.OVERDUE if overdue else None
        summary = _mark(
            _("{activity} — {progress}").format(
                activity=first.activity.rstrip(" ."), progress=progress
            ),
            status,
        )
        lines = _common_lines(first, details)
        if window:
            lines.insert(1, window)
        lines.append(_("Итог: {progress}").format(progress=progress))
        if overdue:
            lines.append(
                _("Просрочено ({n}): {names}").format(n=len(overdue), names=_names(overdue))
            )
        if pending:
            lines.append(
                _("Ждут срока ({n}): {names}").format(n=len(pending), names=_names(pending))
            )
        all_done = len(done) == total
        completed = [r.done_at for r in done if r.done_at is not None]
        entries.append(
            Entry(
                uid=uid_for(key),
                occurrence_id=None,
                start=start,
                due=due,
                summary=summary,
                description="\n".join(lines),
                categories=(first.section,) if first.section else (),
                done=all_done,
                completed_at=max(completed) if all_done and completed else None,
                percent=len(done) * 100 // total,
            )
        )
    return entries


def without_dates(rows: Iterable[StatusRow]) -> list[str]:
    """One line per on-demand or undated task (each task once), for the
    calendar's description: they have no date to put an event on."""
    lines: list[str] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if row.due is not None or row.status is Status.WITHDRAWN:
            continue
        if (row.plan, row.task) in seen:
            continue
        seen.add((row.plan, row.task))
        when = _("по мере необходимости") if row.kind == "on_demand" else _("срок не указан")
        if row.deadline:
            when += f" («{row.deadline}»)"
        number = f"{row.number} " if row.number else ""
        lines.append(f"• {number}{row.activity} — {when}")
    return lines


# ---------------------------------------------------------------- rendering
#
# The calendar text is written here, line by line, rather than built as
# icalendar components: those escape, encode and fold every value
# character by character, which cost ~50 ms for a calendar of 60 events in
# every reminder. The format written is small and fixed (the properties
# below); the tests parse every calendar with icalendar and a second parser
# (ical), so it stays valid.

FOLD = 75  # octets per line, CRLF excluded (RFC 5545 §3.1)
_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n", "\r": ""})


def text_value(value: str) -> str:
    """A TEXT value escaped (RFC 5545 §3.3.11): backslash, «;», «,», newline."""
    return value.translate(_ESCAPES)


def fold(line: str) -> bytes:
    """One content line as UTF-8 with CRLF, folded at 75 octets (never inside
    a character): the continuation lines start with a space."""
    data = line.encode("utf-8")
    if len(data) <= FOLD:
        return data + b"\r\n"
    parts = []
    start, limit = 0, FOLD
    while len(data) - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back off
            cut -= 1
        parts.append(data[start:cut])
        start, limit = cut, FOLD - 1  # the leading space counts
    parts.append(data[start:])
    return b"\r\n ".join(parts) + b"\r\n"


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _duration(span: timedelta) -> str:
    hours, rest = divmod(int(span.total_seconds()), 3600)
    return f"PT{hours}H" + (f"{rest // 60}M" if rest else "")


def todo_uid(uid: str) -> str:
    """The UID of the to-do (and to-do calendar) made from the event (or
    event calendar) ``uid``: both may be imported into one collection."""
    head, _at, domain = uid.partition("@")
    return f"{head}-todo@{domain}" if domain else f"{uid}-todo"


def _placeholder(info: CalendarInfo) -> bytes:
    """«Сроки не указаны» on ``info.today``, all day, with the undated items
    (the calendar's description): a scope with no dated item still gets a
    valid calendar. Its stamp is that day, so the bytes stay the same all
    day long."""
    day = info.today or date(1970, 1, 1)
    stamp = datetime(day.year, day.month, day.day, tzinfo=UTC)
    summary = _("Сроки не указаны")
    lines = [
        "BEGIN:VEVENT",
        f"DTSTART;VALUE=DATE:{_day(day)}",
        f"DTEND;VALUE=DATE:{_day(day + timedelta(days=1))}",
        f"SUMMARY:{text_value(summary)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"UID:{uid_for(info.uid + '/undated')}",
        "SEQUENCE:0",
        f"DESCRIPTION:{text_value(info.description)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]
    return b"".join(fold(line) for line in lines)


def _sequence(entry: Entry, revision: Revision) -> int:
    return entry.base_sequence + revision.sequence


def _common(entry: Entry, revision: Revision, uid: str | None = None) -> list[str]:
    lines = [
        f"SUMMARY:{text_value(entry.summary)}",
        f"DTSTAMP:{_utc(revision.stamp)}",
        f"UID:{uid or entry.uid}",
        f"SEQUENCE:{_sequence(entry, revision)}",
    ]
    if entry.categories:
        lines.append("CATEGORIES:" + ",".join(text_value(c) for c in entry.categories))
    if entry.description:
        lines.append(f"DESCRIPTION:{text_value(entry.description)}")
    lines.append(f"LAST-MODIFIED:{_utc(revision.stamp)}")
    return lines


@functools.lru_cache(maxsize=1 << 14)  # the same events recur in a sender's messages
def _event(entry: Entry, revision: Revision) -> bytes:
    lines = [
        "BEGIN:VEVENT",
        f"DTSTART;VALUE=DATE:{_day(entry.start)}",
        # DTEND of an all-day event is exclusive.
        f"DTEND;VALUE=DATE:{_day(entry.due + timedelta(days=1))}",
        *_common(entry, revision),
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]
    return b"".join(fold(line) for line in lines)


@functools.lru_cache(maxsize=1 << 14)
def _todo(entry: Entry, revision: Revision) -> bytes:
    lines = ["BEGIN:VTODO"]
    # RFC 5545: DUE must be later than DTSTART; a one-day window has none.
    if entry.start < entry.due:
        lines.append(f"DTSTART;VALUE=DATE:{_day(entry.start)}")
    lines.append(f"DUE;VALUE=DATE:{_day(entry.due)}")  # the last day itself
    lines += _common(entry, revision, todo_uid(entry.uid))
    if entry.done:
        lines += ["STATUS:COMPLETED", "PERCENT-COMPLETE:100"]
        if entry.completed_at is not None:
            lines.append(f"COMPLETED:{_utc(entry.completed_at)}")
    elif entry.percent:
        lines += ["STATUS:IN-PROCESS", f"PERCENT-COMPLETE:{entry.percent}"]
    else:
        lines.append("STATUS:NEEDS-ACTION")
    lines.append("END:VTODO")
    return b"".join(fold(line) for line in lines)


def render(
    info: CalendarInfo,
    entries: Iterable[Entry],
    revisions: Mapping[str, Revision],
    *,
    todo: bool = False,
) -> bytes:
    """The calendar as RFC 5545 bytes (CRLF, folded lines, UTF-8).

    Every entry needs a revision in ``revisions`` (by UID). Events are
    ordered by date and UID, so equal input gives equal bytes. A to-do
    calendar and its to-dos have UIDs of their own (:func:`todo_uid`); a
    calendar with no dated entry holds one placeholder event
    (:func:`_placeholder`), as RFC 5545 wants a component."""
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"UID:{todo_uid(info.uid) if todo else info.uid}",
        f"NAME:{text_value(info.name)}",  # RFC 7986
        f"X-WR-CALNAME:{text_value(info.name)}",
        f"DESCRIPTION:{text_value(info.description)}",
        f"X-WR-CALDESC:{text_value(info.description)}",
        # RFC 7986 wants VALUE=DURATION spelled out; Outlook reads X-PUBLISHED-TTL.
        f"REFRESH-INTERVAL;VALUE=DURATION:{_duration(REFRESH)}",
        f"X-PUBLISHED-TTL:{_duration(REFRESH)}",
    ]
    make = _todo if todo else _event
    body = [
        make(entry, revisions[entry.uid])
        for entry in sorted(entries, key=lambda e: (e.start, e.due, e.uid))
    ]
    if not body:
        body.append(_placeholder(info))
    return b"".join([*(fold(line) for line in head), *body, b"END:VCALENDAR\r\n"])
