"""User-facing text through gettext.

Message ids are the Russian text (Russian is the product's default language);
the English catalogue lives in ``roadmap/locale/en/LC_MESSAGES/roadmap.mo``.
Choose the language once per process with :func:`set_language` (the command
line does it from ``--lang`` or ``LANG``)::

    from roadmap.i18n import _
    message = _("Неизвестный ключ {key}").format(key="titel")
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "roadmap"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("ru", "en")

_current: gettext.NullTranslations = gettext.NullTranslations()
_language = "ru"


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
    global _current, _language
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    _language = lang
    if lang == "ru":
        _current = gettext.NullTranslations()
    else:
        _current = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def get_language() -> str:
    return _language


def _(message: str) -> str:
    """Translate a Russian message id into the current language."""
    return _current.gettext(message)


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
    return _current.ngettext(message, message, n)
