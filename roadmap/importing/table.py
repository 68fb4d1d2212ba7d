"""Finding the plan table in a grid and reading its rows as sections and
tasks.

The table is found by its header words, not by position (see
:data:`HEADER_WORDS`); two header rows and merged header cells are read as
one header per column («Исполнители» over «региональные» | «ОО»). Rows:

- a row with one text spanning the whole table, or with only a number like
  «1.» and a title, is a *section*;
- a row with an empty number whose text goes on is a *continuation*: each
  of its cells is joined to the task above;
- a row of column numbers («1 2 3 4 5») and a header repeated on a new page
  are skipped, and counted;
- every other row with a number is a *task*. Numbers stay as written.

Nothing is dropped: every source row ends up in a task, a section, or
a :class:`Finding`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from roadmap.i18n import _

NUMBER, ACTIVITY, DEADLINE, RESPONSIBLE, CO_RESPONSIBLE, RESULT, EXTRA = (
    "number", "activity", "deadline", "responsible", "co_responsible", "result", "extra"
)

# Header words by column kind, checked in this order (normalised: lower
# case, ё → е). «Срок исполнения» is a deadline, «Исполнители» responsible.
HEADER_WORDS: tuple[tuple[str, str], ...] = (
    (NUMBER, r"^(№|n\b|no\b|номер)|п\s*/\s*п"),
    (RESPONSIBLE, r"ответствен|исполнител"),
    (DEADLINE, r"\bсрок|\bдата\b|\bпериод\b"),
    (RESULT, r"результат|отчетност|итогов\w* документ|вид документа|показател"),
    (ACTIVITY, r"мероприят|наименовани|содержани|действи"),
)

_NUM = r"(?:\d{1,3}(?:\.\d{1,3})*\.?\)?|[IVXLC]{1,6}\.?)"
NUMBER_RE = re.compile(rf"^({_NUM})(?:\s+|$)(.*)$", re.S)
SECTION_NUMBER_RE = re.compile(r"^(?:\d{1,3}\.?|[IVXLC]{1,6}\.?)$")


def normalise(text: str) -> str:
    """Lower case, ё → е, whitespace collapsed: for comparing words."""
    return " ".join(text.lower().replace("ё", "е").split())


def join_lines(text: str | None) -> str:
    """A cell broken over lines, joined as ``plan-format`` says: one space
    per line break; a word hyphenated at the end of a line is joined without
    one («организационно-» + «методического»). Spaces inside a line stay."""
    if not text:
        return ""
    lines = [line.strip() for line in text.replace("\r", "\n").split("\n")]
    out = ""
    for line in lines:
        if not line:
            continue
        if out and out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[0].islower():
            out += line
        elif out:
            out += " " + line
        else:
            out = line
    return out


def header_kind(text: str) -> str | None:
    """The column kind a header text names, or None."""
    words = normalise(text)
    if not words:
        return None
    for kind, pattern in HEADER_WORDS:
        if re.search(pattern, words):
            return kind
    return None


def is_header_row(cells: Sequence[str | None]) -> bool:
    """True when ``cells`` name an activity column and at least one other."""
    kinds = {header_kind(c) for c in cells if c}
    return ACTIVITY in kinds and len(kinds - {None, ACTIVITY}) >= 1


def _header_score(cells: Sequence[str | None]) -> int:
    return len({header_kind(c) for c in cells if c} - {None})


def _numbering_row(cells: Sequence[str | None]) -> bool:
    """«1 2 3 4 5» under the header: the columns numbered."""
    values = [c.strip().rstrip(".") for c in cells if c]
    if len(values) < 3 or not all(v.isdigit() for v in values):
        return False
    numbers = [int(v) for v in values]
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


@dataclass(frozen=True)
class Finding:
    """Something about a source row the reader should check."""

    place: str  # «таблица 1, строка 7»
    message: str
    text: str = ""


@dataclass
class RawTask:
    number: str | None
    activity: str
    deadline: str
    responsible: str
    co_responsible: str
    result: str
    extras: list[tuple[str, str]]
    place: str


@dataclass
class RawSection:
    number: str | None
    title: str
    place: str
    tasks: list[RawTask] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    kinds: tuple[str | None, ...]  # per grid column
    headers: tuple[str, ...]  # per grid column, the header as printed
    header_rows: tuple[int, ...]  # grid rows that make the header


@dataclass
class TableReading:
    """What one table gave: sections with their tasks, and the findings;
    ``current`` and ``last`` are where it ended (a next table may go on)."""

    place: str
    layout: Layout
    header: list[tuple[str | None, ...]] = field(default_factory=list)  # its header rows
    sections: list[RawSection] = field(default_factory=list)
    current: RawSection | None = None
    last: RawTask | None = None
    findings: list[Finding] = field(default_factory=list)
    rows: int = 0  # source rows below the header
    skipped: int = 0  # repeated header rows, column-number rows, empty rows
    continuations: int = 0


def find_layout(grid: Sequence[Sequence[str | None]]) -> Layout | None:
    """The header of ``grid`` (one or more rows near the top), or None when
    no row names the plan's columns."""
    # A text export has the order's text above the table: search it all
    # (the grid is bounded by sources.MAX_CELLS).
    # The row naming the most column kinds wins: a criteria table above the
    # plan may also say «мероприятие» and «результат».
    scored = [(_header_score(row), -n) for n, row in enumerate(grid) if is_header_row(row)]
    if not scored:
        return None
    start = -max(scored)[1]
    rows = [start]
    for index in range(start + 1, min(start + 3, len(grid))):
        if _header_continues(grid[start], grid[index]):
            rows.append(index)
        else:
            break
    width = max(len(r) for r in grid)
    texts: list[str] = []
    for column in range(width):
        parts: list[str] = []
        for index in rows:
            part = _covering(grid[index], column)
            if not part and index != rows[-1] and _covering(grid[rows[-1]], column):
                # A file without merge marks (CSV): an empty group cell over
                # a sub-header belongs to the group on its left.
                part = _covering(grid[index], column - 1) if column else ""
            if part and (not parts or parts[-1] != part):
                parts.append(part)
        texts.append(" ".join(join_lines(p) for p in parts))
    kinds: list[str | None] = []
    for text in texts:
        kind = header_kind(text)
        if kind in kinds:
            kind = CO_RESPONSIBLE if kind == RESPONSIBLE and CO_RESPONSIBLE not in kinds else EXTRA
        kinds.append(kind if text else None)
    return Layout(tuple(kinds), tuple(texts), tuple(rows))


def _covering(row: Sequence[str | None], column: int) -> str:
    """The text of the cell at ``column`` or of the merged cell covering it."""
    while column >= 0:
        if column < len(row) and row[column] is not None:
            return row[column] or ""
        column -= 1
    return ""


def _header_continues(first: Sequence[str | None], row: Sequence[str | None]) -> bool:
    """A second header row: the first row's cells again (vertically merged)
    and short sub-headers, each under a group header (a cell merged over
    several columns, or followed by empty ones) — never a number or a long
    text, never under a plain header (that is a first data row)."""
    if _numbering_row(row):
        return False
    seen = False
    for column, cell in enumerate(row):
        if not cell:
            continue
        above = first[column] if column < len(first) else None
        if cell == above:
            continue
        if len(cell) > 40 or any(ch.isdigit() for ch in cell):
            return False
        after = first[column + 1] if column + 1 < len(first) else "end"
        if above and after not in (None, ""):
            return False
        seen = True
    return seen


def continued(layout: Layout) -> Layout:
    """``layout`` for a table that goes on from another, without a header."""
    return Layout(layout.kinds, layout.headers, ())


def read_table(
    grid: Sequence[Sequence[str | None]],
    layout: Layout,
    place: str,
    before: TableReading | None = None,
) -> TableReading:
    """The sections and tasks of ``grid`` under ``layout``; see the module
    doc. ``before``: the table this one goes on from (its last section and
    task take the first rows)."""
    kinds = layout.kinds
    reading = TableReading(place, layout)
    # A header repeated on a new page is skipped; a table going on from
    # another has its header rows.
    reading.header = before.header if before is not None else [
        tuple(grid[i]) for i in layout.header_rows
    ]
    header = reading.header
    has_number_column = NUMBER in kinds
    current = before.current if before is not None else None
    last = before.last if before is not None else None
    first_row = layout.header_rows[-1] + 1 if layout.header_rows else 0
    for index in range(first_row, len(grid)):
        row = list(grid[index])
        row += [""] * (len(kinds) - len(row))
        where = _("{place}, строка {n}").format(place=place, n=index + 1)
        reading.rows += 1
        if not any(row) or tuple(grid[index]) in header or _numbering_row(row):
            reading.skipped += 1
            continue
        values: dict[str, str] = {}
        extras: list[tuple[str, str]] = []
        for column, kind in enumerate(kinds):
            text = join_lines(row[column]) if column < len(row) else ""
            if not text:
                continue
            if kind in (None, EXTRA):
                extras.append((layout.headers[column], text))
            elif kind in values:
                values[kind] += " " + text
            else:
                values[kind] = text
        number = values.get(NUMBER, "")
        activity = values.get(ACTIVITY, "")
        if " " in number or (number and not NUMBER_RE.match(number)):
            # Text in the number column: «1. Title» of a section row.
            match = NUMBER_RE.match(number)
            head, rest = (match.group(1), match.group(2).strip()) if match else ("", number)
            number, activity = head, join_lines(rest + "\n" + activity) if activity else rest
        if not number and activity:
            # «1.1. Информирование …»: the number written in the activity cell.
            # Beside a number column only a dotted one counts: a continuation
            # may well begin with «5 семинаров».
            match = NUMBER_RE.match(activity)
            if match and (not has_number_column or (match.group(2) and "." in match.group(1))):
                number, activity = match.group(1), match.group(2).strip()
        texts = [t for k, t in values.items() if k not in (NUMBER, ACTIVITY)]
        texts += [t for _head, t in extras]
        # One text across the whole row (a merged row): a section title.
        merged = sum(1 for c in row if c) == 1 and sum(1 for c in row if c is None) >= len(row) - 2
        if not texts and activity and (merged or SECTION_NUMBER_RE.match(number)):
            current = RawSection(number or None, activity, where)
            reading.sections.append(current)
            last = None
            continue
        if not number and last is not None and (has_number_column or not activity):
            _continue(last, values, extras)
            reading.continuations += 1
            continue
        if not activity:
            reading.findings.append(
                Finding(where, _("строка без мероприятия, не взята в план"), " | ".join(_filled_text(row)))
            )
            continue
        if not number and last is None and not texts:
            current = RawSection(None, activity, where)  # a title without a number
            reading.sections.append(current)
            continue
        if current is None:
            current = RawSection(None, _("Мероприятия"), where)
            reading.sections.append(current)
        last = RawTask(
            number or None,
            activity,
            values.get(DEADLINE, ""),
            values.get(RESPONSIBLE, ""),
            values.get(CO_RESPONSIBLE, ""),
            values.get(RESULT, ""),
            extras,
            where,
        )
        current.tasks.append(last)
    reading.current, reading.last = current, last
    return reading


def _filled_text(row: Sequence[str | None]) -> list[str]:
    return [join_lines(c) for c in row if c]


def _continue(task: RawTask, values: dict[str, str], extras: list[tuple[str, str]]) -> None:
    """Join a continuation row's cells to ``task`` (a vertically merged cell
    repeated down is not joined twice)."""
    for kind in (ACTIVITY, DEADLINE, RESPONSIBLE, CO_RESPONSIBLE, RESULT):
        text = values.get(kind)
        if not text:
            continue
        before = getattr(task, kind)
        if text == before:
            continue
        setattr(task, kind, join_lines(before + "\n" + text) if before else text)
    for head, text in extras:
        for n, (h, t) in enumerate(task.extras):
            if h == head:
                if t != text:
                    task.extras[n] = (h, join_lines(t + "\n" + text))
                break
        else:
            task.extras.append((head, text))
