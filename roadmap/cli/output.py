"""Output helpers of the listing commands: JSON and CSV on stdout, files
written atomically, binary documents (xlsx, docx) to a file or a redirected
stdout. The text forms themselves are :mod:`roadmap.formats`.

Example::

    echo_json([{"plan": "irkutsk"}])
    echo_csv(("plan", "due"), [("irkutsk", "2024-05-31")])
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from roadmap.errors import RoadmapError
from roadmap.files import write_atomic
from roadmap.formats import to_csv, to_json
from roadmap.i18n import _


def echo_json(obj: Any) -> None:
    """``obj`` as indented UTF-8 JSON on stdout (dates and others via ``str``)."""
    click.echo(to_json(obj))


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
