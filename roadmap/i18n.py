"""User-facing text through gettext.

Message ids are the Russian text (Russian is the product's default language);
the English catalogue lives in ``roadmap/locale/en/LC_MESSAGES/roadmap.mo``.
Choose the language of the process with :func:`set_language` (the command
line does it from ``--lang`` or ``LANG``); the web server chooses one per
request with :func:`use_language` (a context variable: concurrent requests,
and the threads they hand work to, each keep their own)::

    from roadmap.i18n import _
    message = _("Неизвестный ключ {key}").format(key="titel")
"""

from __future__ import annotations

import gettext
import os
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "roadmap"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("ru", "en")

_NULL = gettext.NullTranslations()
_process: tuple[str, gettext.NullTranslations] = ("ru", _NULL)
_request: ContextVar[tuple[str, gettext.NullTranslations] | None] = ContextVar(
    "roadmap_language", default=None
)


def _state() -> tuple[str, gettext.NullTranslations]:
    return _request.get() or _process


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    if lang == "ru":
        return _NULL
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def language_from_env(environ: dict[str, str] | None = None) -> str:
    """The language named by ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``, or «ru»."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return "en" if value.lower().startswith("en") else "ru"
    return "ru"


def set_language(lang: str) -> None:
    """Make ``lang`` («ru» or «en») the language of every later ``_()`` call."""
    global _process
    _process = (_checked(lang), _catalogue(lang))


def use_language(lang: str) -> None:
    """Make ``lang`` the language of the current context only (one web
    request, and what it runs in other threads with ``asyncio.to_thread``)."""
    _request.set((_checked(lang), _catalogue(lang)))


def _checked(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return lang


def get_language() -> str:
    return _state()[0]


def _(message: str) -> str:
    """Translate a Russian message id into the current language."""
    return _state()[1].gettext(message)


def N_(message: str) -> str:
    """Mark a message id for extraction; translate it later with ``_()``."""
    return message


def days_(message: str, n: int) -> str:
    """Translate a message about ``n`` days. The Russian id says «дн.»,
    right for every number, so it is its own plural; the English catalogue
    has «day» and «days» (``msgstr[0]``, ``msgstr[1]``; extracted with the
    keyword ``days_:1,1``)::

        days_("осталось {n} дн.", n).format(n=n)
    """
    return _state()[1].ngettext(message, message, n)
