"""From a road-map document to a draft plan in our YAML format.

:func:`import_document` reads the file (:mod:`.sources`), finds the plan
table (:mod:`.table`), reads the heading (:mod:`.heading`), resolves the
responsible parties (:mod:`.parties`), reads every deadline with the
deadline engine, and writes the plan with ruamel.yaml. Deadline phrases not
fully understood carry a ``# не распознано: …`` comment; what the document
does not state is a ``TODO`` value that ``roadmap validate`` reports.

Example::

    result = import_document(Path("plan.docx"), ImportOptions(plan_id="glazov-2022-2024"))
    Path("glazov-2022-2024.yaml").write_text(result.yaml)
    result.summary.activities   # 31
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from roadmap.deadlines import Context, interpret
from roadmap.i18n import _
from roadmap.importing.heading import read_heading
from roadmap.importing.parties import KnownParty, PartyResolver, transliterate
from roadmap.importing.sources import ImportError_, read_document
from roadmap.importing.table import (
    Finding,
    RawSection,
    TableReading,
    continued,
    find_layout,
    read_table,
)
from roadmap.model import Period

TODO = "TODO"
DEFAULT_ZONE = "Europe/Moscow"
_ID_RE = re.compile(r"[^A-Za-z0-9._-]+")
_EXTRA_SUFFIXES = ("bis", "ter", "quater")


@dataclass(frozen=True)
class ImportOptions:
    """What the command line says; None: take it from the document."""

    plan_id: str | None = None
    title: str | None = None
    period: Period | None = None
    school_years: bool | None = None
    timezone: str | None = None
    known: tuple[KnownParty, ...] = ()
    register: str | None = None  # register id for the «ОО» party
    today: date | None = None  # the year of a period nobody states


@dataclass(frozen=True)
class Unread:
    task: str
    text: str
    why: str  # «не понят» or the engine's doubts


@dataclass
class ImportSummary:
    """What the import did, for the person who must check the draft."""

    source: str
    plan: str
    tables: int = 0
    rows: int = 0
    sections: int = 0
    activities: int = 0
    continuations: int = 0
    skipped: int = 0
    deadlines_read: int = 0
    deadlines_partly: int = 0
    deadlines_unread: int = 0
    deadlines_missing: int = 0
    unread: list[Unread] = field(default_factory=list)
    parties_created: list[tuple[str, str]] = field(default_factory=list)
    parties_reused: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The ``roadmap import --format json`` object."""
        return {
            "source": self.source,
            "plan": self.plan,
            "tables": self.tables,
            "rows": self.rows,
            "sections": self.sections,
            "activities": self.activities,
            "continuations": self.continuations,
            "skipped": self.skipped,
            "deadlines": {
                "read": self.deadlines_read,
                "partly": self.deadlines_partly,
                "unread": self.deadlines_unread,
                "missing": self.deadlines_missing,
            },
            "unread": [{"task": u.task, "text": u.text, "why": u.why} for u in self.unread],
            "parties_created": [{"id": i, "name": n} for i, n in self.parties_created],
            "parties_reused": self.parties_reused,
            "todo": self.todo,
            "findings": [
                {"place": f.place, "message": f.message, "text": f.text} for f in self.findings
            ],
        }


@dataclass(frozen=True)
class ImportResult:
    plan_id: str
    yaml: str
    summary: ImportSummary


def import_document(path: Path, options: ImportOptions) -> ImportResult:
    """The draft plan of ``path`` (see the module doc); raises
    :class:`ImportError_` when the file has no plan table."""
    doc = read_document(path)
    readings: list[TableReading] = []
    heading = list(doc.heading)
    others: list[Finding] = []
    for grid, place in zip(doc.tables, doc.places, strict=True):
        layout = find_layout(grid)
        if layout is None:
            width = max((len(row) for row in grid), default=0)
            if readings and width == len(readings[-1].layout.kinds):
                # The plan table goes on in a table of its own (a page or
                # section break in Word), without the header row.
                previous = readings[-1]
                readings.append(read_table(grid, continued(previous.layout), place, previous))
            elif any(any(row) for row in grid):
                others.append(Finding(place, _("таблица без заголовков плана, не прочитана"),
                                      " | ".join(c for c in grid[0] if c)[:200]))
            continue
        if not readings:  # lines above the first plan table are its heading
            above = grid[: layout.header_rows[0]]
            heading.extend(" ".join(c for c in row if c) for row in above if any(row))
        readings.append(read_table(grid, layout, place))
    if not any(r.sections for r in readings):
        raise ImportError_(
            _(
                "{path}: не найдена таблица плана: нужна строка заголовков со словами "
                "«№», «Мероприятие», «Срок», «Ответственный», «Результат» (таблиц в файле: {n})"
            ).format(path=path, n=len(doc.tables))
        )
    facts = read_heading(heading)
    plan_id = options.plan_id or _slug(path.stem)
    summary = ImportSummary(str(path), plan_id, tables=len(readings))
    summary.findings.extend(others)
    for reading in readings:
        summary.rows += reading.rows
        summary.continuations += reading.continuations
        summary.skipped += reading.skipped
        summary.findings.extend(reading.findings)
    sections = [s for r in readings for s in r.sections]

    school_years = options.school_years if options.school_years is not None else facts.school_years
    period = options.period or facts.period or _period_from_deadlines(sections)
    title = options.title or facts.title
    zone = options.timezone or facts.timezone
    if title is None:
        summary.todo.append("title")
    summary.todo.append("authority")
    if period is None:
        summary.todo.append("period")
        year = (options.today or date(2000, 1, 1)).year
        period = Period(date(year, 1, 1), date(year, 12, 31))
    if zone is None:
        summary.todo.append("timezone")

    resolver = PartyResolver(options.known, options.register)
    context = Context(period.start, period.end, school_years)
    plan = CommentedMap()
    plan["kind"] = "plan"
    plan["id"] = plan_id
    plan["title"] = title or f"{TODO}: " + _("название плана")
    plan["authority"] = f"{TODO}: " + _("кем утверждён план")
    if facts.document is not None:
        plan["document"] = _flow(
            {"kind": facts.document.kind, "number": facts.document.number,
             "date": facts.document.date}
        )
    plan["period"] = _flow({"start": period.start, "end": period.end})
    plan["timezone"] = zone or DEFAULT_ZONE
    if school_years:
        plan["school_years"] = True
    plan["parties"] = CommentedSeq()
    plan["sections"] = _sections(sections, resolver, context, summary)
    for party in resolver.parties:
        if not party.used:
            continue
        entry = CommentedMap()
        entry["id"] = party.id
        entry["name"] = party.name
        if party.aliases:
            entry["aliases"] = list(dict.fromkeys(party.aliases))
        if party.register:
            entry["register"] = party.register
        plan["parties"].append(entry)
        if party.created:
            summary.parties_created.append((party.id, party.name))
        else:
            summary.parties_reused.append(party.id)
    if "timezone" in summary.todo:
        plan.yaml_add_eol_comment(f"{TODO}: " + _("часовой пояс плана не указан в документе"),
                                  "timezone")
    if "period" in summary.todo:
        plan.yaml_add_eol_comment(f"{TODO}: " + _("период плана не указан в документе"), "period")
    plan.yaml_set_start_comment(
        _("Черновик плана из {source} (roadmap import). Проверьте его: см. docs/import.md.").format(
            source=path.name
        )
    )
    return ImportResult(plan_id, _dump(plan), summary)


def _slug(stem: str) -> str:
    return transliterate(stem) if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", stem) else stem


def _flow(values: dict[str, Any]) -> CommentedMap:
    out = CommentedMap(values)
    out.fa.set_flow_style()
    return out


def _period_from_deadlines(sections: list[RawSection]) -> Period | None:
    """The years the deadlines name, first to last (a plan without a stated period)."""
    years = [
        int(y)
        for s in sections
        for t in s.tasks
        for y in re.findall(r"\b(20\d\d)\b", t.deadline)
    ]
    if not years:
        return None
    return Period(date(min(years), 1, 1), date(max(years), 12, 31))


def _unique(candidate: str, taken: set[str]) -> str:
    ident = candidate
    n = 0
    while ident in taken:
        suffix = _EXTRA_SUFFIXES[n] if n < len(_EXTRA_SUFFIXES) else str(n + 2)
        ident = f"{candidate}-{suffix}"
        n += 1
    taken.add(ident)
    return ident


def _code(number: str | None) -> str:
    text = _ID_RE.sub("-", (number or "").strip().rstrip(".)")).strip("-.")
    return text if text[:1].isalnum() else ""


def _sections(
    sections: list[RawSection], resolver: PartyResolver, context: Context, summary: ImportSummary
) -> CommentedSeq:
    out = CommentedSeq()
    section_ids: set[str] = set()
    task_ids: set[str] = set()
    for n, section in enumerate(sections, start=1):
        entry = CommentedMap()
        entry["id"] = _unique(_code(section.number) or f"s{n}", section_ids)
        if section.number:
            entry["number"] = section.number
        entry["title"] = section.title
        entry["tasks"] = tasks = CommentedSeq()
        summary.sections += 1
        for raw in section.tasks:
            task = CommentedMap()
            summary.activities += 1
            ident = _unique(_code(raw.number) or f"t{summary.activities}", task_ids)
            task["id"] = ident
            if raw.number:
                task["number"] = raw.number
            task["activity"] = raw.activity
            task["deadline"] = raw.deadline or None
            comment = _read_deadline(ident, raw.deadline, context, summary)
            if comment:
                task.yaml_add_eol_comment(comment, "deadline")
            task["responsible"] = _responsibility(raw.responsible, resolver)
            if not raw.responsible and "responsible" not in summary.todo:
                summary.todo.append("responsible")
            if raw.co_responsible:
                task["co_responsible"] = _responsibility(raw.co_responsible, resolver)
            if raw.result:
                task["result"] = raw.result
            if raw.extras:
                task["note"] = "; ".join(f"{head}: {text}" if head else text
                                         for head, text in raw.extras)
            tasks.append(task)
        if not section.tasks:
            entry.yaml_add_eol_comment(_("в разделе нет мероприятий"), "tasks")
        out.append(entry)
    return out


def _responsibility(text: str, resolver: PartyResolver) -> CommentedMap:
    # An empty cell: a TODO party, which validate accepts and reports.
    text = text or f"{TODO}: " + _("ответственный не указан")
    return _flow({"text": text, "parties": list(resolver.resolve(text))})


def _read_deadline(task: str, text: str, context: Context, summary: ImportSummary) -> str | None:
    """Count the phrase as read, partly read or not read; the comment to
    write beside it, if any."""
    if not text:
        summary.deadlines_missing += 1
        return None
    meaning = interpret(text, context)
    if not meaning.parsed:
        summary.deadlines_unread += 1
        why = _("срок не понят")
    elif meaning.doubts():
        summary.deadlines_partly += 1
        why = "; ".join(meaning.doubts())
    else:
        summary.deadlines_read += 1
        return None
    summary.unread.append(Unread(task, text, why))
    return _("не распознано: {why}").format(why=why)


def _dump(plan: CommentedMap) -> str:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # long texts stay on one line, as in plans/
    yaml.allow_unicode = True
    buffer = io.StringIO()
    yaml.dump(plan, buffer)
    return buffer.getvalue()
