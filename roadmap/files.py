"""Atomic file writes: readers see the old file or the whole new one.

Files are created with the permissions of an ordinary file (0666 less the
umask: 0644 usually), not the 0600 of a temporary file, so a report or a
calendar written for others can be read by them. A file or folder that
cannot be written is a :class:`FileWriteError` naming it, never a traceback.

Example::

    write_atomic(Path("report.html"), html_text)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from roadmap.errors import RoadmapError
from roadmap.i18n import _


class FileWriteError(RoadmapError):
    """An output file or folder cannot be written (missing, read-only, full)."""

    EXIT_CODE = 1


def _umask() -> int:
    mask = os.umask(0o022)  # read it: the only way is to set it
    os.umask(mask)
    return mask


def _refused(path: Path, err: OSError) -> FileWriteError:
    return FileWriteError(
        _("Не удалось записать {path}: {err}").format(
            path=path, err=err.strerror or err
        )
    )


def ensure_dir(path: Path) -> Path:
    """Create the folder ``path`` (and its parents) if missing."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _refused(path, err) from err
    return path


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to a temporary file beside ``path``,
    flush it to disk, then rename it over ``path``. On any failure the
    temporary file is removed and ``path`` is untouched
    (:class:`FileWriteError` when it is the file system that refused)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise _refused(path, err) from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as err:
        Path(temp).unlink(missing_ok=True)
        raise _refused(path, err) from err
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
