"""Plans and organisation registers: YAML files → validated model.

The formats are declared once (:data:`PLAN`, :data:`REGISTER`) in the schema
language of :mod:`roadmap.schema`; ``docs/plan-format.md`` describes them.
:func:`check_paths` reports every problem of every file in one pass;
:func:`read_catalog` returns the model or raises :class:`PlanError`.

Example::

    catalog = read_catalog([Path("plans")])
    plan = catalog.plans["irkutsk-city-2023-2026"]
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from roadmap.deadlines import interpret
from roadmap.deadlines.bounds import period_problem, text_problem, windows_problem
from roadmap.errors import PlanError
from roadmap.files import FileRefused, read_limited, text_line
from roadmap.i18n import _
from roadmap.model import (
    INDICATOR_KINDS,
    LEVEL,
    ORGANISATIONS,
    SHARE,
    YES_NO,
    Contact,
    Document,
    Indicator,
    Organisation,
    Party,
    Period,
    Plan,
    Position,
    Register,
    Responsibility,
    Schedule,
    SchoolYear,
    Section,
    Target,
    Task,
    Window,
)
from roadmap.occurrences import context_of
from roadmap.schema import (
    INVALID,
    Bool,
    Checker,
    Day,
    Key,
    ListOf,
    MonthDay,
    Nullable,
    Problem,
    Record,
    Text,
    YearMap,
    Zone,
    check_document,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40

SLUG = r"[a-z0-9][a-z0-9-]*"
TASK_ID = r"[A-Za-z0-9][A-Za-z0-9._-]*"
EMAIL = r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+"

CONTACT = Record(
    {
        "name": Key(Text(), doc="имя или должность"),
        "email": Key(Text(EMAIL, "адрес электронной почты"), doc="адрес"),
    }
)
RESPONSIBILITY = Record(
    {
        "text": Key(Text(), required=True, doc="ячейка «Ответственные» дословно"),
        "parties": Key(
            ListOf(Text(SLUG, "id стороны"), min_items=1), required=True, doc="id сторон"
        ),
    }
)
WINDOW = Record(
    {
        "start": Key(Nullable(Day()), doc="первый день или null"),
        "due": Key(Day(), required=True, doc="последний день в срок"),
    }
)
SCHEDULE = Record(
    {
        "phrase": Key(Text(), doc="другая фраза языка сроков"),
        "windows": Key(ListOf(WINDOW, min_items=1), doc="явные даты"),
        "on_demand": Key(Bool(), doc="по мере необходимости"),
        "why": Key(Text(), required=True, doc="почему текст срока не взят буквально"),
    }
)
TASK = Record(
    {
        "id": Key(
            Text(TASK_ID, "id задачи (латиница, цифры, . _ -)"),
            required=True,
            doc="уникальный в плане",
        ),
        "number": Key(Text(), doc="номер как в источнике"),
        "activity": Key(Text(), required=True, doc="мероприятие дословно"),
        "deadline": Key(
            Nullable(Text()), required=True, doc="срок дословно; null — срок не указан"
        ),
        "schedule": Key(SCHEDULE, doc="структурированный срок вместо текста"),
        "responsible": Key(RESPONSIBILITY, required=True, doc="ответственные"),
        "co_responsible": Key(RESPONSIBILITY, doc="соисполнители (второй столбец)"),
        "result": Key(Nullable(Text()), doc="ожидаемый результат, документ"),
        "targets": Key(YearMap(), doc="целевые значения по годам"),
        "target_unit": Key(Text(), doc="единица целевых значений"),
        "note": Key(Text(), doc="примечание"),
    }
)
SECTION = Record(
    {
        "id": Key(Text(TASK_ID, "id раздела"), required=True),
        "number": Key(Text()),
        "title": Key(Text(), required=True),
        "tasks": Key(ListOf(TASK), required=True),
    }
)
PARTY = Record(
    {
        "id": Key(Text(SLUG, "id стороны (строчная латиница, цифры, -)"), required=True),
        "name": Key(Text(), required=True),
        "aliases": Key(ListOf(Text())),
        "contacts": Key(ListOf(CONTACT)),
        "register": Key(Text(SLUG, "id реестра организаций")),
        "escalation": Key(CONTACT),
    }
)
INDICATOR = Record(
    {
        "id": Key(Text(TASK_ID, "id показателя"), required=True),
        "name": Key(Text(), required=True, doc="название дословно"),
        "kind": Key(
            Text("|".join(INDICATOR_KINDS), ", ".join(INDICATOR_KINDS)),
            required=True,
            doc="как проверять и сводить значения (share, count, level, yes_no)",
        ),
        "who_reports": Key(
            Text(SLUG, "id стороны или organisations"),
            doc="кто сообщает значение: сторона плана или organisations (каждая ОО)",
        ),
        "activity": Key(
            Text(TASK_ID, "id задачи"),
            doc="задача, которая собирает значение; без targets — её целевые значения",
        ),
        "unit": Key(Nullable(Text())),
        "targets": Key(YearMap()),
        "note": Key(Text()),
    }
)
PLAN = Record(
    {
        "kind": Key(Text(r"plan", "plan"), required=True),
        "id": Key(Text(SLUG, "id плана (строчная латиница, цифры, -)"), required=True),
        "title": Key(Text(), required=True),
        "authority": Key(Text(), required=True),
        "document": Key(
            Record(
                {
                    "kind": Key(Text(), required=True),
                    "number": Key(Nullable(Text())),
                    "date": Key(Nullable(Day())),
                    "title": Key(Text()),
                }
            )
        ),
        "period": Key(
            Record({"start": Key(Day(), required=True), "end": Key(Day(), required=True)}),
            required=True,
        ),
        "timezone": Key(Zone(), required=True),
        "school_years": Key(Bool()),
        "school_year": Key(
            Record({"start": Key(MonthDay(), required=True), "end": Key(MonthDay(), required=True)})
        ),
        "parent": Key(Text(SLUG, "id плана")),
        "escalation": Key(CONTACT),
        "note": Key(Text()),
        "parties": Key(ListOf(PARTY, min_items=1), required=True),
        "sections": Key(ListOf(SECTION, min_items=1), required=True),
        "indicators": Key(ListOf(INDICATOR)),
    }
)
ORGANISATION = Record(
    {
        "id": Key(Text(SLUG, "id организации"), required=True),
        "name": Key(Text(), required=True),
        "address": Key(Text()),
        "website": Key(Text(r"https?://\S+", "адрес http(s)://")),
        "curator": Key(CONTACT),
        "note": Key(Text()),
    }
)
REGISTER = Record(
    {
        "kind": Key(Text(r"register", "register"), required=True),
        "id": Key(Text(SLUG, "id реестра"), required=True),
        "title": Key(Text(), required=True),
        "example": Key(Bool()),
        "note": Key(Text()),
        "organisations": Key(ListOf(ORGANISATION, min_items=1), required=True),
    }
)
KINDS = {"plan": PLAN, "register": REGISTER}


@dataclass
class Catalog:
    """Plans and registers read together, with the warnings found."""

    plans: dict[str, Plan] = field(default_factory=dict)
    registers: dict[str, Register] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    # Parents and registers not among the files, found in the database.
    stored_plans: set[str] = field(default_factory=set)
    stored_registers: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Stored:
    """The ids of the plans and registers already in the database: a plan
    may name them (``parent:``, ``register:``) without their files."""

    plans: frozenset[str] = frozenset()
    registers: frozenset[str] = frozenset()


# Asked only when a plan names a parent or register that is not among the
# files read (so a self-contained set of files opens no database).
StoredLookup = Callable[[], Stored]


class _Constructor(RoundTripConstructor):
    """Round-trip constructor whose impossible dates («2024-13-31») stay
    strings, so the schema reports them with their position instead of the
    loader failing with a bare ValueError."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return self.construct_scalar(node)


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    yaml = YAML()  # round trip: keeps positions and comments
    yaml.Constructor = _Constructor
    yaml.max_depth = MAX_DEPTH
    return yaml


def plan_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """The YAML files named by ``paths`` (directories are read recursively).

    Whatever else is named is kept for :func:`parse_file` to refuse by what
    it is (a FIFO, a device): only a missing path is a problem here."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and not p.is_dir()
            )
            if not found:
                problems.append(
                    Problem(Position(str(path), 1, 1), _("в каталоге нет файлов .yaml или .yml"))
                )
            files.extend(found)
        elif os.path.lexists(path):
            files.append(path)
        else:
            problems.append(Problem(Position(str(path), 1, 1), _("нет такого файла или каталога")))
    return list(dict.fromkeys(files)), problems


def parse_file(path: Path) -> tuple[Any, list[Problem]]:
    """Parse one YAML file; syntax errors become problems with positions.
    Only a regular file of at most :data:`MAX_FILE_BYTES` is read."""
    name = str(path)
    try:
        text = read_limited(path, MAX_FILE_BYTES).decode("utf-8")
    except UnicodeDecodeError as err:
        line = text_line(err.object, err.start)
        return None, [
            Problem(
                Position(name, line, 1),
                _("файл не в кодировке UTF-8: {err}").format(err=err.reason),
            )
        ]
    except FileRefused as err:
        return None, [Problem(Position(name, 1, 1), str(err))]
    try:
        return _yaml().load(text), []
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = err.problem or str(err).splitlines()[0]
        if "duplicate key" in (err.problem or ""):
            what = _("повторяющийся ключ: {detail}").format(detail=err.problem)
        elif "depth" in str(err):
            what = _("слишком глубокая вложенность (больше {limit})").format(limit=MAX_DEPTH)
        else:
            what = yaml_hint(err, text) or what
        return None, [
            Problem(Position(name, line, col), _("ошибка YAML: {what}").format(what=what))
        ]
    except YAMLError as err:
        return None, [Problem(Position(name, 1, 1), _("ошибка YAML: {what}").format(what=err))]
    except RecursionError:
        return None, [Problem(Position(name, 1, 1), _("слишком глубокая вложенность"))]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def yaml_hint(err: MarkedYAMLError, text: str) -> str | None:
    """A Russian explanation, with what to do, of the usual YAML slips: a
    tab, a line indented wrongly, a colon inside text, an unclosed quote
    (None for others: the parser's own words are shown)."""
    problem = err.problem or ""
    context = err.context or ""
    mark = err.problem_mark
    lines = text.splitlines()
    line = lines[mark.line] if mark and mark.line < len(lines) else ""
    # ruamel shows the tab as «'\\t'»; a tab may also hide before the mark.
    if "'\\t'" in problem or "\t" in problem or "\t" in line[: mark.column + 1 if mark else 0]:
        return _("табуляция в отступе: замените табуляцию пробелами")
    if "quoted scalar" in context:
        start = err.context_mark.line + 1 if err.context_mark else "?"
        return _(
            "не закрыта кавычка, открытая в строке {line}: закройте её в конце текста "
            "(или уберите)"
        ).format(line=start)
    if "mapping values are not allowed" in problem:
        previous = next(
            (p for p in reversed(lines[: mark.line if mark else 0]) if p.strip()), ""
        )
        if _indent(line) > _indent(previous) and not previous.rstrip().endswith(":"):
            return _(
                "неверный отступ: эта строка сдвинута вправо относительно предыдущей; "
                "ключи одного уровня пишутся с одного столбца"
            )
        return _(
            "двоеточие с пробелом внутри текста: возьмите текст в кавычки, "
            "например title: \"План: мероприятия\""
        )
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return _(
            "неверный отступ: ключи одного уровня пишутся с одного столбца, "
            "вложенные — на одинаковый отступ правее"
        )
    if "could not find expected ':'" in problem:
        return _("ожидалась строка вида «ключ: значение» (не хватает двоеточия?)")
    return None


def check_paths(
    paths: Iterable[Path], strict: bool = False, stored: StoredLookup | None = None
) -> tuple[Catalog, list[Problem]]:
    """Read every file; return what was built and every problem found.

    Deadline phrases the engine does not understand are warnings (errors when
    ``strict``). A parent or register that is neither among the files nor
    beside them may be in the database: ``stored`` tells (the catalog's
    ``stored_plans``/``stored_registers`` say which were used)."""
    files, problems = plan_files(paths)
    catalog = Catalog()
    sources: dict[str, str] = {}
    positions: dict[str, Position] = {}
    for path in files:
        data, found = parse_file(path)
        problems.extend(found)
        if found:
            continue
        chk = Checker(str(path))
        kind = data.get("kind") if isinstance(data, Mapping) else None
        if data is None or not isinstance(data, Mapping):
            chk.error(
                chk.at(0, 0),
                "",
                (_("файл пуст") if data is None else _("ожидаются строки «ключ: значение»"))
                + _(": первая строка — «kind: plan» (план) или «kind: register» (реестр)"),
            )
            problems.extend(chk.problems)
            continue
        if not isinstance(kind, str) or kind not in KINDS:
            chk.error(
                chk.at(0, 0),
                "kind",
                _("ожидается «kind: plan» или «kind: register», а не {value}").format(value=kind),
            )
            problems.extend(chk.problems)
            continue
        raw = check_document(KINDS[kind], data, chk)
        item: Plan | Register | None = None
        if raw is not INVALID:
            item = _build_plan(raw, chk) if kind == "plan" else _build_register(raw, chk)
        found = chk.finish()
        problems.extend(found)
        if item is None or any(p.severity == "error" for p in found):
            continue
        if item.id != path.stem:
            problems.append(
                Problem(
                    raw["__pos__id"],
                    _("id «{id}» не совпадает с именем файла «{stem}»").format(
                        id=item.id, stem=path.stem
                    ),
                )
            )
        table: dict[str, Any] = catalog.plans if isinstance(item, Plan) else catalog.registers
        if item.id in table:
            problems.append(
                Problem(
                    raw["__pos__id"],
                    _("id «{id}» уже есть в {other}").format(id=item.id, other=sources[item.id]),
                )
            )
            continue
        table[item.id] = item
        sources[item.id] = str(path)
        positions[item.id] = raw["__pos__id"]
        if isinstance(item, Plan):
            positions[f"{item.id}/parent"] = raw.get("__pos__parent", raw["__pos__id"])
            for party in raw["parties"]:
                positions[f"{item.id}/register/{party['id']}"] = party.get(
                    "__pos__register", party["__pos__"]
                )
    problems.extend(_check_links(catalog, files, positions, stored))
    for plan in catalog.plans.values():
        problems.extend(_check_todo(plan))
        for problem in _check_deadlines(plan):
            if strict and problem.severity == "warning":
                problem = Problem(problem.position, problem.message, "error")
            problems.append(problem)
    catalog.warnings = [p for p in problems if p.severity == "warning"]
    return catalog, problems


def read_catalog(
    paths: Iterable[Path], strict: bool = False, stored: StoredLookup | None = None
) -> Catalog:
    """The plans and registers of ``paths``; :class:`PlanError` lists every
    error if there is any (``stored``: see :func:`check_paths`)."""
    catalog, problems = check_paths(paths, strict, stored)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise PlanError(errors)
    return catalog


# --- building the model --------------------------------------------------


def _sound(value: Any) -> bool:
    """True when nothing inside ``value`` failed its check (was reported)."""
    if value is INVALID:
        return False
    if isinstance(value, Mapping):
        return all(_sound(v) for v in value.values())
    if isinstance(value, list):
        return all(_sound(v) for v in value)
    return True


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _contact(raw: Mapping[str, Any] | None) -> Contact | None:
    if not raw or raw is INVALID:
        return None
    return Contact(raw.get("name"), raw.get("email"))


def _targets(raw: Mapping[int, Any] | None) -> tuple[Target, ...]:
    if not raw or raw is INVALID:
        return ()
    return tuple(Target(year, value) for year, value in sorted(raw.items()))


def _unique(items: list[Mapping[str, Any]], what: str, chk: Checker, path: str) -> None:
    seen: dict[str, Position] = {}
    for item in items:
        ident = item.get("id")
        if ident is INVALID or ident is None:
            continue
        if ident in seen:
            chk.error(
                item["__pos__id"],
                path,
                _("{what} «{id}» повторяется (впервые: строка {line})").format(
                    what=what, id=ident, line=seen[ident].line
                ),
            )
        else:
            seen[ident] = item["__pos__id"]


def _build_plan(raw: Mapping[str, Any], chk: Checker) -> Plan | None:
    if any(raw.get(k) is INVALID for k in ("period", "parties", "sections")):
        return None
    period_raw = raw["period"]
    period = Period(period_raw["start"], period_raw["end"])
    wrong_period = period_problem(period.start, period.end) if _sound(period_raw) else None
    if wrong_period:
        chk.error(period_raw["__pos__end"], "period.end", wrong_period)
    parties = raw["parties"]
    _unique(parties, _("сторона"), chk, "parties")
    party_ids = [p["id"] for p in parties if isinstance(p.get("id"), str)]
    sections = raw["sections"]
    _unique(sections, _("раздел"), chk, "sections")
    all_tasks = [t for s in sections for t in _list(s.get("tasks"))]
    _unique(all_tasks, _("задача"), chk, "sections.tasks")
    if not _sound(raw):
        # Reported already; the cross-references above are still checked.
        for s_index, section in enumerate(sections):
            for t_index, task in enumerate(_list(section.get("tasks"))):
                if _sound(task):
                    _build_task(task, "", party_ids, chk, f"sections[{s_index}].tasks[{t_index}]")
        return None
    built_sections = []
    for s_index, section in enumerate(sections):
        tasks = []
        for t_index, task in enumerate(_list(section.get("tasks"))):
            path = f"sections[{s_index}].tasks[{t_index}]"
            built = _build_task(task, section["id"], party_ids, chk, path)
            if built is not None:
                tasks.append(built)
        built_sections.append(
            Section(section["id"], section.get("number"), section["title"], tuple(tasks))
        )
    indicators = raw.get("indicators") or []
    _unique(indicators, _("показатель"), chk, "indicators")
    school_year = raw.get("school_year")
    document = raw.get("document")
    return Plan(
        id=raw["id"],
        title=raw["title"],
        authority=raw["authority"],
        period=period,
        timezone=raw["timezone"],
        parties=tuple(
            Party(
                id=p["id"],
                name=p["name"],
                aliases=tuple(p.get("aliases") or ()),
                contacts=tuple(c for c in (_contact(c) for c in p.get("contacts") or ()) if c),
                register=p.get("register"),
                escalation=_contact(p.get("escalation")),
            )
            for p in parties
        ),
        sections=tuple(built_sections),
        document=Document(document["kind"], document.get("number"), document.get("date"))
        if document
        else None,
        school_years=bool(raw.get("school_years", False)),
        school_year=SchoolYear(school_year["start"], school_year["end"])
        if school_year
        else SchoolYear(),
        parent=raw.get("parent"),
        escalation=_contact(raw.get("escalation")),
        indicators=tuple(
            _build_indicator(i, built_sections, party_ids, chk, f"indicators[{n}]")
            for n, i in enumerate(indicators)
        ),
        source=chk.file,
    )


def _responsibility(
    raw: Mapping[str, Any], party_ids: list[str], chk: Checker, path: str
) -> Responsibility:
    for index, party in enumerate(raw["parties"]):
        if party not in party_ids:
            close = difflib.get_close_matches(party, party_ids, n=1)
            hint = _(" (может быть, «{key}»?)").format(key=close[0]) if close else ""
            chk.error(
                raw["__pos__parties"],
                f"{path}.parties[{index}]",
                _("неизвестная сторона «{party}»{hint}; в плане: {known}").format(
                    party=party, hint=hint, known=", ".join(party_ids)
                ),
            )
    return Responsibility(raw["text"], tuple(raw["parties"]))


def _build_task(
    raw: Mapping[str, Any],
    section: str,
    party_ids: list[str],
    chk: Checker,
    path: str,
) -> Task | None:
    if not _sound(raw):
        return None
    schedule = None
    if raw.get("schedule"):
        sched = raw["schedule"]
        given = [k for k in ("phrase", "windows", "on_demand") if k in sched]
        if len(given) != 1:
            chk.error(
                sched["__pos__"],
                f"{path}.schedule",
                _(
                    "нужен ровно один из ключей phrase, windows, on_demand (указано: {given})"
                ).format(given=", ".join(given) or "—"),
            )
        windows = []
        for index, window in enumerate(sched.get("windows") or ()):
            start, due = window.get("start"), window["due"]
            if start is not None and start > due:
                chk.error(
                    window["__pos__"],
                    f"{path}.schedule.windows[{index}]",
                    _("начало {start} позже срока {due}").format(start=start, due=due),
                )
            windows.append(Window(start, due))
        schedule = Schedule(
            phrase=sched.get("phrase"),
            windows=tuple(windows),
            on_demand=bool(sched.get("on_demand", False)),
            why=sched["why"],
        )
    co = raw.get("co_responsible")
    return Task(
        id=raw["id"],
        number=raw.get("number"),
        section=section,
        activity=raw["activity"],
        deadline=raw["deadline"],
        responsible=_responsibility(raw["responsible"], party_ids, chk, f"{path}.responsible"),
        co_responsible=_responsibility(co, party_ids, chk, f"{path}.co_responsible")
        if co
        else None,
        result=raw.get("result"),
        schedule=schedule,
        targets=_targets(raw.get("targets")),
        target_unit=raw.get("target_unit"),
        note=raw.get("note"),
        position=raw["__pos__"],
    )


def _build_indicator(
    raw: Mapping[str, Any], sections: list[Section], party_ids: list[str], chk: Checker, path: str
) -> Indicator:
    """An indicator, its ``who_reports`` and ``activity`` checked against the
    plan; without ``targets`` it takes those of its activity (the oblast's
    yearly figures live in the result column of its tasks)."""
    who = raw.get("who_reports", ORGANISATIONS)
    if who is not INVALID and who != ORGANISATIONS and who not in party_ids:
        chk.error(
            raw["__pos__who_reports"],
            f"{path}.who_reports",
            _("неизвестная сторона «{party}»; допустимы: {known}").format(
                party=who, known=", ".join([ORGANISATIONS, *party_ids])
            ),
        )
    targets = _targets(raw.get("targets"))
    unit = raw.get("unit")
    activity = raw.get("activity")
    if activity is not None and activity is not INVALID:
        tasks = {t.id: t for s in sections for t in s.tasks}
        task = tasks.get(activity)
        if task is None:
            close = difflib.get_close_matches(activity, list(tasks), n=1)
            hint = _(" (может быть, «{key}»?)").format(key=close[0]) if close else ""
            chk.error(
                raw["__pos__activity"],
                f"{path}.activity",
                _("нет задачи «{task}»{hint}").format(task=activity, hint=hint),
            )
        elif "targets" not in raw:
            targets, unit = task.targets, unit or task.target_unit
    kind = raw["kind"]
    if kind in (SHARE, LEVEL, YES_NO):
        for target in targets:
            if isinstance(target.value, int | float) and not 0 <= target.value <= 100:
                chk.error(
                    raw.get("__pos__targets", raw["__pos__"]),
                    f"{path}.targets.{target.year}",
                    _("целевое значение {value} вне 0–100 (показатель вида {kind})").format(
                        value=target.value, kind=kind
                    ),
                )
    return Indicator(raw["id"], raw["name"], unit, targets, kind, who, activity)


def _build_register(raw: Mapping[str, Any], chk: Checker) -> Register | None:
    if any(raw.get(k) is INVALID for k in REGISTER.keys):
        return None
    orgs = raw["organisations"]
    _unique(orgs, _("организация"), chk, "organisations")
    if not _sound(raw):
        return None
    return Register(
        id=raw["id"],
        title=raw["title"],
        example=bool(raw.get("example", False)),
        organisations=tuple(
            Organisation(
                o["id"], o["name"], o.get("address"), o.get("website"), _contact(o.get("curator"))
            )
            for o in orgs
        ),
        source=chk.file,
    )


# --- checks across files ---------------------------------------------------


def _related_file(start: Path, ident: str) -> Path | None:
    """A plan or register file named ``ident`` near ``start`` (its folder,
    ``orgs/`` beside it, or up to two folders above)."""
    for folder in (start, *list(start.parents)[:2]):
        for candidate in (folder / f"{ident}.yaml", folder / "orgs" / f"{ident}.yaml"):
            if candidate.is_file():
                return candidate
    return None


def _check_links(
    catalog: Catalog,
    files: list[Path],
    positions: dict[str, Position],
    stored: StoredLookup | None = None,
) -> list[Problem]:
    """Parents and registers must exist; registers found beside the files
    read are loaded too, so a single plan file can be checked on its own,
    and those already in the database (``stored``) count."""
    problems: list[Problem] = []
    known: list[Stored] = []

    def in_database() -> Stored:
        if not known:
            known.append(stored() if stored is not None else Stored())
        return known[0]

    for plan in list(catalog.plans.values()):
        start = Path(plan.source or ".").parent
        for party in plan.parties:
            if party.register and party.register not in catalog.registers:
                found = _related_file(start, party.register)
                if found is not None:
                    data, errs = parse_file(found)
                    chk = Checker(str(found))
                    raw = check_document(REGISTER, data, chk) if not errs else INVALID
                    reg = _build_register(raw, chk) if raw is not INVALID else None
                    problems.extend(errs + chk.finish())
                    if reg is not None and not chk.problems:
                        catalog.registers[reg.id] = reg
                        continue
                if party.register in in_database().registers:
                    catalog.stored_registers.add(party.register)
                    continue
                problems.append(
                    Problem(
                        positions[f"{plan.id}/register/{party.id}"],
                        _(
                            "сторона «{party}»: нет реестра организаций «{register}» (ожидался файл orgs/{register}.yaml)"
                        ).format(party=party.id, register=party.register),
                    )
                )
        if (
            plan.parent
            and plan.parent not in catalog.plans
            and _related_file(start, plan.parent) is None
        ):
            if plan.parent in in_database().plans:
                catalog.stored_plans.add(plan.parent)
                continue
            problems.append(
                Problem(
                    positions[f"{plan.id}/parent"],
                    _("parent: нет плана «{parent}»; известны: {known}").format(
                        parent=plan.parent, known=", ".join(sorted(catalog.plans)) or "—"
                    ),
                )
            )
    # A parent chain must end: a plan cannot be its own ancestor.
    for plan in catalog.plans.values():
        seen = {plan.id}
        current = plan.parent
        while current in catalog.plans:
            if current in seen:
                problems.append(
                    Problem(
                        positions.get(plan.id, Position(plan.source or "", 1, 1)),
                        _("parent: цикл подчинения через «{id}»").format(id=current),
                    )
                )
                break
            seen.add(current)
            current = catalog.plans[current].parent
    return problems


def _check_todo(plan: Plan) -> list[Problem]:
    """Warnings for values a draft (``roadmap import``) left to be filled in."""
    where = Position(plan.source or "", 1, 1)
    found = [("title", plan.title), ("authority", plan.authority)]
    for task in plan.tasks():
        found.append((f"{task.id}.responsible", task.responsible.text))
    return [
        Problem(where, _("{key}: не заполнено: «{value}»").format(key=key, value=value), "warning")
        for key, value in found
        if value.startswith("TODO")
    ]


def _check_deadlines(plan: Plan) -> list[Problem]:
    """Warnings for deadline phrases the engine did not fully understand;
    errors for phrases past the bounds of :mod:`roadmap.deadlines.bounds`
    (too long to read, or giving too many dates)."""
    chk = Checker(plan.source or "")
    context = context_of(plan)
    for task in plan.tasks():
        key, text = "deadline", task.deadline
        if task.schedule and task.schedule.phrase:
            key, text = "schedule.phrase", task.schedule.phrase
        if text is None:
            continue
        position = task.position or Position(plan.source or "", 1, 1)
        where = _("задача {task}: {key}").format(task=task.id, key=key)
        too_long = text_problem(text)
        if too_long:
            chk.error(position, where, too_long)
            continue
        meaning = interpret(text, context)
        too_many = windows_problem(len(meaning.occurrences))
        if too_many:
            chk.error(position, where, too_many)
        if not meaning.parsed:
            chk.warn(position, where, _("срок «{text}» не понят").format(text=text))
        for warning in meaning.doubts():
            chk.warn(position, where, warning)
    return chk.finish()
