"""Files in and out: bounded reads of regular files, atomic writes.

Whatever a user names as input (a plan, a settings file, a batch of
phrases) is read by :func:`read_limited`: only a regular file, and never
more than its limit — a FIFO does not hang us, ``/dev/zero`` does not
exhaust memory. Outputs are written by :func:`write_atomic`: readers see
the old file or the whole new one.

Files are created with the permissions of an ordinary file (0666 less the
umask: 0644 usually), not the 0600 of a temporary file, so a report or a
calendar written for others can be read by them. A file or folder that
cannot be written is a :class:`FileWriteError` naming it, never a traceback.

Example::

    text = read_limited(Path("plan.yaml"), 2 * 1024 * 1024).decode("utf-8")
    write_atomic(Path("report.html"), html_text)
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from roadmap.errors import RoadmapError
from roadmap.i18n import N_, _

#: What a non-regular file is, in words (checked in this order).
NOT_REGULAR: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, N_("каталог")),
    (stat.S_ISFIFO, N_("именованный канал (FIFO)")),
    (stat.S_ISCHR, N_("символьное устройство")),
    (stat.S_ISBLK, N_("блочное устройство")),
    (stat.S_ISSOCK, N_("сокет")),
)
# O_NONBLOCK: opening a FIFO must not wait for a writer; fstat() refuses it.
_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class FileRefused(Exception):
    """A file that cannot be read as input; ``str(err)`` says why (without
    the path, which the caller puts in front)."""


def kind_of(mode: int) -> str:
    """«каталог», «именованный канал (FIFO)»… for a non-regular ``st_mode``."""
    return _(next((label for test, label in NOT_REGULAR if test(mode)), N_("особый файл")))


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (symlinks followed), at most
    ``limit`` of them: one more byte read means too big. Anything else is
    :class:`FileRefused` — a missing file, a directory, a FIFO, a device,
    a file over ``limit`` (whatever ``stat()`` says of its size)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            raise FileRefused(_("нет такого файла")) from err
        if err.errno == errno.EISDIR:
            raise FileRefused(_("это каталог, а не обычный файл")) from err
        raise FileRefused(_("не читается: {err}").format(err=err.strerror or err)) from err
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefused(
                _("это {kind}, а не обычный файл").format(kind=kind_of(mode))
            )
        os.set_blocking(handle.fileno(), True)
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise FileRefused(_("не читается: {err}").format(err=err.strerror or err)) from err
    if len(data) > limit:
        raise FileRefused(_("файл больше {size}").format(size=size_text(limit)))
    return data


def text_line(data: bytes, offset: int) -> int:
    """The 1-based line of byte ``offset`` in ``data`` (for an error's position)."""
    return data.count(b"\n", 0, offset) + 1


def size_text(n: int) -> str:
    """``2097152`` → «2 МБ», ``65536`` → «64 КБ», ``100`` → «100 байт»."""
    for unit, label in ((2**20, N_("{n} МБ")), (2**10, N_("{n} КБ"))):
        if n >= unit and n % unit == 0:
            return _(label).format(n=n // unit)
    return _("{n} байт").format(n=n)




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
