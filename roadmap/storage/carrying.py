"""Completions carried over when a load replaces a done occurrence.

:func:`roadmap.storage.repository.load_catalog` withdraws an occurrence
whose window vanished from the plan and adds the new one. When the old one
was done, :class:`CarryOver` pairs it with its successor
(:func:`roadmap.carry.pair`) and records a new completion there that names
the old one (``carried_from_id``): history keeps both, and the school stays
done. Only the sequences (task × party × organisation) that hold a done
occurrence are read, so a national load with few completions pays little.

``carry`` decides the ambiguous cases: None carries the sure pairs and
reports the rest as :class:`Undecided` (the command refuses then), True
carries every one to its nearest candidate, False carries nothing.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from roadmap.carry import Slot, nearest, pair
from roadmap.errors import RoadmapError
from roadmap.evidence import Evidence
from roadmap.i18n import _
from roadmap.storage.tables import (
    DONE,
    CompletionRow,
    OccurrenceRow,
    OrganisationRow,
    PartyRow,
    TaskRow,
)

Group = tuple[int, int, int | None]  # task id, party id, organisation id


@dataclass(frozen=True)
class Carried:
    """A completion carried from a withdrawn occurrence to its successor."""

    task: str
    party: str
    org: str | None
    old_due: date | None
    new_due: date | None
    by: str
    completion_id: int  # the new row
    carried_from_id: int  # the old one


@dataclass(frozen=True)
class Undecided:
    """A done occurrence withdrawn by the load whose successor is not
    certain: ``choices`` are the due dates it might go to."""

    task: str
    party: str
    org: str | None
    old_due: date | None
    by: str
    at: datetime
    choices: tuple[date | None, ...]


class UndecidedCarryError(RoadmapError):
    """A load would withdraw done occurrences whose successor is not certain."""

    EXIT_CODE = 1


def due_label(day: date | None) -> str:
    """A due date for messages («без срока» for none)."""
    return day.isoformat() if day else _("без срока")


def describe_unit(task: str, party: str, org: str | None) -> str:
    """«1.2 (oo/school-1)» — for messages."""
    return f"{task} ({party}/{org})" if org else f"{task} ({party})"


def refuse_undecided(undecided: list[Undecided]) -> None:
    """Raise :class:`UndecidedCarryError` listing ``undecided`` (if any)."""
    if not undecided:
        return
    lines = [
        _("{unit}: снятый срок {old} отмечен выполненным ({by}); новый срок — один из: {new}").format(
            unit=describe_unit(u.task, u.party, u.org),
            old=due_label(u.old_due),
            by=u.by,
            new=", ".join(due_label(c) for c in u.choices),
        )
        for u in undecided
    ]
    raise UndecidedCarryError(
        _(
            "Неясно, на какие новые сроки перенести отметки о выполнении (ничего не записано):\n"
            "{lines}\n"
            "Добавьте --carry, чтобы перенести каждую на ближайший новый срок, "
            "или --no-carry, чтобы не переносить"
        ).format(lines="\n".join("  " + line for line in lines))
    )


@dataclass
class _Done:
    id: int
    key: str
    group: Group
    task: str
    party: str
    org: str | None
    start: date | None
    due: date | None


class CarryOver:
    """Watches one plan's load: :meth:`watch` each stored spec, then
    :meth:`finish` with the keys the plan still has."""

    def __init__(self, session: Session, plan_id: int, school_year_month: int | None) -> None:
        self.session = session
        self.school_year_month = school_year_month
        done = session.execute(
            select(
                OccurrenceRow.id, OccurrenceRow.key, OccurrenceRow.task_id,
                OccurrenceRow.party_id, OccurrenceRow.organisation_id, TaskRow.code,
                PartyRow.code, OrganisationRow.code, OccurrenceRow.start, OccurrenceRow.due,
            )
            .join(TaskRow, TaskRow.id == OccurrenceRow.task_id)
            .join(PartyRow, PartyRow.id == OccurrenceRow.party_id)
            .outerjoin(OrganisationRow, OrganisationRow.id == OccurrenceRow.organisation_id)
            .where(
                OccurrenceRow.plan_id == plan_id,
                OccurrenceRow.done_at.is_not(None),
                OccurrenceRow.withdrawn_at.is_(None),
            )
        )
        self.done = [
            _Done(oid, key, (task_id, party_id, org_id), task, party, org, start, due)
            for oid, key, task_id, party_id, org_id, task, party, org, start, due in done
        ]
        self.groups = {d.group for d in self.done}
        self.old: dict[Group, list[Slot]] = {}
        if self.groups:
            tasks = sorted({g[0] for g in self.groups})
            for key, task_id, party_id, org_id, start, due in session.execute(
                select(
                    OccurrenceRow.key, OccurrenceRow.task_id, OccurrenceRow.party_id,
                    OccurrenceRow.organisation_id, OccurrenceRow.start, OccurrenceRow.due,
                ).where(
                    OccurrenceRow.plan_id == plan_id,
                    OccurrenceRow.withdrawn_at.is_(None),
                    OccurrenceRow.task_id.in_(tasks),
                )
            ):
                group = (task_id, party_id, org_id)
                if group in self.groups:
                    self.old.setdefault(group, []).append(Slot(key, start, due))
        self.new: dict[Group, list[Slot]] = {}
        self.added: set[Hashable] = set()

    def watch(
        self, group: Group, key: str, start: date | None, due: date | None, *, added: bool
    ) -> None:
        """A spec of the loaded plan (``added``: a row inserted for it)."""
        if group in self.groups:
            self.new.setdefault(group, []).append(Slot(key, start, due))
            if added:
                self.added.add(key)

    def finish(
        self, present: set[str], carry: bool | None
    ) -> tuple[list[Carried], list[Undecided]]:
        """Pair and (as ``carry`` says) record; returns what was carried and
        what is left undecided."""
        carried: list[Carried] = []
        undecided: list[Undecided] = []
        gone = [d for d in self.done if d.key not in present]
        if not gone or carry is False:
            return carried, undecided
        latest = self._latest({d.id for d in gone})
        by_key = {d.key: d for d in gone}
        moves: list[tuple[_Done, Slot]] = []
        taken: set[Hashable] = set()
        for group in sorted({d.group for d in gone}, key=lambda g: (g[0], g[1], g[2] or 0)):
            new = self.new.get(group, [])
            slots = {s.ref: s for s in new}
            found = pair(
                self.old.get(group, []),
                new,
                withdrawn_done={d.key for d in gone if d.group == group},
                added=self.added,
                school_year_month=self.school_year_month,
            )
            for old_key, new_key in found.sure.items():
                moves.append((by_key[str(old_key)], slots[new_key]))
                taken.add(new_key)
            for old_key, choices in found.ambiguous.items():
                old = by_key[str(old_key)]
                if carry:
                    free = [slots[c] for c in choices if c not in taken] or [
                        slots[c] for c in choices
                    ]
                    chosen = nearest(Slot(old.key, old.start, old.due), free)
                    moves.append((old, chosen))
                    taken.add(chosen.ref)
                else:
                    row = latest[old.id]
                    undecided.append(
                        Undecided(
                            old.task, old.party, old.org, old.due, row.by, row.at,
                            tuple(slots[c].due for c in choices),
                        )
                    )
        if undecided:
            return [], undecided
        ids = self._ids([str(slot.ref) for _old, slot in moves])
        for old, slot in moves:
            carried.append(self._record(old, latest[old.id], ids[str(slot.ref)], slot.due))
        return carried, undecided

    def _latest(self, occurrence_ids: set[int]) -> dict[int, CompletionRow]:
        """The current (done) completion of each occurrence."""
        latest: dict[int, CompletionRow] = {}
        for row in self.session.scalars(
            select(CompletionRow)
            .where(CompletionRow.occurrence_id.in_(sorted(occurrence_ids)))
            .order_by(CompletionRow.id)
        ):
            latest[row.occurrence_id] = row
        return latest

    def _ids(self, keys: list[str]) -> dict[str, int]:
        return dict(
            self.session.execute(
                select(OccurrenceRow.key, OccurrenceRow.id).where(OccurrenceRow.key.in_(keys))
            ).all()
        )

    def _record(
        self, old: _Done, row: CompletionRow, occurrence_id: int, new_due: date | None
    ) -> Carried:
        from roadmap.storage.repository import record_completion  # it loads plans with us

        evidence = (
            Evidence(
                row.evidence_sha256, row.evidence_name or "", row.evidence_size or 0,
                row.evidence_media_type,
            )
            if row.evidence_sha256
            else None
        )
        new_id = record_completion(
            self.session, occurrence_id, row.by, row.at, row.note, row.url, evidence,
            action=DONE, carried_from_id=row.id,
        )
        return Carried(old.task, old.party, old.org, old.due, new_due, row.by, new_id, row.id)
