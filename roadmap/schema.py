"""A small declarative schema for YAML read by ruamel.yaml's round-trip loader.

Each :class:`Spec` checks one value, converts it, and reports every problem
with its ``file:line:column``, key path and what would have been accepted —
all problems of a file in one pass. The plan and register formats in
:mod:`roadmap.plans` are written in it, and so is their documentation.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from roadmap.i18n import N_, _
from roadmap.model import Position

INVALID: Any = object()  # a value that failed its check (already reported)


@dataclass(frozen=True)
class Problem:
    position: Position
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        if self.severity == "warning":
            return _("{position}: предупреждение: {message}").format(
                position=self.position, message=self.message
            )
        return f"{self.position}: {self.message}"


#: Values one file may hold (counted as the schema walks them, aliases
#: once per use: a YAML alias bomb stops here, not after the whole walk).
MAX_NODES = 200_000
#: Problems reported per file; the rest are counted («и ещё N»).
MAX_PROBLEMS = 100


class TooManyNodes(Exception):
    """Raised inside the walk when a document passes :data:`MAX_NODES`."""


@dataclass
class Checker:
    """Collects the problems of one file while a schema walks it.

    At most ``max_problems`` are kept; :meth:`finish` adds one line counting
    the others. The walk stops (:class:`TooManyNodes`) past ``max_nodes``."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    nodes: int = 0
    max_nodes: int = MAX_NODES
    max_problems: int = MAX_PROBLEMS
    dropped: int = 0
    dropped_errors: int = 0

    def at(self, line0: int, col0: int) -> Position:
        return Position(self.file, line0 + 1, col0 + 1)

    def error(self, pos: Position, path: str, message: str) -> None:
        prefix = f"{path}: " if path else ""
        self.add(Problem(pos, prefix + message))

    def warn(self, pos: Position, path: str, message: str) -> None:
        prefix = f"{path}: " if path else ""
        self.add(Problem(pos, prefix + message, "warning"))

    def add(self, problem: Problem) -> None:
        """Keep ``problem``, or only count it once the list is full."""
        if len(self.problems) < self.max_problems:
            self.problems.append(problem)
        else:
            self.dropped += 1
            self.dropped_errors += problem.severity == "error"

    def count(self) -> None:
        """One more value walked; :class:`TooManyNodes` past the limit."""
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise TooManyNodes

    def finish(self) -> list[Problem]:
        """The problems kept, and a last line «и ещё N» for those dropped."""
        if not self.dropped:
            return self.problems
        more = Problem(
            self.at(0, 0),
            _("и ещё {n} сообщений об этом файле (показаны первые {shown})").format(
                n=self.dropped, shown=len(self.problems)
            ),
            "error" if self.dropped_errors else "warning",
        )
        return [*self.problems, more]


def _tag(value: Any) -> str | None:
    tag = getattr(value, "tag", None)
    return getattr(tag, "value", None) if tag is not None else None


class Spec:
    #: msgid of what the spec accepts; translated when a message is made
    ACCEPTS = ""

    @property
    def accepts(self) -> str:
        return _(self.ACCEPTS)

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        raise NotImplementedError

    def wrong(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        chk.error(
            pos,
            path,
            _("ожидается {accepts}, а не {value}").format(accepts=self.accepts, value=_show(value)),
        )
        return INVALID


def _show(value: Any) -> str:
    if value is None:
        return _("пустое значение")
    if isinstance(value, Mapping):
        return _("строки «ключ: значение»")
    if isinstance(value, list | tuple):
        return _("список")
    text = str(value)
    return f"«{text[:40]}…»" if len(text) > 40 else f"«{text}»"


class Text(Spec):
    def __init__(self, pattern: str | None = None, accepts: str | None = None) -> None:
        self.pattern = re.compile(pattern) if pattern else None
        self.ACCEPTS = accepts or N_("непустая строка")

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int):
            if isinstance(value, float):
                chk.error(
                    pos,
                    path,
                    _("число {value} прочитано как дробь: возьмите его в кавычки").format(
                        value=value
                    ),
                )
                return INVALID
            return self.wrong(value, pos, path, chk)
        text = str(value).strip()
        if not text or (self.pattern and not self.pattern.fullmatch(text)):
            return self.wrong(value, pos, path, chk)
        return text


class Bool(Spec):
    ACCEPTS = N_("true или false")

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        return value if isinstance(value, bool) else self.wrong(value, pos, path, chk)


class Day(Spec):
    ACCEPTS = N_("дата ГГГГ-ММ-ДД")

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        return self.wrong(value, pos, path, chk)


class MonthDay(Spec):
    ACCEPTS = N_("день года ММ-ДД, например «09-01»")

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        if isinstance(value, str) and re.fullmatch(r"\d\d-\d\d", value.strip()):
            month, day = (int(x) for x in value.strip().split("-"))
            try:
                date(2000, month, day)
                return (month, day)
            except ValueError:
                pass
        return self.wrong(value, pos, path, chk)


class Zone(Spec):
    ACCEPTS = N_("часовой пояс IANA, например «Asia/Irkutsk»")

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        if isinstance(value, str) and value.strip():
            try:
                ZoneInfo(value.strip())
                return value.strip()
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return self.wrong(value, pos, path, chk)


class YearMap(Spec):
    """``{2022: 10, 2023: "не менее 50"}``: year → number or text."""

    ACCEPTS = N_("строки «год: значение» с отступом, например «2024: 10»")

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        if not isinstance(value, Mapping):
            return self.wrong(value, pos, path, chk)
        out: dict[int, Any] = {}
        for key, item in value.items():
            kpos = _key_pos(value, key, pos, chk)
            if isinstance(key, bool) or not isinstance(key, int) or not 1900 <= key <= 2200:
                chk.error(kpos, f"{path}.{key}", _("ключ должен быть годом, например 2023"))
            elif isinstance(item, bool) or not isinstance(item, int | float | str):
                chk.error(kpos, f"{path}.{key}", _("значение должно быть числом или текстом"))
            else:
                out[key] = item
        return out


class Nullable(Spec):
    def __init__(self, inner: Spec) -> None:
        self.inner = inner

    @property
    def accepts(self) -> str:
        return _("{accepts} или null").format(accepts=self.inner.accepts)

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        return None if value is None else self.inner.check(value, pos, path, chk)


class ListOf(Spec):
    ACCEPTS = N_("список")

    def __init__(self, item: Spec, min_items: int = 0) -> None:
        self.item = item
        self.min_items = min_items

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        if not isinstance(value, list):
            return self.wrong(value, pos, path, chk)
        if len(value) < self.min_items:
            chk.error(pos, path, _("список не может быть пустым"))
        out = []
        for i, item in enumerate(value):
            ipos = _item_pos(value, i, pos, chk)
            checked = _check_node(self.item, item, ipos, f"{path}[{i}]", chk)
            if checked is not INVALID:
                out.append(checked)
        return out


@dataclass(frozen=True)
class Key:
    spec: Spec
    required: bool = False
    doc: str = ""


class Record(Spec):
    """A mapping with known keys; unknown keys are errors with «did you mean»."""

    def __init__(self, keys: Mapping[str, Key], accepts: str | None = None) -> None:
        self.keys = dict(keys)
        self.ACCEPTS = accepts or ""

    @property
    def accepts(self) -> str:
        if self.ACCEPTS:
            return _(self.ACCEPTS)
        # Say what to write, not «a mapping»: its keys, one per line.
        required = [k for k, key in self.keys.items() if key.required] or list(self.keys)[:3]
        return _("строки «ключ: значение» с отступом ({keys}, …)").format(
            keys=", ".join(f"{k}:" for k in required[:4])
        )

    def check(self, value: Any, pos: Position, path: str, chk: Checker) -> Any:
        if not isinstance(value, Mapping):
            return self.wrong(value, pos, path, chk)
        out: dict[str, Any] = {"__pos__": pos}
        for key, item in value.items():
            kpath = f"{path}.{key}" if path else str(key)
            if key not in self.keys:
                close = difflib.get_close_matches(str(key), list(self.keys), n=1)
                hint = _(" (может быть, «{key}»?)").format(key=close[0]) if close else ""
                chk.error(
                    _key_pos(value, key, pos, chk),
                    kpath,
                    _("неизвестный ключ «{key}»{hint}; допустимы: {keys}").format(
                        key=key, hint=hint, keys=", ".join(self.keys)
                    ),
                )
                continue
            vpos = _value_pos(value, key, pos, chk)
            out[key] = _check_node(self.keys[key].spec, item, vpos, kpath, chk)
            out[f"__pos__{key}"] = vpos
        for key, spec in self.keys.items():
            if spec.required and key not in value:
                chk.error(
                    pos,
                    path,
                    _("нет обязательного ключа «{key}» ({accepts})").format(
                        key=key, accepts=spec.spec.accepts
                    ),
                )
                out[key] = INVALID
        return out


def _check_node(spec: Spec, value: Any, pos: Position, path: str, chk: Checker) -> Any:
    chk.count()
    tag = _tag(value)
    if tag and not tag.startswith("tag:yaml.org,2002:") and tag not in ("!", "?"):
        chk.error(pos, path, _("тег YAML {tag} не допускается").format(tag=tag))
        return INVALID
    if tag and tag.startswith("tag:yaml.org,2002:python"):
        chk.error(pos, path, _("тег YAML {tag} не допускается").format(tag=tag))
        return INVALID
    return spec.check(value, pos, path, chk)


def check_document(spec: Spec, data: Any, chk: Checker) -> Any:
    """``data`` checked against ``spec``; INVALID when it failed. A document
    of more than ``chk.max_nodes`` values (aliases count at each use) is one
    error, found as soon as the walk passes the limit."""
    try:
        return _check_node(spec, data, chk.at(0, 0), "", chk)
    except TooManyNodes:
        chk.error(
            chk.at(0, 0),
            "",
            _("слишком большой файл (больше {n} значений, считая каждое использование "
              "псевдонима YAML)").format(n=chk.max_nodes),
        )
        return INVALID


def _lc_pos(getter: Callable[[], Sequence[int]], fallback: Position, chk: Checker) -> Position:
    try:
        line, col = getter()[:2]
        return chk.at(line, col)
    except (AttributeError, KeyError, TypeError, IndexError):
        return fallback


def _key_pos(mapping: Any, key: Any, fallback: Position, chk: Checker) -> Position:
    return _lc_pos(lambda: mapping.lc.key(key), fallback, chk)


def _value_pos(mapping: Any, key: Any, fallback: Position, chk: Checker) -> Position:
    return _lc_pos(lambda: mapping.lc.value(key), fallback, chk)


def _item_pos(seq: Any, index: int, fallback: Position, chk: Checker) -> Position:
    return _lc_pos(lambda: seq.lc.item(index), fallback, chk)


def describe(spec: Spec, indent: int = 0) -> list[str]:
    """A Markdown outline of a schema, for the format documentation."""
    lines: list[str] = []
    if isinstance(spec, ListOf):
        return describe(spec.item, indent)
    if isinstance(spec, Record):
        for key, k in spec.keys.items():
            need = _("обязательно") if k.required else _("необязательно")
            lines.append(f"{'  ' * indent}- `{key}` ({need}; {k.spec.accepts}): {k.doc}")
            inner = k.spec.inner if isinstance(k.spec, Nullable) else k.spec
            lines.extend(describe(inner, indent + 1))
    return lines
