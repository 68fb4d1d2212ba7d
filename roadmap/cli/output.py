"""Shared output helpers for listing commands: a table that fits the
terminal, JSON and CSV on stdout.

Example::

    click.echo(render_table(("План", "Срок"), [("irkutsk", "2024-05-31")]))
    echo_json([{"plan": "irkutsk"}])
    echo_csv(("plan", "due"), [("irkutsk", "2024-05-31")])
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from roadmap.errors import RoadmapError
from roadmap.files import write_atomic
from roadmap.i18n import _

GAP = "  "
MIN_WIDTH = 8  # a shrunk column keeps at least this many characters


def _cell(value: object) -> str:
    # One line per row, always: embedded newlines would break the table.
    return "" if value is None else " ".join(str(value).split())


def _shorten(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    short = textwrap.shorten(text, width=width, placeholder="…")
    if len(short) > 1:
        return short
    return text[: width - 1] + "…"  # one long word: cut it


DATE_WIDTH = 10  # «2024-01-31» is cut only as a last resort
FREE_MIN = 24  # a free-text column keeps this much before others give way


def fit_widths(
    header_widths: Sequence[int],
    data_widths: Sequence[int],
    total: int,
    widths_hint: Sequence[int | None] | None = None,
) -> list[int]:
    """Column widths whose sum (with gaps) fits ``total`` when possible.

    ``widths_hint[i]`` caps column ``i``; columns with a hint of None are
    free text (the activity) and give way first. Shrinking goes in stages,
    widest column first within a stage, until the table fits:

    1. free-text columns down to :data:`FREE_MIN`;
    2. headers much wider than their data («Дней просрочки» over «12») down
       to the data (at least 4 characters, «Дне…»);
    3. free-text columns down to :data:`MIN_WIDTH`;
    4. every column down to a date's width (10);
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
        (everyone, [max(4, d) if w - d >= 5 else w for d, w in zip(data_widths, widths, strict=True)]),
        (free, [MIN_WIDTH] * n),
        (everyone, [min(w, DATE_WIDTH) for w in widths]),
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


def render_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths_hint: Sequence[int | None] | None = None,
    *,
    width: int | None = None,
    right: Iterable[int] = (),
) -> str:
    """The rows as an aligned text table that fits the terminal.

    Each row stays one line: too-long cells are shortened at a word boundary
    with «…» (``textwrap.shorten``). ``widths_hint[i]`` caps column ``i``;
    columns without a cap shrink first when the terminal is narrow.
    ``width`` defaults to the terminal's; ``right`` are right-aligned columns."""
    total = width if width is not None else shutil.get_terminal_size().columns
    header_cells = [_cell(h) for h in headers]
    body = [[_cell(v) for v in row] for row in rows]
    data = [max((len(r[i]) for r in body), default=0) for i in range(len(headers))]
    widths = fit_widths([len(h) for h in header_cells], data, total, widths_hint)
    right_cols = set(right)
    lines = []
    for row in [header_cells, *body]:
        cells = []
        for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
            text = _shorten(cell, w)
            cells.append(text.rjust(w) if i in right_cols else text.ljust(w))
        lines.append(GAP.join(cells).rstrip())
    return "\n".join(lines)


def to_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def echo_json(obj: Any) -> None:
    """``obj`` as indented UTF-8 JSON on stdout (dates and others via ``str``)."""
    click.echo(to_json(obj))


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


def echo_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A header row, then the rows, as CSV on stdout (UTF-8; None is empty)."""
    click.echo(to_csv(headers, rows), nl=False)


def write_output(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically; a one-line error (exit 1) when
    the folder is missing or read-only."""
    try:
        write_atomic(path, data)
    except OSError as err:
        raise RoadmapError(
            _("Не удалось записать {path}: {err}").format(path=path, err=err.strerror or err)
        ) from err


def emit_binary(data: bytes, output: Path | None, fmt: str) -> None:
    """A binary document (xlsx, docx) to ``output``, or to a redirected
    stdout; a usage error on a terminal, where it would be garbage."""
    if output is not None:
        write_output(output, data)
        return
    stream = sys.stdout.buffer
    try:
        terminal = os.isatty(stream.fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation: a test's buffer
        terminal = False
    if terminal:
        raise click.UsageError(
            _("--format {fmt} пишет файл: укажите -o ФАЙЛ.{fmt} или перенаправьте вывод").format(
                fmt=fmt
            )
        )
    stream.write(data)
    stream.flush()


def output_option(func: Any) -> Any:
    """``-o/--output FILE``: where ``--format xlsx`` writes its workbook."""
    return click.option(
        "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="Файл для --format xlsx (запись атомарная).",
    )(func)
