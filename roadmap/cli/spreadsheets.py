"""``--format xlsx`` of ``status`` and ``history``: their rows as one sheet
each, with headers in the user's language (written by
:mod:`roadmap.spreadsheet`, the same writer as the execution report)."""

from __future__ import annotations

from collections.abc import Iterable

from roadmap.i18n import _
from roadmap.spreadsheet import DATE, NUMBER, Column, Sheet, workbook_bytes
from roadmap.status import status_label
from roadmap.tracking import HistoryEntry, StatusRow


def status_workbook(rows: Iterable[StatusRow]) -> bytes:
    """``roadmap status --format xlsx``."""
    columns = [
        Column(_("План"), 24), Column(_("№"), 8), Column(_("Мероприятие"), 50),
        Column(_("Сторона"), 14), Column(_("Организация"), 28), Column(_("Начало"), 12, DATE),
        Column(_("Срок"), 12, DATE), Column(_("Статус"), 16), Column(_("Дней просрочки"), 10, NUMBER),
        Column(_("Срок в плане"), 28), Column(_("Документ"), 36),
        Column(_("Выполнено (UTC)"), 17, DATE), Column(_("Кто"), 18),
    ]
    data = [
        (r.plan, r.number or r.task, r.activity, r.party, r.org_name or r.org, r.start, r.due,
         status_label(r.status), r.days_overdue or None, r.deadline, r.result, r.done_at,
         r.done_by)
        for r in rows
    ]
    return workbook_bytes([Sheet(_("Статус"), columns, data, freeze_columns=3)])


ACTIONS = {"done": "выполнено", "reopen": "отменено"}


def history_workbook(entries: Iterable[HistoryEntry]) -> bytes:
    """``roadmap history --format xlsx``."""
    columns = [
        Column(_("№"), 7, NUMBER), Column(_("Когда (UTC)"), 17, DATE),
        Column(_("Местное время"), 17, DATE), Column(_("Кто"), 18), Column(_("Действие"), 12),
        Column(_("Задача"), 10), Column(_("Организация"), 18), Column(_("Срок"), 12, DATE),
        Column(_("Файл"), 30), Column(_("Ссылка"), 30), Column(_("Примечание"), 36),
        Column(_("Заменяет"), 10, NUMBER),
    ]
    data = [
        (e.id, e.at, e.local_at, e.by, _(ACTIONS.get(e.action, e.action)), e.number or e.task,
         e.org or e.party, e.due, e.evidence.name if e.evidence else None, e.url, e.note,
         e.supersedes_id)
        for e in entries
    ]
    return workbook_bytes([Sheet(_("Журнал"), columns, data)])
