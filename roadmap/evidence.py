"""The evidence store: files that prove a completion, kept by their SHA-256.

A completion carries evidence — the expected document as a file, or a URL.
Files are copied into a content-addressed store under ``data_dir/evidence``:

* **Layout.** ``root/<first two hex digits>/<64 hex digits>`` — no
  extension: the name *is* the content, so the same bytes sent as
  ``приказ.pdf`` and ``prikaz.PDF`` are stored once. The original name, the
  size and the media type live in the completion record (:class:`Evidence`).
* **Atomic and immutable.** A file is copied (and hashed on the way, in
  chunks of :data:`CHUNK_SIZE`; never read whole) into a temporary
  ``root/.incoming-*.tmp``, made read-only (0o444), fsynced and renamed into
  place with :func:`os.replace` (same file system: the store's own root), then
  the directory is fsynced. A failure at any point removes the temporary
  file, so the store never holds a partial file under a hash name.
* **Refused inputs** raise :class:`~roadmap.errors.EvidenceError` naming the
  file and what is accepted: symlinks (``lstat``, and ``O_NOFOLLOW`` when
  opening, so a swap between the two is caught too), anything but a regular
  file (directories, FIFOs, devices, sockets), missing or unreadable files,
  files over the ``evidence_max_bytes`` setting — also when the file grows
  past it while being copied — and files that change while being copied.
  A store that cannot be written raises :class:`~roadmap.errors.StorageError`.

Example::

    store = EvidenceStore(settings.data_dir / "evidence", settings["evidence_max_bytes"])
    evidence = store.put(Path("Приказ о назначении куратора.pdf"))
    evidence.sha256, evidence.media_type      # ('9f86d0…', 'application/pdf')
    url = check_url("https://school1.example.org/prikaz.pdf")
    report = store.verify([(evidence.sha256, evidence.size)])
    assert report.ok
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mimetypes
import os
import re
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from roadmap.errors import ConfigError, EvidenceError, StorageError
from roadmap.files import kind_of
from roadmap.i18n import _

#: Bytes read (and hashed, and written) at a time.
CHUNK_SIZE = 1024 * 1024
#: Media type of a file whose name says nothing.
DEFAULT_MEDIA_TYPE = "application/octet-stream"
#: Schemes :func:`check_url` accepts.
URL_SCHEMES = ("http", "https")
#: Longest host name (RFC 1035: 253 characters in text form).
MAX_HOST_CHARS = 253
#: Prefix of the temporary files a :meth:`EvidenceStore.put` writes.
TEMP_PREFIX = ".incoming-"

_MIB = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
# What a compressed file's bytes are (mimetypes reports the compression as
# an «encoding» of the inner type: ``x.tar.gz`` → ('application/x-tar', 'gzip')).
_ENCODED_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}
# O_NONBLOCK: if a FIFO or a device is swapped in after lstat(), opening it
# must not hang waiting for a writer; fstat() then refuses it.
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Evidence:
    """A stored evidence file.

    ``name`` is the original file name (not a path), ``size`` in bytes,
    ``media_type`` guessed from the name, ``path`` where the store keeps it.
    The first four fields are what a completion records."""

    sha256: str
    name: str
    size: int
    media_type: str | None
    path: Path | None = None  # None when read back from a completion record
    #: True when this :meth:`EvidenceStore.put` wrote the file (it was not
    #: in the store): :meth:`EvidenceStore.discard` may take it back
    new: bool = field(default=False, compare=False)

    @classmethod
    def recorded(
        cls, sha256: str | None, name: str | None, size: int | None, media_type: str | None
    ) -> Evidence | None:
        """The evidence a record's ``evidence_*`` columns name (None: no file)."""
        return cls(sha256, name or "", size or 0, media_type) if sha256 else None

    def columns(self) -> dict[str, Any]:
        """The ``evidence_*`` columns of a record (completion, reported value)."""
        return {
            "evidence_sha256": self.sha256,
            "evidence_name": self.name,
            "evidence_size": self.size,
            "evidence_media_type": self.media_type,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256, "name": self.name, "size": self.size,
            "media_type": self.media_type,
        }


@dataclass(frozen=True)
class MissingFile:
    """An expected file the store does not have (``path`` is None when the
    expected hash is not a SHA-256 at all)."""

    sha256: str
    size: int
    path: Path | None

    def __str__(self) -> str:
        return f"{self.sha256} ({self.path})" if self.path else self.sha256


@dataclass(frozen=True)
class AlteredFile:
    """An expected file whose content is not what was stored.

    ``actual_sha256``/``actual_size`` are what the store holds now (None when
    it is no regular file or cannot be read); ``reason`` says it in words."""

    sha256: str
    size: int
    path: Path
    actual_sha256: str | None
    actual_size: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.sha256} ({self.path}): {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    """What :meth:`EvidenceStore.verify` found. ``checked`` counts the
    distinct expected files; ``orphans`` are files in the store that no
    expected entry names (including temporary files left by a crash)."""

    checked: int
    missing: tuple[MissingFile, ...]
    altered: tuple[AlteredFile, ...]
    orphans: tuple[Path, ...]

    @property
    def ok(self) -> bool:
        """True when every expected file is present and intact (orphans are
        untidy, not a loss)."""
        return not self.missing and not self.altered


def media_type(name: str) -> str:
    """The media type a file name suggests, else ``application/octet-stream``.

    >>> media_type("Приказ.pdf"), media_type("README")
    ('application/pdf', 'application/octet-stream')
    """
    guessed, encoding = mimetypes.guess_type(name)
    if encoding is not None:
        return _ENCODED_TYPES.get(encoding, DEFAULT_MEDIA_TYPE)
    return guessed or DEFAULT_MEDIA_TYPE


def check_url(url: str) -> str:
    """``url`` (stripped of surrounding blanks) if it is an http(s) address
    with a host; else :class:`~roadmap.errors.EvidenceError` saying what is
    accepted. Addresses with a user name or password are refused: the
    completion history is kept forever and shown to everyone.

    >>> check_url(" https://school1.example.org/prikaz.pdf ")
    'https://school1.example.org/prikaz.pdf'
    """
    text = url.strip()

    def refuse(why: str) -> EvidenceError:
        return EvidenceError(
            _("Ссылка «{url}» не принимается: {why}; нужен адрес вида https://сайт/путь").format(
                url=text, why=why
            )
        )

    if not text or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise refuse(_("пустая или с пробелами"))
    if any(unicodedata.category(ch) == "Cf" for ch in text):
        # Bidi overrides and invisible characters make a link read as
        # another one (U+202E turns «fdp.exe» into «exe.pdf»).
        raise refuse(_("в адресе невидимые или управляющие направлением текста символы"))
    try:
        parts = urlsplit(text)
        _port = parts.port  # raises ValueError on a malformed port
    except ValueError as err:
        raise refuse(_("адрес не разбирается")) from err
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise refuse(
            _("схема «{scheme}» не поддерживается (только http и https)").format(scheme=scheme)
            if scheme
            else _("не указана схема (http:// или https://)")
        )
    if not parts.hostname:
        raise refuse(_("не указан сервер"))
    if len(parts.hostname) > MAX_HOST_CHARS or any(
        len(label) > 63 for label in parts.hostname.split(".")
    ):
        raise refuse(
            _("имя сервера длиннее {n} символов или его часть длиннее 63").format(
                n=MAX_HOST_CHARS
            )
        )
    if parts.username is not None or parts.password is not None:
        raise refuse(_("в адресе не должно быть имени пользователя и пароля"))
    return text


def _megabytes(n: int) -> str:
    value = n / _MIB
    return (f"{value:.1f}" if value >= 10 else f"{value:.3g}").removesuffix(".0")


def _read_chunks(source: BinaryIO, size: int) -> Iterator[bytes]:
    while chunk := source.read(size):
        yield chunk


def _fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in ``path`` durable (POSIX, like
    ``O_NOFOLLOW`` above: ``O_DIRECTORY`` is there too)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EvidenceStore:
    """Content-addressed, write-once files under ``root`` (see the module
    docstring for the layout and guarantees).

    ``max_bytes`` is the largest file :meth:`put` accepts (the
    ``evidence_max_bytes`` setting); ``chunk_size`` how much is read at a
    time. ``root`` is created on the first :meth:`put`.

    >>> store = EvidenceStore(tmp / "evidence", max_bytes=50 * 1024 * 1024)  # doctest: +SKIP
    >>> store.put(tmp / "prikaz.pdf").path.name == store.put(tmp / "copy.pdf").path.name  # doctest: +SKIP
    True
    """

    def __init__(self, root: Path, max_bytes: int, *, chunk_size: int = CHUNK_SIZE) -> None:
        if max_bytes < 0:
            raise ConfigError(
                _(
                    "«evidence_max_bytes» = {value}: ожидается неотрицательное целое число байт"
                ).format(value=max_bytes)
            )
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.chunk_size = chunk_size

    # ------------------------------------------------------------ naming

    def path_for(self, sha256: str) -> Path:
        """Where the file with this (lower-case hex) SHA-256 is kept.

        >>> EvidenceStore(Path("/ev"), 1).path_for("ab" * 32).parent
        PosixPath('/ev/ab')
        """
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a lower-case hex SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def read(self, evidence: Evidence) -> bytes:
        """The stored content of ``evidence``, checked against its SHA-256
        (:class:`~roadmap.errors.StorageError` when it is missing or altered:
        ``roadmap evidence verify`` tells more)."""
        path = self.path_for(evidence.sha256)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise StorageError(
                _("Файл-доказательство {sha} ({name}) не читается из хранилища: {err}").format(
                    sha=evidence.sha256, name=evidence.name, err=err.strerror or err
                )
            ) from err
        if hashlib.sha256(data).hexdigest() != evidence.sha256:
            raise StorageError(
                _("Файл-доказательство {sha} ({name}) в хранилище изменён; "
                  "проверьте хранилище: roadmap evidence verify").format(
                    sha=evidence.sha256, name=evidence.name
                )
            )
        return data

    # ------------------------------------------------------------ put

    def put(self, path: Path, name: str | None = None) -> Evidence:
        """Copy the regular file ``path`` into the store; its :class:`Evidence`
        (``name``: the original file name, when ``path`` is a staging copy,
        as for a web upload; by default ``path``'s own name).

        Storing content the store already holds (intact) writes nothing and
        returns the same ``sha256``/``path`` (``name`` is this call's name).
        A damaged copy already in the store is replaced by the good one.
        Refusals raise :class:`~roadmap.errors.EvidenceError` and leave the
        store as it was.

        >>> ev = store.put(Path("prikaz.pdf"))  # doctest: +SKIP
        >>> ev.path == store.path_for(ev.sha256), oct(ev.path.stat().st_mode & 0o777)  # doctest: +SKIP
        (True, '0o444')
        """
        path = Path(path)
        before = self._inspect(path)
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError as err:
            raise self._open_error(path, err) from err
        with os.fdopen(fd, "rb", buffering=0) as source:
            opened = os.fstat(source.fileno())
            if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (
                before.st_dev,
                before.st_ino,
            ):
                raise self._changed(path)
            sha256, size, new = self._copy_in(path, source, before)
        name = name or path.name
        return Evidence(sha256, name, size, media_type(name), self.path_for(sha256), new=new)

    def discard(self, evidence: Evidence, *, referenced: Callable[[str], bool]) -> None:
        """Take back a file :meth:`put` just wrote for a completion that was
        not recorded (its transaction failed: a lost ``done`` race, a
        refusal), so that it is not left as a stray. Only a file this put
        wrote, and only when ``referenced(sha256)`` — asked after the
        failure — says no completion names it (another ``done`` with the
        same content may have won)."""
        if not evidence.new or evidence.path is None or referenced(evidence.sha256):
            return
        with contextlib.suppress(FileNotFoundError):
            evidence.path.unlink()
            _fsync_dir(evidence.path.parent)

    def _chunks(self, source: BinaryIO) -> Iterator[bytes]:
        """The content of ``source``, ``chunk_size`` bytes at a time (a hook
        for tests that simulate a file growing while it is read)."""
        return _read_chunks(source, self.chunk_size)

    def _inspect(self, path: Path) -> os.stat_result:
        """lstat() ``path`` and refuse what is not a small regular file."""
        try:
            st = os.lstat(path)
        except OSError as err:
            raise self._open_error(path, err) from err
        if stat.S_ISLNK(st.st_mode):
            raise self._symlink(path)
        if not stat.S_ISREG(st.st_mode):
            raise EvidenceError(
                _(
                    "«{path}»: это {kind}, а не обычный файл; доказательством может быть только "
                    "обычный файл (или ссылка --url)"
                ).format(path=path, kind=kind_of(st.st_mode))
            )
        if st.st_size > self.max_bytes:
            raise self._too_big(path, st.st_size)
        return st

    def _copy_in(
        self, path: Path, source: BinaryIO, before: os.stat_result
    ) -> tuple[str, int, bool]:
        """Copy and hash ``source`` into a temporary file, then rename it to
        its hash name; the temporary file never outlives a failure. Returns
        the hash, the size, and whether the file was new to the store."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp_fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=TEMP_PREFIX, suffix=".tmp")
        except OSError as err:
            raise self._store_error(path, err) from err
        tmp = Path(tmp_name)
        try:
            with os.fdopen(tmp_fd, "wb") as out:
                digest = hashlib.sha256()
                size = 0
                chunks = self._chunks(source)
                while True:
                    try:
                        chunk = next(chunks, None)
                    except OSError as err:
                        raise self._unreadable(path, err) from err
                    if chunk is None:
                        break
                    size += len(chunk)
                    if size > self.max_bytes:  # it grew after lstat()
                        raise self._grew(path)
                    digest.update(chunk)
                    try:
                        out.write(chunk)
                    except OSError as err:
                        raise self._store_error(path, err) from err
                after = os.fstat(source.fileno())
                if size != before.st_size or (after.st_size, after.st_mtime_ns) != (
                    before.st_size,
                    before.st_mtime_ns,
                ):
                    raise self._changed(path)
                try:
                    out.flush()
                    os.fchmod(out.fileno(), 0o444)
                    os.fsync(out.fileno())
                except OSError as err:
                    raise self._store_error(path, err) from err
            sha256 = digest.hexdigest()
            dest = self.path_for(sha256)
            try:
                new_dir = not dest.parent.is_dir()
                dest.parent.mkdir(exist_ok=True)
                existing = self._hash_file(dest)
                new = existing is None
                if existing == (sha256, size):
                    tmp.unlink()  # already stored: nothing changes
                else:
                    os.replace(tmp, dest)
                    _fsync_dir(dest.parent)
                if new_dir:
                    _fsync_dir(self.root)
            except OSError as err:
                raise self._store_error(path, err) from err
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        return sha256, size, new

    def _hash_file(self, path: Path) -> tuple[str, int] | None:
        """(sha256, size) of the regular file at ``path``; None when there is
        none there (missing, a symlink, a directory...)."""
        try:
            fd = os.open(path, _OPEN_FLAGS)
        except OSError as err:
            if err.errno in (errno.ENOENT, errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
                return None
            raise
        with os.fdopen(fd, "rb", buffering=0) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None
            digest = hashlib.sha256()
            size = 0
            for chunk in _read_chunks(handle, self.chunk_size):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    # ------------------------------------------------------------ verify

    def verify(self, expected: Iterable[tuple[str, int]]) -> VerifyReport:
        """Re-hash every expected ``(sha256, size)`` and list the store's
        unreferenced files. Reports, never raises for a bad file.

        >>> report = store.verify([(ev.sha256, ev.size)])  # doctest: +SKIP
        >>> report.ok, report.missing, report.altered, report.orphans  # doctest: +SKIP
        (True, (), (), ())
        """
        wanted: dict[str, int] = {}
        for sha256, size in expected:
            wanted.setdefault(sha256.lower(), size)
        missing: list[MissingFile] = []
        altered: list[AlteredFile] = []
        known: set[Path] = set()
        for sha256, size in sorted(wanted.items()):
            if not _SHA256.fullmatch(sha256):
                missing.append(MissingFile(sha256, size, None))
                continue
            path = self.path_for(sha256)
            known.add(path)
            if os.path.islink(path.parent):
                # A shard that points elsewhere: whatever is there is not ours.
                altered.append(
                    AlteredFile(sha256, size, path, None, None,
                                _("каталог {shard} — символическая ссылка").format(
                                    shard=path.parent))
                )
                continue
            if not os.path.lexists(path):
                missing.append(MissingFile(sha256, size, path))
                continue
            problem = self._check(sha256, size, path)
            if problem is not None:
                altered.append(problem)
        orphans = sorted(p for p in self._walk(self.root) if p not in known)
        return VerifyReport(len(wanted), tuple(missing), tuple(altered), tuple(orphans))

    def _check(self, sha256: str, size: int, path: Path) -> AlteredFile | None:
        """None when ``path`` holds exactly ``size`` bytes hashing to ``sha256``."""
        try:
            found = self._hash_file(path)
        except OSError as err:
            reason = _("не читается ({err})").format(err=err.strerror or err)
            return AlteredFile(sha256, size, path, None, None, reason)
        if found is None:
            return AlteredFile(sha256, size, path, None, None, _("это не обычный файл"))
        actual, actual_size = found
        if actual != sha256:
            reason = _("содержимое изменено (SHA-256 теперь {actual}, {n} байт)").format(
                actual=actual, n=actual_size
            )
        elif actual_size != size:
            reason = _("размер {n} байт, а записано {expected}").format(
                n=actual_size, expected=size
            )
        else:
            return None
        return AlteredFile(sha256, size, path, actual, actual_size, reason)

    def _walk(self, directory: Path) -> Iterator[Path]:
        """Every non-directory entry under ``directory`` (symlinks are
        listed, never followed)."""
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            return
        except OSError as err:
            raise StorageError(
                _("Хранилище доказательств {root}: не читается каталог {dir} ({err})").format(
                    root=self.root, dir=directory, err=err.strerror or err
                )
            ) from err
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(Path(entry.path))
            else:
                yield Path(entry.path)

    # ------------------------------------------------------------ messages

    def _symlink(self, path: Path) -> EvidenceError:
        return EvidenceError(
            _(
                "«{path}»: это символическая ссылка; доказательством может быть только обычный "
                "файл — укажите сам файл, а не ссылку на него"
            ).format(path=path)
        )

    def _too_big(self, path: Path, size: int) -> EvidenceError:
        return EvidenceError(
            _(
                "«{path}»: файл слишком большой ({size} МБ); принимаются файлы до {limit} МБ "
                "({max_bytes} байт, настройка evidence_max_bytes)"
            ).format(
                path=path,
                size=_megabytes(size),
                limit=_megabytes(self.max_bytes),
                max_bytes=self.max_bytes,
            )
        )

    def _grew(self, path: Path) -> EvidenceError:
        return EvidenceError(
            _(
                "«{path}»: файл вырос во время копирования и превысил предел {limit} МБ "
                "({max_bytes} байт, настройка evidence_max_bytes); принимаются файлы до "
                "{limit} МБ, которые не меняются при записи"
            ).format(path=path, limit=_megabytes(self.max_bytes), max_bytes=self.max_bytes)
        )

    def _changed(self, path: Path) -> EvidenceError:
        return EvidenceError(
            _(
                "«{path}»: файл изменился во время копирования; принимается только файл, "
                "который не меняется — дождитесь конца записи и повторите"
            ).format(path=path)
        )

    def _unreadable(self, path: Path, err: OSError) -> EvidenceError:
        return EvidenceError(
            _(
                "«{path}»: файл не читается ({err}); нужен обычный файл, доступный для чтения"
            ).format(path=path, err=err.strerror or err)
        )

    def _open_error(self, path: Path, err: OSError) -> EvidenceError:
        if err.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a symlink
            return self._symlink(path)
        if err.errno in (errno.ENOENT, errno.ENOTDIR):
            return EvidenceError(
                _("«{path}»: нет такого файла; нужен путь к существующему обычному файлу").format(
                    path=path
                )
            )
        return self._unreadable(path, err)

    def _store_error(self, path: Path, err: OSError) -> StorageError:
        return StorageError(
            _("Хранилище доказательств {root}: не удалось сохранить «{path}» ({err})").format(
                root=self.root, path=path, err=err.strerror or err
            )
        )


__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_MEDIA_TYPE",
    "TEMP_PREFIX",
    "URL_SCHEMES",
    "AlteredFile",
    "Evidence",
    "EvidenceStore",
    "MissingFile",
    "VerifyReport",
    "check_url",
    "media_type",
]
