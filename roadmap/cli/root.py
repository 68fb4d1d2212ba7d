"""The command group, its global options and the error boundary."""

from __future__ import annotations

import gettext
import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from roadmap.errors import RoadmapError
from roadmap.i18n import LANGUAGES, LOCALE_DIR, N_, _, language_from_env, set_language

F = TypeVar("F", bound=Callable[..., Any])

# The click modules that look up their own texts («Usage:», «Missing
# argument», «Error: …») with ``from gettext import gettext as _`` (and
# ``ngettext``): process-wide functions that follow the environment, not
# ``--lang``. :func:`speak` points them at our catalogue of click's
# messages (domain «click», ``roadmap/locale/ru/LC_MESSAGES/click.po``,
# refreshed by ``scripts/i18n.sh``); English is click's own text.
CLICK_DOMAIN = "click"
CLICK_MODULES = (
    "click.core", "click.decorators", "click.exceptions", "click.formatting",
    "click.parser", "click.termui", "click._termui_impl", "click.types", "click.utils",
    "click.shell_completion",
)
CLICK_HELP_TEXT = "Show this message and exit."  # click's msgid of --help's text
# click texts that its catalogue cannot hold: looked up as ``_(variable)``
# (no literal for the extractor), so ours translates them.
CLICK_EXTRA = {"required": N_("обязательный")}
_click: gettext.NullTranslations = gettext.NullTranslations()


def _click_text(message: str) -> str:
    extra = CLICK_EXTRA.get(message)
    return _(extra) if extra is not None else _click.gettext(message)


def speak(lang: str) -> None:
    """Make ``lang`` («ru», «en») the language of every message of the
    command line: ours (:func:`roadmap.i18n.set_language`) and click's."""
    global _click
    set_language(lang)
    _click = gettext.translation(CLICK_DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
    for name in CLICK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = _click_text  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _click.ngettext  # type: ignore[attr-defined]


@contextmanager
def _translated(command: click.Command) -> Iterator[None]:
    """The command's help, short help and option help in the current
    language while its help is written (the Russian texts are the msgids;
    ``scripts/i18n.sh`` extracts them with :func:`help_texts`)."""
    options = [p for p in command.params if isinstance(p, click.Option) and p.help]
    saved = (command.help, command.short_help, [p.help for p in options])
    command.help = _(command.help) if command.help else command.help
    command.short_help = _(command.short_help) if command.short_help else command.short_help
    for option in options:
        option.help = _(option.help or "")
    try:
        yield
    finally:
        command.help, command.short_help = saved[0], saved[1]
        for option, text in zip(options, saved[2], strict=True):
            option.help = text


class RoadmapCommand(click.Command):
    """A command whose help is shown in the language of ``--lang``/``LANG``."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self):
            super().format_help(ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        with _translated(self):
            return super().get_short_help_str(limit)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # click names a path «file», «directory» or «path» in its messages
        # («File 'x' does not exist.») when the option is made, at import,
        # before the language is known: name it again now.
        for param in self.params:
            kind = param.type
            if isinstance(kind, click.Path):
                word = "path"
                if kind.file_okay and not kind.dir_okay:
                    word = "file"
                elif kind.dir_okay and not kind.file_okay:
                    word = "directory"
                kind.name = _click.gettext(word)
        return super().parse_args(ctx, args)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        # click makes this option once per command and keeps it, help text
        # and all: give it the text of the current language each time.
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = _click.gettext(CLICK_HELP_TEXT)
        return option


# ``roadmap --help`` lists the commands by who uses them; a command not
# named here goes under «Прочее».
COMMAND_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Планы"), ("validate", "load", "plans", "show", "orgs", "parties", "deadline",
                   "import")),
    (N_("Куратор школы"), ("status", "done", "reopen", "history", "evidence")),
    (N_("Координатор"), ("report", "indicators", "indicator")),
    (N_("Календари и почта"), ("ics", "feed", "remind", "outbox")),
    (N_("Сервер"), ("serve", "link", "db")),
)


class RoadmapGroup(RoadmapCommand, click.Group):
    """Turns a :class:`RoadmapError` from any command into its message on
    stderr and its exit code: the only place errors are printed. Its
    commands and groups show their help in the chosen language.

    Commands can be registered lazily (:meth:`register_lazy`): by name, the
    module whose import adds them to the group and the line the group's
    help lists for them. A command's module (and what it imports:
    SQLAlchemy, icalendar, aiohttp…) is imported only when that command
    runs, so ``roadmap --help`` and each command start fast."""

    command_class = RoadmapCommand
    group_class = type  # subgroups are RoadmapGroups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = {}

    def register_lazy(self, commands: Mapping[str, tuple[str, str]]) -> None:
        """Add commands by name → (module, short help msgid); importing the
        module must add the command of that name to this group."""
        self.lazy.update(commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            importlib.import_module(self.lazy[cmd_name][0])
        return super().get_command(ctx, cmd_name)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if parent is None:  # the language of LANG, until --lang (eager) says otherwise
            speak(language_from_env())
        return super().make_context(info_name, args, parent, **extra)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands by role (:data:`COMMAND_SECTIONS`). click's own
        version loads every command for its short help; a lazy one is
        listed with its registered line instead, without importing it."""
        if ctx.parent is not None:  # subgroups: click's own flat list
            super().format_commands(ctx, formatter)
            return
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)
        listed: dict[str, str] = {}
        for name in names:
            if name in self.lazy and name not in self.commands:
                listed[name] = _clip(_(self.lazy[name][1]), limit)
            elif (command := self.get_command(ctx, name)) is not None and not command.hidden:
                listed[name] = command.get_short_help_str(limit)
        sections = [
            (_(title), [n for n in names if n in listed]) for title, names in COMMAND_SECTIONS
        ]
        rest = [n for n in listed if all(n not in names for _t, names in COMMAND_SECTIONS)]
        sections.append((_("Прочее"), rest))
        for title, section in sections:
            if section:
                with formatter.section(title):
                    formatter.write_dl([(n, listed[n]) for n in section])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RoadmapError as err:
            self.fail(ctx, err)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as err:
            # A database that broke under the command (a damaged file, a
            # table dropped by hand) is the user's to fix, not a traceback.
            explain = getattr(ctx.obj, "explain", None)  # an App, when one was built
            found = explain(err) if explain is not None else None
            if found is None:
                raise
            self.fail(ctx, found)

    @staticmethod
    def fail(ctx: click.Context, err: RoadmapError) -> None:
        """Print ``err`` and exit with its code."""
        click.echo(_("Ошибка: {message}").format(message=err), err=True)
        ctx.exit(err.EXIT_CODE)


def _clip(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[: max(limit - 1, 1)].rstrip() + "…"


def _set_lang(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        speak(value)
    return value


@click.group(cls=RoadmapGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    is_eager=True,  # before --help, so that the help is in that language
    callback=_set_lang,
    help="Язык сообщений / message language (ru, en); по умолчанию из LANG.",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="ROADMAP_CONFIG",
    default=None,
    help="Файл настроек YAML (ROADMAP_CONFIG).",
)
@click.version_option(
    package_name="roadmap", message="%(prog)s %(version)s", help="Показать версию и выйти."
)
@click.pass_context
def main(ctx: click.Context, lang: str | None, config: Path | None) -> None:
    """roadmap — сроки дорожных карт: планы, статусы, напоминания, календари."""
    # The language is already set: LANG in make_context, then --lang (eager).
    from roadmap.app import App  # only when a command runs

    app = App(config_path=config)
    ctx.obj = app
    ctx.call_on_close(app.close)


def help_texts(command: click.Command) -> Iterator[str]:
    """Every help text of ``command`` and its subcommands (the msgids)."""
    for text in (command.help, command.short_help):
        if text:
            yield text
    for param in command.params:
        if isinstance(param, click.Option) and param.help:
            yield param.help
    if isinstance(command, RoadmapGroup):
        yield from (short for _module, short in command.lazy.values())
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            if sub is not None:
                yield from help_texts(sub)


def pass_app(func: F) -> F:
    """Give a command the :class:`App` built by the group as first argument."""
    return click.pass_obj(func)  # type: ignore[return-value]
