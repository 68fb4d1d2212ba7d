"""The execution report a coordinator sends up: «информация о ходе
реализации плана мероприятий» — one row per activity with its deadline,
what was done (when, by whom) and the supporting document.

Built on :func:`roadmap.report.build_report` (the cells and their statuses
for «today») and :func:`roadmap.tracking.history` (who marked what, with
which evidence). It only groups and words; :mod:`roadmap.execution_files`
writes it as DOCX and XLSX.

Per task and unit (an organisation of a fanned-out party, or the party
itself) the *mark* says: «выполнено ДД.ММ.ГГГГ (кто)», «не выполнено,
просрочено на N дн.», «срок не наступил», «срок не указан» or «по мере
необходимости». The evidence is the latest standing completion of that
unit: file names, URLs and the note.

Example::

    with app.sessions() as session:
        report = build_execution_report(session, app.clock.today, "glazov-2022-2024")
    Path("report.docx").write_bytes(execution_docx(report))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadmap.errors import NotFoundError
from roadmap.i18n import _, days_, get_language
from roadmap.report import REPORT_STATUSES, Report, Unit, build_report
from roadmap.status import Status, status_label
from roadmap.storage.repository import TaskView, get_plan_view
from roadmap.storage.tables import DONE, PlanRow
from roadmap.tracking import HistoryEntry, TodayFor, history


def day_text(day: date) -> str:
    """A date for people: ДД.ММ.ГГГГ in Russian, ГГГГ-ММ-ДД in English."""
    return day.strftime("%d.%m.%Y") if get_language() == "ru" else day.isoformat()


@dataclass(frozen=True)
class Mark:
    """What one unit did about one task (see the module doc)."""

    unit: Unit
    status: Status
    due: date | None
    days_overdue: int
    done_at: datetime | None  # plan-local
    done_by: str | None
    evidence: tuple[str, ...]  # file names and URLs
    note: str | None

    def text(self) -> str:
        """«выполнено 12.03.2024 (Иванова)», «не выполнено, просрочено на 5 дн.» …"""
        if self.status is Status.DONE:
            when = day_text(self.done_at.date()) if self.done_at else ""
            text = _("выполнено {date}").format(date=when).strip()
            return f"{text} ({self.done_by})" if self.done_by else text
        if self.status is Status.OVERDUE:
            return days_("не выполнено, просрочено на {n} дн.", self.days_overdue).format(
                n=self.days_overdue
            )
        if self.status is Status.UNDATED:
            return _("срок не указан")
        if self.status is Status.ON_DEMAND:
            return _("по мере необходимости")
        return _("срок не наступил")

    def document(self) -> str:
        """The supporting document: evidence names and URLs, then the note."""
        parts = list(self.evidence)
        if self.note:
            parts.append(self.note)
        return "\n".join(parts)


@dataclass(frozen=True)
class ExecutionRow:
    task: TaskView
    marks: tuple[Mark, ...]  # one per unit, in unit order

    @property
    def responsible(self) -> str:
        texts = [self.task.responsible, self.task.co_responsible]
        return "; ".join(t for t in texts if t)

    def deadline(self) -> str:
        if self.task.on_demand:
            return self.task.deadline or _("по мере необходимости")
        return self.task.deadline or _("срок не указан")

    def mark_text(self) -> str:
        """The «Отметка о выполнении» cell: the mark of a single unit; else
        a line per party («МКУ ИМЦРО: выполнено …») and, for the
        organisations, their counts («выполнено: 3 из 10; просрочено: 7 из 10»)."""
        if not self.marks:
            return _("нет исполнителей")
        if len(self.marks) == 1:
            return self.marks[0].text()
        lines = [f"{m.unit.name}: {m.text()}" for m in self.marks if not m.unit.is_org]
        orgs = [m for m in self.marks if m.unit.is_org]
        if orgs:
            counts = dict.fromkeys(REPORT_STATUSES, 0)
            for mark in orgs:
                counts[mark.status] += 1
            parts = [
                _("{label}: {n} из {total}").format(label=status_label(s), n=n, total=len(orgs))
                for s, n in counts.items()
                if n
            ]
            lines.append(_("организации: {counts}").format(counts="; ".join(parts)))
        return "\n".join(lines)

    def document(self) -> str:
        """Evidence names, URLs and notes; for organisations, how many have
        a document (each is in its appendix)."""
        if len(self.marks) == 1:
            return self.marks[0].document()
        lines = [d for m in self.marks if not m.unit.is_org and (d := m.document())]
        with_documents = sum(1 for m in self.marks if m.unit.is_org and (m.evidence or m.note))
        if with_documents:
            lines.append(
                _("документы организаций: {n} (см. приложения)").format(n=with_documents)
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class ExecutionSection:
    title: str
    rows: tuple[ExecutionRow, ...]


@dataclass(frozen=True)
class ExecutionReport:
    plan: str
    title: str
    authority: str
    document: str | None  # «приказ № 70-ОД от 22.04.2022»
    today: date
    timezone: str
    org: str | None  # the organisation the report is limited to
    sections: tuple[ExecutionSection, ...]
    organisations: tuple[Unit, ...]  # units that are organisations, in register order
    matrix: Report

    def rows(self) -> Iterable[ExecutionRow]:
        for section in self.sections:
            yield from section.rows

    def marks_of(self, unit: Unit) -> list[tuple[ExecutionRow, Mark]]:
        """The rows an organisation answers for, with its mark (an appendix)."""
        return [(row, m) for row in self.rows() for m in row.marks if m.unit == unit]


def _document_text(raw: dict[str, Any] | None) -> str | None:
    if not raw:
        return None
    parts = [str(raw.get("kind") or _("документ"))]
    if raw.get("number"):
        parts.append(f"№ {raw['number']}")
    if raw.get("date"):
        parts.append(_("от {date}").format(date=day_text(date.fromisoformat(str(raw["date"])))))
    return " ".join(parts)


def _standing(entries: Sequence[HistoryEntry]) -> dict[tuple[str, str, str | None], HistoryEntry]:
    """The latest standing completion per (task, party, org): for each
    occurrence its last entry counts, and only if it is a completion."""
    last: dict[tuple[Any, ...], HistoryEntry] = {}
    for entry in entries:  # oldest first
        last[(entry.task, entry.party, entry.org, entry.start, entry.due)] = entry
    best: dict[tuple[str, str, str | None], HistoryEntry] = {}
    for entry in last.values():
        if entry.action != DONE:
            continue
        key = (entry.task, entry.party, entry.org)
        if key not in best or entry.at > best[key].at:
            best[key] = entry
    return best


def build_execution_report(
    session: Session,
    today_for: TodayFor,
    plan_code: str,
    due_soon_days: int = 14,
    org: str | None = None,
) -> ExecutionReport:
    """The execution report of ``plan_code`` for «today»; with ``org`` only
    that organisation's rows (:class:`NotFoundError` listing the plan's
    organisations when it takes no part)."""
    matrix = build_report(session, today_for, plan_code, due_soon_days)
    view = get_plan_view(session, plan_code)
    units = list(matrix.units)
    if org is not None:
        units = [u for u in units if u.org == org]
        if not units:
            known = sorted({u.org for u in matrix.units if u.org})
            raise NotFoundError(
                _("в плане {plan} нет организации «{org}»; известны: {known}").format(
                    plan=plan_code, org=org, known=", ".join(known) or "—"
                )
            )
    zone = ZoneInfo(view.timezone)
    standing = _standing(history(session, plan_code))
    sections: list[ExecutionSection] = []
    current: list[ExecutionRow] = []
    title: str | None = None
    for task in view.tasks:
        if task.section_title != title and current:
            sections.append(ExecutionSection(title or "", tuple(current)))
            current = []
        title = task.section_title
        marks: list[Mark] = []
        for unit in units:
            cell = matrix.cell(task.id, unit)
            if cell is None:
                continue
            done = standing.get((task.id, unit.party, unit.org))
            evidence: list[str] = []
            if done is not None and done.evidence is not None:
                evidence.append(done.evidence.name)
            if done is not None and done.url:
                evidence.append(done.url)
            shown = done if cell.status is Status.DONE else None
            marks.append(
                Mark(
                    unit, cell.status, cell.due, cell.days_overdue,
                    shown.at.astimezone(zone) if shown else None,
                    shown.by if shown else None,
                    tuple(evidence) if shown else (),
                    shown.note if shown else None,
                )
            )
        if org is not None and not marks:
            continue
        current.append(ExecutionRow(task, tuple(marks)))
    if current:
        sections.append(ExecutionSection(title or "", tuple(current)))
    return ExecutionReport(
        plan=view.id,
        title=view.title,
        authority=view.authority,
        document=_document_text(
            session.scalar(select(PlanRow.document).where(PlanRow.code == plan_code))
        ),
        today=matrix.today,
        timezone=view.timezone,
        org=org,
        sections=tuple(sections),
        organisations=tuple(u for u in units if u.is_org),
        matrix=matrix,
    )
