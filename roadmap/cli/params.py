"""Option types shared by the commands: a calendar date (ГГГГ-ММ-ДД in every
command's help, in either language) and ``--today``."""

from __future__ import annotations

import glob
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from roadmap.i18n import _

F = TypeVar("F", bound=Callable[..., Any])


class DateParam(click.ParamType):
    """A calendar date, written ГГГГ-ММ-ДД (ISO)."""

    name = "ГГГГ-ММ-ДД"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return _("ГГГГ-ММ-ДД")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(_("«{value}» — не дата ГГГГ-ММ-ДД").format(value=value), param, ctx)


DATE = DateParam()


def today_option(func: F) -> F:
    """``--today ГГГГ-ММ-ДД``: the plan-local date to take as today."""
    return click.option(
        "--today",
        type=DATE,
        default=None,
        help="Считать сегодняшней эту дату (вместо местной даты плана).",
    )(func)


class ExistingFile(click.Path):
    """An existing regular file; when it is missing but a file whose name
    goes on after a space is there («Приказ» for «Приказ № 5.pdf»), the
    error says to quote the path: the shell split it."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as err:
            path = Path(str(value))
            folder = path.parent if str(path.parent) else Path(".")
            try:
                longer = sorted(folder.glob(glob.escape(path.name) + " *"))[:1]
            except OSError:
                longer = []
            if not longer:
                raise
            hint = _(
                " Если в имени файла есть пробелы, возьмите путь в кавычки: \"{path}\""
            ).format(path=longer[0])
            raise click.BadParameter(err.message + hint, ctx, param) from err
