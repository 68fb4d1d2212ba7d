"""The ``roadmap`` command line: a thin shell over the core API.

The group builds one :class:`~roadmap.app.App` (settings, database, clock)
lazily and closes it when the command ends. Errors raised by the core carry
their exit code (:mod:`roadmap.errors`); the group turns them into a message.

Commands are loaded lazily: :data:`COMMANDS` names each top-level command,
the module whose import adds it to :data:`main` (``@main.command()``), and
the line ``roadmap --help`` lists for it. Adding a command is one line here.
"""

from __future__ import annotations

from roadmap.cli.root import main, pass_app
from roadmap.i18n import N_

COMMANDS: dict[str, tuple[str, str]] = {
    "deadline": ("roadmap.cli.deadline", N_("Что означает текст срока в периоде плана.")),
    "done": ("roadmap.cli.track", N_("Отметить выполнение задачи плана.")),
    "evidence": ("roadmap.cli.track", N_("Хранилище файлов-доказательств.")),
    "feed": ("roadmap.cli.calendar", N_("Подписки на календари: секретные ссылки.")),
    "history": ("roadmap.cli.track", N_("Журнал отметок плана, от старых к новым.")),
    "ics": ("roadmap.cli.calendar", N_("Календарь iCalendar сроков плана, стороны или организации.")),
    "link": ("roadmap.cli.web", N_("Личные ссылки на веб-страницы.")),
    "load": ("roadmap.cli.store", N_("Загрузить (или обновить) планы и реестры в базу.")),
    "outbox": ("roadmap.cli.remind", N_("Очередь писем: составленные, отправленные, отложенные.")),
    "plans": ("roadmap.cli.store", N_("Список загруженных планов: срок действия, задачи, сроки.")),
    "remind": ("roadmap.cli.remind", N_("Составить сегодняшние напоминания и отправить их.")),
    "reopen": ("roadmap.cli.track", N_("Снять отметку о выполнении (она остаётся в истории).")),
    "report": ("roadmap.cli.report", N_("Отчёт координатора по плану.")),
    "serve": ("roadmap.cli.web", N_("Веб-страницы, календари и уведомления по HTTP.")),
    "show": ("roadmap.cli.store", N_("Показать план: задачи и сроки.")),
    "status": ("roadmap.cli.track", N_("Статус сроков на сегодня (по местной дате каждого плана).")),
    "validate": ("roadmap.cli.plans", N_("Проверить планы и реестры: все ошибки за один проход.")),
    "import": ("roadmap.cli.imports", N_("Черновик плана из Word, Excel, CSV или PDF.")),
    "indicators": ("roadmap.cli.indicators", N_("Показатели плана: цели и сообщённые значения.")),
    "indicator": ("roadmap.cli.indicators", N_("Сообщить значение показателя.")),
    "orgs": ("roadmap.cli.directory", N_("Реестры и организации.")),
    "parties": ("roadmap.cli.directory", N_("Стороны плана.")),
    "db": ("roadmap.cli.database", N_("База данных: проверка и резервная копия.")),
}
main.register_lazy(COMMANDS)

__all__ = ["COMMANDS", "main", "pass_app"]
