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
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from roadmap.errors import ConfigError
from roadmap.i18n import _


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    return int(value)


def _to_str(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError
    return str(value)


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
    Option("lookahead_days", _to_int, 14, "целое число дней", "«Скоро срок»: столько дней вперёд."),
    Option(
        "escalate_after_days",
        _to_int,
        7,
        "целое число дней",
        "Эскалация после стольких дней просрочки.",
    ),
    Option("reminder_time", _to_time, time(8, 0), "ЧЧ:ММ", "Местное время ежедневной рассылки."),
    Option(
        "evidence_max_bytes",
        _to_int,
        50 * 1024 * 1024,
        "целое число байт",
        "Предельный размер файла-доказательства.",
    ),
    Option("user", _to_str, None, "имя", "Кто отмечает выполнение (по умолчанию пользователь ОС)."),
    Option(
        "feed_base_url",
        _to_str,
        "http://127.0.0.1:8080",
        "URL",
        "Адрес, с которого раздаются календари.",
    ),
    Option("smtp.host", _to_str, "127.0.0.1", "имя хоста", "SMTP-сервер."),
    Option("smtp.port", _to_int, 25, "номер порта", "Порт SMTP."),
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
    Option("smtp.from", _to_str, "roadmap@localhost", "адрес", "Отправитель."),
    Option("smtp.reply_to", _to_str, None, "адрес", "Адрес для ответов."),
    Option("smtp.timeout", _to_int, 60, "секунды", "Предельное время одной отправки."),
)
_BY_KEY = {o.key: o for o in SPEC}
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
                    _("{source}: «{key}» должен быть словарём").format(source=source, key=key)
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
        try:
            text = path.read_text(encoding="utf-8")
            data = YAML(typ="safe").load(text) or {}
        except OSError as err:
            raise ConfigError(
                _("{path}: не читается: {err}").format(path=path, err=err.strerror)
            ) from err
        except YAMLError as err:
            raise ConfigError(_("{path}: не YAML: {err}").format(path=path, err=err)) from err
        if not isinstance(data, Mapping):
            raise ConfigError(_("{path}: ожидался словарь настроек").format(path=path))
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
    if values["data_dir"] is None:
        values["data_dir"] = Path(platformdirs.user_data_dir("roadmap", appauthor=False))
    if values["db_url"] is None:
        values["db_url"] = f"sqlite:///{Path(values['data_dir']) / 'roadmap.db'}"
    if values["smtp.password"] is None and values["smtp.password_file"] is not None:
        try:
            values["smtp.password"] = (
                Path(values["smtp.password_file"]).read_text(encoding="utf-8").strip()
            )
        except OSError as err:
            raise ConfigError(
                _("Файл пароля SMTP не читается: {path}").format(path=values["smtp.password_file"])
            ) from err
    return Settings(values)
