"""Expansion of a plan into occurrence specs (pure: no I/O, no database).

Each task gives windows — from its ``schedule`` when it has one (a
``phrase`` read in the deadline language, explicit ``windows``, or
``on_demand``), else from its deadline text — and each window is due once
for each party of the task and, for a party that stands for a register
(«ОО»), once for each organisation of that register. A task without windows
still gives one spec per (party, organisation), of kind ``on_demand`` or
``undated``, so tracking can show it.

Every spec has a natural key, ``plan/task/party/org/window`` (each part
percent-escaped, ``org`` empty when there is none, ``window`` the ISO due
date or ``on-demand``/``undated``). Reloading a plan matches stored
occurrences on it, and calendars derive their UIDs from it, so it must not
depend on anything a plan edit may change without changing the occurrence
itself: the window's *start* is content, not key (a moved start is the same
occurrence, changed).

Example::

    for spec in expand_plan(plan, catalog.registers):
        print(spec.key, spec.kind, spec.due)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import quote

from roadmap.deadlines.api import Context, Meaning, interpret
from roadmap.errors import PlanError
from roadmap.i18n import _
from roadmap.model import Plan, Register, Task, Window

DATED = "dated"
ON_DEMAND = "on_demand"
UNDATED = "undated"

Interpreter = Callable[[str, Context], Meaning]


@dataclass(frozen=True)
class TaskWindows:
    """What a task's deadline (or schedule) means: its kind and windows.

    ``kind`` is ``dated`` when there is at least one window; otherwise
    ``on_demand`` or ``undated`` (no deadline, or text the engine did not
    understand — then ``parsed`` is False)."""

    task: Task
    kind: str
    windows: tuple[Window, ...]
    on_demand: bool
    parsed: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class OccurrenceSpec:
    """One occurrence to store: a window of a task for a party (and an
    organisation of the party's register)."""

    plan: str
    task: str
    party: str
    org: str | None
    kind: str
    start: date | None
    due: date | None
    window: str  # the window part of the key
    content_hash: str  # changes whenever what is shown of it changes

    @property
    def key(self) -> str:
        return natural_key(self.plan, self.task, self.party, self.org, self.window)


def natural_key(plan: str, task: str, party: str, org: str | None, window: str) -> str:
    """``plan/task/party/org/window``, each part escaped so «/» cannot clash."""
    return "/".join(
        (_escape(plan), _escape(task), _escape(party), _escape(org or ""), _escape(window))
    )


@functools.lru_cache(maxsize=1 << 16)
def _escape(part: str) -> str:
    # Memoised: a national load builds millions of keys from a few thousand
    # distinct parts (plan, task, party, organisation and window ids).
    return quote(part, safe="")


def context_of(plan: Plan) -> Context:
    """The context a plan's deadline phrases are read in."""
    return Context(plan.period.start, plan.period.end, plan.school_years, plan.school_year)


def task_windows(plan: Plan, task: Task, read: Interpreter = interpret) -> TaskWindows:
    """The windows of one task, from its schedule or its deadline text."""
    schedule = task.schedule
    if schedule is not None and schedule.on_demand:
        return TaskWindows(task, ON_DEMAND, (), True, True)
    if schedule is not None and schedule.windows:
        windows = tuple(sorted(schedule.windows, key=_window_order))
        return TaskWindows(task, DATED, windows, False, True)
    text = schedule.phrase if schedule is not None and schedule.phrase else task.deadline
    if text is None:
        return TaskWindows(task, UNDATED, (), False, True)
    meaning = read(text, context_of(plan))
    windows = tuple(sorted(meaning.occurrences, key=_window_order))
    if windows:
        kind = DATED
    elif meaning.on_demand:
        kind = ON_DEMAND
    else:
        kind = UNDATED
    return TaskWindows(task, kind, windows, meaning.on_demand, meaning.parsed, meaning.warnings)


def _window_order(window: Window) -> tuple[date, date]:
    return (window.due, window.start or date.min)


def window_keys(windows: tuple[Window, ...]) -> list[str]:
    """The window part of the keys: the ISO due date, ``~2``, ``~3``… added
    when several windows of one task share a due date."""
    seen: dict[date, int] = {}
    keys = []
    for window in windows:
        seen[window.due] = seen.get(window.due, 0) + 1
        n = seen[window.due]
        keys.append(window.due.isoformat() + (f"~{n}" if n > 1 else ""))
    return keys


def expand_plan(
    plan: Plan,
    registers: Mapping[str, Register],
    read: Interpreter = interpret,
    windows: Mapping[str, TaskWindows] | None = None,
) -> Iterator[OccurrenceSpec]:
    """Every occurrence spec of ``plan``, task by task in plan order.

    ``registers`` must hold every register a party of the plan names
    (:class:`PlanError` otherwise). ``windows`` may pass precomputed
    :func:`task_windows` results by task id, to read each phrase only once."""
    for row in occurrence_rows(plan, registers, read, windows):
        yield OccurrenceSpec(
            plan.id,
            row.task,
            row.party,
            row.org,
            row.kind,
            row.start,
            row.due,
            row.window,
            row.content_hash,
        )


class OccurrenceRowSpec(NamedTuple):
    """:class:`OccurrenceSpec` as a plain tuple, its ``key`` computed: what
    the loader stores, made without a dataclass per occurrence."""

    key: str
    task: str
    party: str
    org: str | None
    kind: str
    start: date | None
    due: date | None
    window: str
    content_hash: str


def occurrence_rows(
    plan: Plan,
    registers: Mapping[str, Register],
    read: Interpreter = interpret,
    windows: Mapping[str, TaskWindows] | None = None,
    task_hashes: Mapping[str, str] | None = None,
) -> Iterator[OccurrenceRowSpec]:
    """What :func:`expand_plan` gives, as :class:`OccurrenceRowSpec` tuples
    (the loader's path: a national load makes millions). ``task_hashes``
    may pass the :func:`fingerprint` of each task by id.

    Unlike :func:`expand_plan` it checks the plan at once — an unknown
    register or party is a :class:`PlanError` here, before the first row —
    and then makes the rows as they are consumed."""
    fanout: dict[str, list[tuple[str | None, str]]] = {}
    for party in plan.parties:
        if party.register is None:
            fanout[party.id] = [(None, "")]
            continue
        register = registers.get(party.register)
        if register is None:
            raise PlanError(
                [
                    _(
                        "{plan}: сторона «{party}» ссылается на неизвестный реестр «{register}»"
                    ).format(plan=plan.id, party=party.id, register=party.register)
                ]
            )
        # Only names are shown with an occurrence: a new curator's e-mail must
        # not bump the calendar sequence of every event of the school.
        fanout[party.id] = [(org.id, org.name) for org in register.organisations]
    for task in plan.tasks():
        for party_id in task.parties():
            if party_id not in fanout:
                raise PlanError(
                    [
                        _("{plan}: задача «{task}» называет неизвестную сторону «{party}»").format(
                            plan=plan.id, task=task.id, party=party_id
                        )
                    ]
                )
    return _rows(plan, fanout, read, windows, task_hashes)


def _rows(
    plan: Plan,
    fanout: Mapping[str, list[tuple[str | None, str]]],
    read: Interpreter,
    windows: Mapping[str, TaskWindows] | None,
    task_hashes: Mapping[str, str] | None,
) -> Iterator[OccurrenceRowSpec]:
    party_name = {party.id: party.name for party in plan.parties}
    for task in plan.tasks():
        found = windows[task.id] if windows is not None else task_windows(plan, task, read)
        task_hash = task_hashes[task.id] if task_hashes is not None else fingerprint(task)
        # Per window: start, due, the window part of the key (plain and
        # escaped) and the end of the content JSON.
        slots: list[tuple[date | None, date | None, str, str, str]]
        if found.kind == DATED:
            slots = [
                (
                    w.start,
                    w.due,
                    key,
                    _escape(key),
                    f"{_json_str(_iso(w.start))},{_json_str(_iso(w.due))}]",
                )
                for w, key in zip(found.windows, window_keys(found.windows), strict=True)
            ]
        else:
            key = "on-demand" if found.kind == ON_DEMAND else "undated"
            slots = [(None, None, key, _escape(key), "null,null]")]
        for party_id in task.parties():
            for org, org_name in fanout[party_id]:
                # natural_key() and _digest([task_hash, party name, org name,
                # kind, start, due]), built here by pieces — the same text —
                # as this runs once per occurrence.
                prefix = "/".join(
                    (_escape(plan.id), _escape(task.id), _escape(party_id), _escape(org or ""), "")
                )
                head = "[" + ",".join(
                    _json_str(s) for s in (task_hash, party_name[party_id], org_name, found.kind)
                )
                for start, due, window, escaped, tail in slots:
                    yield OccurrenceRowSpec(
                        prefix + escaped,
                        task.id,
                        party_id,
                        org,
                        found.kind,
                        start,
                        due,
                        window,
                        hashlib.sha256(f"{head},{tail}".encode()).hexdigest(),
                    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _json_str(value: str | None) -> str:
    """``value`` as :func:`_digest`'s ``json.dumps`` writes it."""
    return "null" if value is None else _encode_json_string(value)


# What json.dumps(..., ensure_ascii=False) writes a string with.
_encode_json_string: Callable[[str], str] = json.encoder.encode_basestring


def to_plain(value: Any) -> Any:
    """A JSON-able form of a model value; fields that do not take part in
    equality (source positions, file names) are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare
        }
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    return value


def fingerprint(value: Any) -> str:
    """SHA-256 of a model value's content (stable across processes)."""
    return _digest(to_plain(value))


def plan_fingerprints(plan: Plan) -> tuple[str, dict[str, str]]:
    """:func:`fingerprint` of ``plan`` and of each of its tasks by id, with
    one :func:`to_plain` of the plan (a task's plain form is part of it)."""
    plain = to_plain(plan)
    tasks = {
        task.id: _digest(task_plain)
        for section, section_plain in zip(plan.sections, plain["sections"], strict=True)
        for task, task_plain in zip(section.tasks, section_plain["tasks"], strict=True)
    }
    return _digest(plain), tasks


def _digest(plain: Any) -> str:
    text = json.dumps(plain, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
