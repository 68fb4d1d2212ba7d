"""Text output shared by every shell (the command line, the web's exports,
the benchmarks): a table fitted to a width (long cells wrap over several
lines, nothing is cut), JSON, CSV (RFC 4180, formula-leading cells
neutralised), dates as people write them. Nothing here prints.

Example::

    text = render_table(("План", "Срок"), [("irkutsk", "2024-05-31")], width=80)
    to_csv(("plan", "due"), [("irkutsk", "2024-05-31")])
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import textwrap
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from roadmap.i18n import get_language

GAP = "  "
MIN_WIDTH = 8  # a shrunk column keeps at least this many characters


def _cell(value: object) -> str:
    # One line per row, always: embedded newlines would break the table.
    return "" if value is None else " ".join(str(value).split())


def _wrap(text: str, width: int) -> list[str]:
    """``text`` over lines of at most ``width`` characters, broken between
    words (a word longer than a line is split, never cut)."""
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width=max(width, 1)) or [""]


def terminal_width() -> int:
    """``COLUMNS``, else the terminal's width, else 100 (output piped)."""
    return shutil.get_terminal_size((100, 24)).columns


def human_date(day: date | None, empty: str = "—") -> str:
    """A date for people: ДД.ММ.ГГГГ in Russian, ISO (YYYY-MM-DD) in
    English; machine formats (JSON, CSV) keep ISO."""
    if day is None:
        return empty
    return day.strftime("%d.%m.%Y") if get_language() == "ru" else day.isoformat()


def constant_columns(
    headers: Sequence[str], rows: Sequence[Sequence[object]], candidates: Iterable[int]
) -> tuple[list[str], list[str], list[list[object]]]:
    """Move the ``candidates`` columns whose value is the same on every row
    out of the table into header lines («План: irkutsk-city-2023-2026»);
    returns (those lines, the headers left, the rows left)."""
    lines: list[str] = []
    dropped: set[int] = set()
    if len(rows) > 1:
        for i in candidates:
            values = {_cell(r[i]) for r in rows}
            if len(values) == 1 and (value := values.pop()):
                lines.append(f"{headers[i]}: {value}")
                dropped.add(i)
    keep = [i for i in range(len(headers)) if i not in dropped]
    return lines, [headers[i] for i in keep], [[r[i] for i in keep] for r in rows]


def render_listing(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths_hint: Sequence[int | None],
    *,
    hoist: Iterable[int] = (),
    right: Iterable[int] = (),
    optional: Sequence[int] = (),
) -> tuple[list[str], str]:
    """:func:`render_table` after :func:`constant_columns` (``hoist``: the
    candidates): the header lines and the table. ``right`` and ``optional``
    name columns of ``headers``, wherever they end up."""
    above, left, cells = constant_columns(headers, rows, hoist)
    kept = [i for i, h in enumerate(headers) if h in left]
    where = {i: n for n, i in enumerate(kept)}
    table = render_table(
        left, cells, [widths_hint[i] for i in kept],
        right=[where[i] for i in right if i in where],
        optional=[where[i] for i in optional if i in where],
    )
    return above, table


DATE_WIDTH = 10  # «2024-01-31» is cut only as a last resort
FREE_MIN = 24  # a free-text column keeps this much before others give way


def fit_widths(
    header_widths: Sequence[int],
    data_widths: Sequence[int],
    total: int,
    widths_hint: Sequence[int | None] | None = None,
    header_words: Sequence[int] | None = None,
) -> list[int]:
    """Column widths whose sum (with gaps) fits ``total`` when possible.

    ``widths_hint[i]`` caps column ``i``; columns with a hint of None are
    free text (the activity) and give way first. Shrinking goes in stages,
    widest column first within a stage, until the table fits:

    1. free-text columns down to :data:`FREE_MIN`;
    2. headers much wider than their data («Дней просрочки» over «12») down
       to the data, or to their longest word (``header_words``), the header
       then wrapping over two lines;
    3. every column down to a date's width (10);
    4. free-text columns down to :data:`MIN_WIDTH`;
    5. free-text columns down to 4, then every column down to 3."""
    n = len(header_widths)
    hint = list(widths_hint or [None] * n)
    hint += [None] * (n - len(hint))
    natural = [max(h, d) for h, d in zip(header_widths, data_widths, strict=True)]
    widths = [w if cap is None else min(w, cap) for w, cap in zip(natural, hint, strict=True)]
    over = sum(widths) + len(GAP) * (n - 1) - total
    free = [i for i in range(n) if hint[i] is None]
    everyone = list(range(n))
    stages = (
        (free, [FREE_MIN] * n),
        (everyone, [
            max(4, d, words) if w - d >= 5 else w
            for d, w, words in zip(data_widths, widths, header_words or [0] * n, strict=True)
        ]),
        (everyone, [min(w, DATE_WIDTH) for w in widths]),
        (free, [MIN_WIDTH] * n),
        (free, [4] * n),
        (everyone, [3] * n),
    )
    for pool, floors in stages:
        while over > 0:
            candidates = [i for i in pool if widths[i] > floors[i]]
            if not candidates:
                break
            # One character at a time from the widest: columns shrink evenly.
            widths[max(candidates, key=lambda i: widths[i])] -= 1
            over -= 1
    return widths


def render_rows(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths_hint: Sequence[int | None] | None = None,
    *,
    width: int | None = None,
    right: Iterable[int] = (),
    optional: Sequence[int] = (),
) -> list[list[str]]:
    """:func:`render_table`, one list of lines per row (the header first),
    for callers that put lines of their own between rows."""
    total = width if width is not None else terminal_width()
    header_cells = [_cell(h) for h in headers]
    body = [[_cell(v) for v in row] for row in rows]
    hint = list(widths_hint or [None] * len(headers))
    right_set = set(right)
    # On a narrow terminal the ``optional`` columns go, last first, rather
    # than every column shrinking to a few letters a line.
    for drop in reversed(optional):
        if _least_width(header_cells, body, hint) <= total:
            break
        keep = [i for i in range(len(header_cells)) if i != drop]
        right_set = {keep.index(i) for i in right_set if i in keep}
        optional = [o - (o > drop) for o in optional if o != drop]
        header_cells = [header_cells[i] for i in keep]
        body = [[r[i] for i in keep] for r in body]
        hint = [hint[i] for i in keep]
    widths_hint = hint
    right = right_set
    longest = [
        max((len(r[i]) for r in body), default=0) for i in range(len(header_cells))
    ]
    words = [max((len(w) for w in h.split()), default=0) for h in header_cells]
    widths = fit_widths([len(h) for h in header_cells], longest, total, widths_hint, words)
    right_cols = set(right)
    out = []
    for row in [header_cells, *body]:
        wrapped = [_wrap(cell, w) for cell, w in zip(row, widths, strict=True)]
        height = max(len(lines) for lines in wrapped)
        block = []
        for n in range(height):
            cells = []
            for i, (lines, w) in enumerate(zip(wrapped, widths, strict=True)):
                text = lines[n] if n < len(lines) else ""
                cells.append(text.rjust(w) if i in right_cols else text.ljust(w))
            block.append(GAP.join(cells).rstrip())
        out.append(block)
    return out


READABLE = 12  # a wrapped free-text column narrower than this is hard to read


def _least_width(headers: list[str], body: list[list[str]], hint: list[int | None]) -> int:
    """The narrowest the table reads well: free text at :data:`READABLE`,
    other columns at their natural width (capped, and at most a date's)."""
    need = 0
    for i, header in enumerate(headers):
        natural = max([len(r[i]) for r in body] + [max(map(len, header.split()), default=0)])
        cap = hint[i]
        need += min(natural, READABLE) if cap is None else min(natural, cap, DATE_WIDTH)
    return need + len(GAP) * (len(headers) - 1)


def render_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths_hint: Sequence[int | None] | None = None,
    *,
    width: int | None = None,
    right: Iterable[int] = (),
    optional: Sequence[int] = (),
) -> str:
    """The rows as an aligned text table that fits the terminal.

    A cell too long for its column wraps over several lines, between words:
    nothing is cut. ``widths_hint[i]`` caps column ``i``; columns without a
    cap shrink first when the terminal is narrow. ``width`` defaults to
    :func:`terminal_width`; ``right`` are right-aligned columns;
    ``optional`` columns (by importance, the least last) are left out when
    the table cannot otherwise be read on a narrow terminal."""
    blocks = render_rows(headers, rows, widths_hint, width=width, right=right,
                         optional=optional)
    return "\n".join(line for block in blocks for line in block)


def to_json(obj: Any) -> str:
    """``obj`` as indented UTF-8 JSON (dates and others via ``str``)."""
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV value that a spreadsheet will not run: a text starting with
    ``= + - @``, tab or CR gets a leading ``'`` (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """RFC 4180 CSV (UTF-8 text), formula-leading texts neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()
