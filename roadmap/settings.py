"""Settings: one declarative spec, read from a YAML file and ``ROADMAP_*``
environment variables (the environment wins).

Every setting is one :class:`Option` in :data:`SPEC`; that list drives
parsing, validation («did you mean» for unknown keys) and
``docs/settings.md``. Example file::

    data_dir: /var/lib/roadmap
    lookahead_days: 10
    smtp:
      host: relay.example.org
      port: 587
      tls: starttls
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from roadmap.errors import ConfigError
from roadmap.files import FileRefused, read_limited, text_line
from roadmap.i18n import _


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    return int(value)


def _to_days(value: Any) -> int:
    days = _to_int(value)
    if days < 1:
        raise ValueError
    return days


def _to_str(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError
    return str(value)


def _int_in(low: int, high: int) -> Callable[[Any], int]:
    """A converter to an integer from ``low`` to ``high`` inclusive."""

    def convert(value: Any) -> int:
        number = _to_int(value)
        if not low <= number <= high:
            raise ValueError(number)
        return number

    return convert


def _to_address(value: Any) -> str:
    """An e-mail address (``a@b`` or ``Имя <a@b>``) on one line: a CR or LF
    would start another header and silently change the sender."""
    text = _to_str(value).strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueError(text)
    _name, address = parseaddr(text)
    if "@" not in address:
        raise ValueError(text)
    return text


def _to_path(value: Any) -> Path:
    return Path(os.path.expanduser(_to_str(value)))


def _to_time(value: Any) -> time:
    if isinstance(value, int):  # YAML 1.1 reads 08:00 as sexagesimal minutes
        return time(value // 60, value % 60)
    return time.fromisoformat(_to_str(value))


def _to_zone(value: Any) -> str:
    name = _to_str(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError from err
    return name


def _to_tls(value: Any) -> str:
    mode = _to_str(value).lower()
    if mode not in ("starttls", "tls", "none"):
        raise ValueError
    return mode


@dataclass(frozen=True)
class Option:
    key: str  # dotted path in the YAML file: "smtp.host"
    convert: Callable[[Any], Any]
    default: Any
    accepts: str  # what a valid value looks like, for messages and docs
    doc: str
    secret: bool = False  # never shown: not in repr, not in error messages

    @property
    def env(self) -> str:
        return "ROADMAP_" + self.key.replace(".", "_").upper()


#: Where ``roadmap serve`` listens by default: reachable from this computer only.
DEFAULT_BASE_URL = "http://127.0.0.1:8080"

SPEC: tuple[Option, ...] = (
    Option("data_dir", _to_path, None, "путь", "Каталог данных (база, доказательства)."),
    Option(
        "db_url",
        _to_str,
        None,
        "URL SQLAlchemy",
        "База данных; по умолчанию SQLite-файл в data_dir.",
    ),
    Option(
        "timezone",
        _to_zone,
        "Europe/Moscow",
        "часовой пояс IANA",
        "Пояс по умолчанию, где у плана нет своего.",
    ),
    Option(
        "lookahead_days",
        _int_in(0, 366),
        14,
        "целое число дней от 0 до 366",
        "«Скоро срок»: столько дней вперёд.",
    ),
    Option(
        "escalate_after_days",
        _int_in(1, 365),
        7,
        "целое число дней от 1 до 365",
        "Эскалация после стольких дней просрочки.",
    ),
    Option("reminder_time", _to_time, time(8, 0), "ЧЧ:ММ", "Местное время ежедневной рассылки."),
    Option(
        "outbox_retention_days",
        _to_days,
        30,
        "целое число дней, не меньше 1",
        "Через столько дней у отправленного письма удаляется текст (остаются адрес и статус).",
    ),
    Option(
        "outbox_row_retention_days",
        _to_days,
        400,
        "целое число дней, не меньше 1",
        "Через столько дней запись об отправленном письме удаляется из очереди.",
    ),
    Option(
        "evidence_max_bytes",
        _int_in(0, 2**40),
        50 * 1024 * 1024,
        "целое число байт от 0 до 2⁴⁰",
        "Предельный размер файла-доказательства.",
    ),
    Option("user", _to_str, None, "имя", "Кто отмечает выполнение (по умолчанию пользователь ОС)."),
    Option(
        "feed_base_url",
        _to_str,
        DEFAULT_BASE_URL,
        "URL",
        "Внешний адрес календарей и страниц (с него начинаются ссылки feed create); "
        "по умолчанию работает только на этом компьютере.",
    ),
    Option("smtp.host", _to_str, "127.0.0.1", "имя хоста", "SMTP-сервер."),
    Option("smtp.port", _int_in(1, 65535), 25, "номер порта от 1 до 65535", "Порт SMTP."),
    Option(
        "smtp.tls",
        _to_tls,
        "starttls",
        "starttls, tls или none",
        "Режим TLS (явно, без тихого открытого текста).",
    ),
    Option("smtp.user", _to_str, None, "имя", "Пользователь SMTP."),
    Option(
        "smtp.password",
        _to_str,
        None,
        "пароль",
        "Пароль SMTP (лучше из окружения или файла).",
        secret=True,
    ),
    Option("smtp.password_file", _to_path, None, "путь", "Файл с паролем SMTP."),
    Option(
        "smtp.ca_file",
        _to_path,
        None,
        "путь",
        "Сертификаты УЦ (PEM) для проверки SMTP-сервера; по умолчанию системные.",
    ),
    Option(
        "smtp.from",
        _to_address,
        "roadmap@localhost",
        "адрес электронной почты в одну строку",
        "Отправитель.",
    ),
    Option(
        "smtp.reply_to",
        _to_address,
        None,
        "адрес электронной почты в одну строку",
        "Адрес для ответов.",
    ),
    Option(
        "smtp.timeout",
        _int_in(1, 3600),
        60,
        "секунды от 1 до 3600",
        "Предельное время одной отправки.",
    ),
)
_BY_KEY = {o.key: o for o in SPEC}
#: A settings file is a few lines; anything bigger is not one.
MAX_CONFIG_BYTES = 1024 * 1024
_SECRETS = frozenset(o.key for o in SPEC if o.secret)
_SECTIONS = {o.key.split(".")[0] for o in SPEC if "." in o.key}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; ``values`` holds every key of :data:`SPEC`."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        shown = {k: "***" if k in _SECRETS and v is not None else v for k, v in self.values.items()}
        return f"Settings({shown!r})"

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def is_default(self, key: str) -> bool:
        """Whether ``key`` still has its default value (was not configured)."""
        return bool(self.values[key] == _BY_KEY[key].default)

    @property
    def data_dir(self) -> Path:
        return Path(self.values["data_dir"])

    @property
    def db_url(self) -> str:
        return str(self.values["db_url"])


def _flatten(data: Mapping[str, Any], source: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if key in _SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(
                    _(
                        "{source}: под «{key}:» ожидаются строки «ключ: значение» с отступом"
                    ).format(source=source, key=key)
                )
            for sub, subvalue in value.items():
                flat[f"{key}.{sub}"] = subvalue
        else:
            flat[key] = value
    return flat


def _suggest(key: str) -> str:
    close = difflib.get_close_matches(key, list(_BY_KEY), n=1)
    return _(" (может быть, «{key}»?)").format(key=close[0]) if close else ""


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the YAML file, then ``ROADMAP_*`` variables."""
    env = os.environ if environ is None else environ
    raw: dict[str, tuple[Any, str]] = {}
    if path is not None:
        from ruamel.yaml import YAML  # a YAML parser only for a settings file
        from ruamel.yaml.error import YAMLError

        try:
            text = read_limited(path, MAX_CONFIG_BYTES).decode("utf-8")
            data = YAML(typ="safe").load(text) or {}
        except FileRefused as err:
            raise ConfigError(_("{path}: {err}").format(path=path, err=err)) from err
        except UnicodeDecodeError as err:
            raise ConfigError(
                _("{path}: строка {line}: файл не в кодировке UTF-8 ({err})").format(
                    path=path, line=text_line(err.object, err.start), err=err.reason
                )
            ) from err
        except (YAMLError, RecursionError) as err:
            raise ConfigError(_("{path}: не YAML: {err}").format(path=path, err=err)) from err
        if not isinstance(data, Mapping):
            raise ConfigError(
                _("{path}: ожидаются строки «ключ: значение», например «lookahead_days: 10»")
                .format(path=path)
            )
        for key, value in _flatten(data, str(path)).items():
            if key not in _BY_KEY:
                raise ConfigError(
                    _("{path}: неизвестная настройка «{key}»{hint}").format(
                        path=path, key=key, hint=_suggest(key)
                    )
                )
            raw[key] = (value, str(path))
    for option in SPEC:
        if option.env in env:
            raw[option.key] = (env[option.env], option.env)
    values: dict[str, Any] = {}
    for option in SPEC:
        if option.key not in raw:
            values[option.key] = option.default
            continue
        value, source = raw[option.key]
        try:
            values[option.key] = None if value is None else option.convert(value)
        except (ValueError, TypeError) as err:
            raise ConfigError(
                _("{source}: «{key}» = {value!r}: ожидается {accepts}").format(
                    source=source,
                    key=option.key,
                    value="***" if option.secret else value,
                    accepts=option.accepts,
                )
            ) from err
    if values["outbox_row_retention_days"] < values["outbox_retention_days"]:
        raise ConfigError(
            _("«outbox_row_retention_days» = {rows}: ожидается не меньше "
              "«outbox_retention_days» = {bodies}").format(
                rows=values["outbox_row_retention_days"], bodies=values["outbox_retention_days"])
        )
    if values["data_dir"] is None:
        values["data_dir"] = Path(platformdirs.user_data_dir("roadmap", appauthor=False))
    if values["db_url"] is None:
        values["db_url"] = f"sqlite:///{Path(values['data_dir']) / 'roadmap.db'}"
    if values["smtp.password"] is None and values["smtp.password_file"] is not None:
        path = Path(values["smtp.password_file"])
        try:
            values["smtp.password"] = read_limited(path, MAX_CONFIG_BYTES).decode("utf-8").strip()
        except (FileRefused, UnicodeDecodeError) as err:
            raise ConfigError(
                _("Файл пароля SMTP не читается: {path}: {err}").format(path=path, err=err)
            ) from err
    return Settings(values)
