"""The command group, its global options and the error boundary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from roadmap.app import App
from roadmap.errors import RoadmapError
from roadmap.i18n import LANGUAGES, _, language_from_env, set_language

F = TypeVar("F", bound=Callable[..., Any])


class RoadmapGroup(click.Group):
    """Turns a :class:`RoadmapError` from any command into its message on
    stderr and its exit code: the only place errors are printed."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RoadmapError as err:
            click.echo(_("Ошибка: {message}").format(message=err), err=True)
            ctx.exit(err.EXIT_CODE)


@click.group(cls=RoadmapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Язык сообщений / message language (ru, en); по умолчанию из LANG.",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ROADMAP_CONFIG",
    default=None,
    help="Файл настроек YAML (ROADMAP_CONFIG).",
)
@click.version_option(package_name="roadmap")
@click.pass_context
def main(ctx: click.Context, lang: str | None, config: Path | None) -> None:
    """roadmap — сроки дорожных карт: планы, статусы, напоминания, календари."""
    set_language(lang or language_from_env())
    app = App(config_path=config)
    ctx.obj = app
    ctx.call_on_close(app.close)


def pass_app(func: F) -> F:
    """Give a command the :class:`App` built by the group as first argument."""
    return click.pass_obj(func)  # type: ignore[return-value]
