"""The evidence store (:mod:`roadmap.evidence`) on real files: content
addressing, refusals that leave nothing behind (each with its whole
message), a store that cannot be written, reading back, taking back a file
of a lost race, the records' columns, verification, URL checks."""

from __future__ import annotations

import errno
import hashlib
import mimetypes
import os
import re
import resource
import signal
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from roadmap.errors import ConfigError, EvidenceError, RoadmapError, StorageError, UsageError
from roadmap.evidence import (
    DEFAULT_MEDIA_TYPE,
    TEMP_PREFIX,
    AlteredFile,
    Evidence,
    EvidenceStore,
    MissingFile,
    check_url,
    media_type,
)

LIMIT = 1000
MIB = 1024 * 1024
#: How the store refuses a file that changed under it (``{path}`` to fill in).
CHANGED = ("«{path}»: файл изменился во время копирования; принимается только файл, "
           "который не меняется — дождитесь конца записи и повторите")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def store(root: Path) -> EvidenceStore:
    return EvidenceStore(root, LIMIT, chunk_size=64)


def files_in(root: Path) -> list[Path]:
    """Every non-directory entry of the store, temporary files included."""
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if not p.is_dir() or p.is_symlink())


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


# ---------------------------------------------------------------- put


def test_put_names_the_file_by_its_hash_and_makes_it_read_only(
    store: EvidenceStore, root: Path, tmp_path: Path
) -> None:
    content = b"%PDF-1.4 prikaz " + bytes(range(256)) * 3  # several chunks
    doc = write(tmp_path / "Приказ о назначении куратора.pdf", content)
    digest = hashlib.sha256(content).hexdigest()

    evidence = store.put(doc)

    assert evidence == Evidence(
        sha256=digest,
        name="Приказ о назначении куратора.pdf",
        size=len(content),
        media_type="application/pdf",
        path=root / digest[:2] / digest,
    )
    assert evidence.path == store.path_for(digest)
    assert evidence.path.read_bytes() == content
    assert hashlib.sha256(evidence.path.read_bytes()).hexdigest() == digest
    assert stat.S_IMODE(evidence.path.stat().st_mode) == 0o444
    assert files_in(root) == [evidence.path]  # no temporary file left
    assert doc.read_bytes() == content  # the source is untouched


def test_hash_is_streamed_in_chunks(root: Path, tmp_path: Path) -> None:
    seen: list[int] = []

    class Recording(EvidenceStore):
        def _chunks(self, source: BinaryIO) -> Iterator[bytes]:
            for chunk in super()._chunks(source):
                seen.append(len(chunk))
                yield chunk

    content = os.urandom(LIMIT)
    evidence = Recording(root, LIMIT, chunk_size=100).put(write(tmp_path / "a.bin", content))
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert max(seen) == 100 and sum(seen) == LIMIT


def test_same_content_twice_is_one_file(store: EvidenceStore, root: Path,
                                        tmp_path: Path) -> None:
    first = store.put(write(tmp_path / "prikaz.pdf", b"same bytes"))
    mtime = first.path.stat().st_mtime_ns
    again = store.put(tmp_path / "prikaz.pdf")
    renamed = store.put(write(tmp_path / "Копия.docx", b"same bytes"))

    assert again == first
    assert (renamed.sha256, renamed.path, renamed.size) == (first.sha256, first.path, first.size)
    assert renamed.name == "Копия.docx"
    assert files_in(root) == [first.path]
    assert first.path.stat().st_mtime_ns == mtime  # not rewritten


def test_content_of_several_chunks_stored_again_is_not_rewritten(store: EvidenceStore,
                                                                 root: Path,
                                                                 tmp_path: Path) -> None:
    content = bytes(range(256)) + b"tail"  # 260 bytes: five chunks of 64 and a short one
    first = store.put(write(tmp_path / "scan.pdf", content))
    inode = first.path.stat().st_ino
    again = store.put(write(tmp_path / "copy.pdf", content))
    assert (first.new, again.new) == (True, False)
    assert again.path == first.path and again.size == 260
    assert first.path.stat().st_ino == inode  # the stored copy was recognised, not replaced
    assert files_in(root) == [first.path]
    assert store.verify([(first.sha256, 260)]).ok


def test_the_store_and_its_data_directory_are_created_on_the_first_put(tmp_path: Path) -> None:
    root = tmp_path / "data" / "evidence"  # neither exists yet
    evidence = EvidenceStore(root, LIMIT).put(write(tmp_path / "a.pdf", b"first"))
    assert files_in(root) == [evidence.path]
    assert evidence.path == root / evidence.sha256[:2] / evidence.sha256


def test_a_copy_in_progress_is_a_temporary_file_of_the_store(root: Path, tmp_path: Path) -> None:
    """Only the temporary file is ever partial, and it lives in the store's
    root under a name ``verify`` lists as a stray (what a crash leaves)."""
    seen: list[Path] = []

    class Watching(EvidenceStore):
        def _chunks(self, source: BinaryIO) -> Iterator[bytes]:
            seen.extend(self.verify([]).orphans)
            yield from super()._chunks(source)

    evidence = Watching(root, LIMIT).put(write(tmp_path / "a.pdf", b"in transit"))
    [temporary] = seen
    assert temporary.parent == root
    assert re.fullmatch(r"\.incoming-\w+\.tmp", temporary.name), temporary.name
    assert files_in(root) == [evidence.path]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_put_syncs_the_file_its_shard_and_the_root_for_a_new_shard(
    store: EvidenceStore, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A completion recorded after put() survives a power cut: the file and
    the directory entries that name it reach the disk."""
    synced: list[str] = []
    real_fsync = os.fsync

    def recording(fd: int) -> None:
        path = Path(os.readlink(f"/proc/self/fd/{fd}"))
        synced.append("temporary file" if path.name.startswith(TEMP_PREFIX) else str(path))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    # Both contents hash to the shard «30»: 30c769ec…, 30a9a969….
    store.put(write(tmp_path / "first.pdf", b"first order"))
    assert synced == ["temporary file", str(root / "30"), str(root)]
    synced.clear()
    store.put(write(tmp_path / "second.pdf", b"second order 259"))
    assert synced == ["temporary file", str(root / "30")]  # the shard was there
    synced.clear()
    store.put(tmp_path / "first.pdf")
    assert synced == ["temporary file"]  # already stored: no entry changes


def test_damaged_copy_is_replaced_by_the_good_one(store: EvidenceStore, root: Path,
                                                  tmp_path: Path) -> None:
    evidence = store.put(write(tmp_path / "a.txt", b"genuine"))
    evidence.path.chmod(0o644)
    evidence.path.write_bytes(b"forged!")
    store.put(tmp_path / "a.txt")
    assert evidence.path.read_bytes() == b"genuine"
    assert stat.S_IMODE(evidence.path.stat().st_mode) == 0o444


def test_file_exactly_at_the_limit_and_empty_file_are_accepted(store: EvidenceStore,
                                                                tmp_path: Path) -> None:
    assert store.put(write(tmp_path / "full.bin", b"x" * LIMIT)).size == LIMIT
    empty = store.put(write(tmp_path / "empty", b""))
    assert empty.sha256 == hashlib.sha256(b"").hexdigest()
    assert empty.media_type == DEFAULT_MEDIA_TYPE


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Приказ.pdf", "application/pdf"),
        ("отчёт.PDF", "application/pdf"),
        ("scan.jpg", "image/jpeg"),
        ("архив.tar.gz", "application/gzip"),
        ("README", DEFAULT_MEDIA_TYPE),
        ("file.unknown-ext", DEFAULT_MEDIA_TYPE),
    ],
)
def test_media_type(name: str, expected: str) -> None:
    assert media_type(name) == expected


def test_an_unknown_compression_is_plain_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    if not mimetypes.inited:
        mimetypes.init()
    monkeypatch.setitem(mimetypes.encodings_map, ".zst", "zstd")  # not in our table
    assert media_type("архив.tar.zst") == DEFAULT_MEDIA_TYPE


def test_path_for_refuses_what_is_not_a_sha256(store: EvidenceStore, root: Path) -> None:
    with pytest.raises(ValueError, match=r"^not a lower-case hex SHA-256: '\.\./etc/passwd'$"):
        store.path_for("../etc/passwd")
    with pytest.raises(ValueError, match="not a lower-case hex SHA-256"):
        store.path_for("AB" * 32)
    assert store.path_for("ab" * 32) == root / "ab" / ("ab" * 32)


# ---------------------------------------------------------------- records

SHA_TEST = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # of b"test"


def test_evidence_in_a_record_and_in_json() -> None:
    evidence = Evidence(SHA_TEST, "Приказ.pdf", 1234, "application/pdf", Path("/ev/9f/x"))
    assert evidence.columns() == {
        "evidence_sha256": SHA_TEST,
        "evidence_name": "Приказ.pdf",
        "evidence_size": 1234,
        "evidence_media_type": "application/pdf",
    }
    assert evidence.as_json() == {
        "sha256": SHA_TEST, "name": "Приказ.pdf", "size": 1234, "media_type": "application/pdf",
    }


def test_evidence_read_back_from_a_record() -> None:
    back = Evidence.recorded(SHA_TEST, "Приказ.pdf", 1234, "application/pdf")
    assert back is not None
    assert (back.sha256, back.name, back.size, back.media_type, back.path, back.new) == (
        SHA_TEST, "Приказ.pdf", 1234, "application/pdf", None, False
    )
    bare = Evidence.recorded(SHA_TEST, None, None, None)  # columns left empty
    assert bare is not None
    assert (bare.sha256, bare.name, bare.size, bare.media_type) == (SHA_TEST, "", 0, None)
    assert Evidence.recorded(None, "Приказ.pdf", 1234, "application/pdf") is None  # a link


# ---------------------------------------------------------------- read and discard


def test_read_gives_back_the_stored_bytes(store: EvidenceStore, tmp_path: Path) -> None:
    content = b"%PDF-1.4 " + bytes(range(256))
    evidence = store.put(write(tmp_path / "Приказ.pdf", content))
    recorded = Evidence.recorded(evidence.sha256, "Приказ.pdf", len(content), "application/pdf")
    assert recorded is not None
    assert store.read(recorded) == content


def test_read_of_a_missing_file_is_a_storage_error(store: EvidenceStore) -> None:
    evidence = Evidence(SHA_TEST, "Приказ.pdf", 4, "application/pdf")
    with pytest.raises(StorageError) as err:
        store.read(evidence)
    assert str(err.value) == (
        f"Файл-доказательство {SHA_TEST} (Приказ.pdf) не читается из хранилища: "
        f"{os.strerror(errno.ENOENT)}"
    )


def test_read_of_an_altered_file_is_a_storage_error(store: EvidenceStore,
                                                    tmp_path: Path) -> None:
    evidence = store.put(write(tmp_path / "Приказ.pdf", b"genuine"))
    evidence.path.chmod(0o644)
    evidence.path.write_bytes(b"forged!")
    with pytest.raises(StorageError) as err:
        store.read(evidence)
    assert str(err.value) == (
        f"Файл-доказательство {evidence.sha256} (Приказ.pdf) в хранилище изменён; "
        "проверьте хранилище: roadmap evidence verify"
    )


def test_discard_takes_back_only_a_new_file_nobody_names(store: EvidenceStore, root: Path,
                                                        tmp_path: Path) -> None:
    asked: list[str] = []

    def nobody(sha256: str) -> bool:
        asked.append(sha256)
        return False

    new = store.put(write(tmp_path / "a.pdf", b"the loser's order"))
    again = store.put(tmp_path / "a.pdf")
    assert (new.new, again.new) == (True, False)

    store.discard(again, referenced=nobody)  # this put wrote nothing: kept
    assert files_in(root) == [new.path] and asked == []
    store.discard(new, referenced=lambda sha256: True)  # a completion names it: kept
    assert files_in(root) == [new.path]
    store.discard(new, referenced=nobody)
    assert files_in(root) == [] and asked == [new.sha256]
    store.discard(new, referenced=nobody)  # already gone: nothing to do
    assert files_in(root) == []


# ---------------------------------------------------------------- refusals


def assert_refused(err: pytest.ExceptionInfo[EvidenceError], message: str) -> None:
    """The refusal says ``message`` and is a usage error (exit code 2)."""
    assert str(err.value) == message
    assert isinstance(err.value, RoadmapError) and isinstance(err.value, UsageError)
    assert err.value.EXIT_CODE == 2


SYMLINK = ("«{path}»: это символическая ссылка; доказательством может быть только обычный "
           "файл — укажите сам файл, а не ссылку на него")
NOT_A_FILE = ("«{path}»: это {kind}, а не обычный файл; доказательством может быть только "
              "обычный файл (или ссылка --url)")


def test_symlink_refused_and_nothing_stored(store: EvidenceStore, root: Path,
                                            tmp_path: Path) -> None:
    target = write(tmp_path / "real.pdf", b"real")
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    with pytest.raises(EvidenceError) as err:
        store.put(link)
    assert_refused(err, SYMLINK.format(path=link))
    assert files_in(root) == []


def test_symlink_swapped_in_after_lstat_is_caught_by_o_nofollow(root: Path,
                                                               tmp_path: Path) -> None:
    secret = write(tmp_path / "secret", b"not yours")
    doc = write(tmp_path / "doc.pdf", b"doc")

    class Racy(EvidenceStore):
        def _inspect(self, path: Path) -> os.stat_result:
            result = super()._inspect(path)
            path.unlink()
            path.symlink_to(secret)  # the attacker wins the race
            return result

    with pytest.raises(EvidenceError) as err:
        Racy(root, LIMIT).put(doc)
    assert_refused(err, SYMLINK.format(path=doc))
    assert files_in(root) == []


def test_file_replaced_after_lstat_is_refused(root: Path, tmp_path: Path) -> None:
    doc = write(tmp_path / "doc.pdf", b"doc")

    class Swapping(EvidenceStore):
        def _inspect(self, path: Path) -> os.stat_result:
            result = super()._inspect(path)
            write(tmp_path / "other", b"other").replace(path)  # a new inode
            return result

    with pytest.raises(EvidenceError) as err:
        Swapping(root, LIMIT).put(doc)
    assert_refused(err, CHANGED.format(path=doc))
    assert files_in(root) == []


def test_file_swapped_for_one_of_the_same_size_and_time_is_refused(root: Path,
                                                                   tmp_path: Path) -> None:
    doc = write(tmp_path / "doc.pdf", b"genuine")

    class Swapping(EvidenceStore):
        def _inspect(self, path: Path) -> os.stat_result:
            result = super()._inspect(path)
            forged = write(tmp_path / "forged", b"forgery")  # as long as the original
            os.utime(forged, ns=(result.st_atime_ns, result.st_mtime_ns))
            forged.replace(path)  # only the inode tells them apart
            return result

    with pytest.raises(EvidenceError) as err:
        Swapping(root, LIMIT).put(doc)
    assert_refused(err, CHANGED.format(path=doc))
    assert files_in(root) == []


def test_directory_refused(store: EvidenceStore, root: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    with pytest.raises(EvidenceError) as err:
        store.put(folder)
    assert_refused(err, NOT_A_FILE.format(path=folder, kind="каталог"))
    assert files_in(root) == []


def test_fifo_refused_without_blocking(store: EvidenceStore, root: Path,
                                       tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(EvidenceError) as err:
        store.put(fifo)
    assert_refused(err, NOT_A_FILE.format(path=fifo, kind="именованный канал (FIFO)"))
    assert files_in(root) == []


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_device_refused(store: EvidenceStore, root: Path) -> None:
    with pytest.raises(EvidenceError) as err:
        store.put(Path("/dev/null"))
    assert_refused(err, NOT_A_FILE.format(path="/dev/null", kind="символьное устройство"))
    assert files_in(root) == []


@pytest.mark.parametrize("name", ["absent.pdf", "not-a-dir.txt/inner.pdf"])
def test_missing_file_refused(store: EvidenceStore, root: Path, tmp_path: Path,
                              name: str) -> None:
    write(tmp_path / "not-a-dir.txt", b"file")
    path = tmp_path / name
    with pytest.raises(EvidenceError) as err:
        store.put(path)
    assert_refused(err, f"«{path}»: нет такого файла; нужен путь к существующему обычному файлу")
    assert files_in(root) == []


TOO_BIG = ("«{path}»: файл слишком большой ({size} МБ); принимаются файлы до {limit} МБ "
           "({max_bytes} байт, настройка evidence_max_bytes)")


@pytest.mark.parametrize(
    ("limit", "size", "says_size", "says_limit"),
    [
        (2 * MIB, 2 * MIB + 1, "2", "2"),  # three significant digits below 10 MB
        (1 * MIB, 1310720, "1.25", "1"),
        (20 * MIB, 1000 * MIB, "1000", "20"),  # one decimal from 10 MB, «.0» dropped
        (10 * MIB + MIB // 4, 123 * MIB + MIB // 2, "123.5", "10.2"),
    ],
)
def test_oversize_refused_naming_the_limit_in_mb(root: Path, tmp_path: Path, limit: int,
                                                 size: int, says_size: str,
                                                 says_limit: str) -> None:
    big = tmp_path / "scan.pdf"
    with big.open("wb") as handle:
        handle.truncate(size)  # sparse: no need to write megabytes
    with pytest.raises(EvidenceError) as err:
        EvidenceStore(root, limit).put(big)
    assert_refused(err, TOO_BIG.format(path=big, size=says_size, limit=says_limit,
                                       max_bytes=limit))
    assert files_in(root) == []


def test_oversize_refused_with_no_temp_file(store: EvidenceStore, root: Path,
                                            tmp_path: Path) -> None:
    store.put(write(tmp_path / "ok.txt", b"ok"))  # the store dir exists
    big = write(tmp_path / "big.bin", b"x" * (LIMIT + 1))
    with pytest.raises(EvidenceError) as err:
        store.put(big)
    assert_refused(err, TOO_BIG.format(path=big, size="0.000955", limit="0.000954",
                                       max_bytes=LIMIT))
    assert [p.name for p in files_in(root)] == [hashlib.sha256(b"ok").hexdigest()]


class Growing(EvidenceStore):
    """Appends ``extra`` bytes to the source after the first chunk is read,
    as a file still being written would."""

    extra = b""
    source_path: Path

    def _chunks(self, source: BinaryIO) -> Iterator[bytes]:
        appended = False
        for chunk in super()._chunks(source):
            yield chunk
            if not appended:
                with self.source_path.open("ab") as tail:
                    tail.write(self.extra)
                appended = True


def test_file_growing_past_the_limit_during_copy_is_refused(root: Path,
                                                            tmp_path: Path) -> None:
    doc = write(tmp_path / "growing.log", b"x" * LIMIT)  # exactly at the limit

    class PastLimit(Growing):
        extra = b"y" * 10

    growing = PastLimit(root, LIMIT, chunk_size=100)
    growing.source_path = doc
    with pytest.raises(EvidenceError) as err:
        growing.put(doc)
    assert_refused(
        err,
        f"«{doc}»: файл вырос во время копирования и превысил предел 0.000954 МБ "
        "(1000 байт, настройка evidence_max_bytes); принимаются файлы до 0.000954 МБ, "
        "которые не меняются при записи",
    )
    assert root.is_dir()  # the copy had begun...
    assert files_in(root) == []  # ...and left nothing behind


def test_file_changing_within_the_limit_is_refused(root: Path, tmp_path: Path) -> None:
    doc = write(tmp_path / "growing.log", b"x" * 500)

    class Within(Growing):
        extra = b"y" * 10

    growing = Within(root, LIMIT, chunk_size=100)
    growing.source_path = doc
    with pytest.raises(EvidenceError) as err:
        growing.put(doc)
    assert_refused(err, CHANGED.format(path=doc))
    assert files_in(root) == []


def test_file_rewritten_during_copy_is_refused_even_with_its_time_put_back(
    root: Path, tmp_path: Path
) -> None:
    """A sync tool truncates the file, writes it anew to the same length and
    restores its modification time: the copy saw only the first part."""
    doc = write(tmp_path / "order.pdf", b"x" * 500)
    before = doc.stat()

    class Rewritten(EvidenceStore):
        def _chunks(self, source: BinaryIO) -> Iterator[bytes]:
            chunks = super()._chunks(source)
            yield next(chunks)
            doc.write_bytes(b"")  # truncated: the next read finds the end
            yield from chunks
            doc.write_bytes(b"y" * 500)
            os.utime(doc, ns=(before.st_atime_ns, before.st_mtime_ns))

    with pytest.raises(EvidenceError) as err:
        Rewritten(root, LIMIT, chunk_size=100).put(doc)
    assert_refused(err, CHANGED.format(path=doc))
    assert files_in(root) == []


def test_interrupted_copy_leaves_nothing(root: Path, tmp_path: Path) -> None:
    class Interrupted(EvidenceStore):
        def _chunks(self, source: BinaryIO) -> Iterator[bytes]:
            yield source.read(10)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Interrupted(root, LIMIT).put(write(tmp_path / "a.bin", b"a" * 100))
    assert files_in(root) == []


def test_unreadable_source_is_refused(root: Path, tmp_path: Path) -> None:
    class Failing(EvidenceStore):
        def _chunks(self, source: BinaryIO) -> Iterator[bytes]:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
            yield b""  # pragma: no cover

    doc = write(tmp_path / "bad-sector.pdf", b"doc")
    with pytest.raises(EvidenceError) as err:
        Failing(root, LIMIT).put(doc)
    assert_refused(err, f"«{doc}»: файл не читается (Input/output error); нужен обычный файл, "
                        "доступный для чтения")
    assert files_in(root) == []


def test_a_name_the_system_cannot_open_is_refused_as_unreadable(store: EvidenceStore,
                                                                root: Path,
                                                                tmp_path: Path) -> None:
    path = tmp_path / ("приказ" * 30 + ".pdf")  # 364 bytes: over NAME_MAX
    with pytest.raises(EvidenceError) as err:
        store.put(path)
    assert_refused(err, f"«{path}»: файл не читается ({os.strerror(errno.ENAMETOOLONG)}); "
                        "нужен обычный файл, доступный для чтения")
    assert files_in(root) == []


def test_store_that_cannot_be_written_is_a_storage_error(
    store: EvidenceStore, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    doc = write(tmp_path / "a.pdf", b"doc")
    with pytest.raises(StorageError) as err:
        store.put(doc)
    assert str(err.value) == STORE_FAILED.format(root=root, path=doc, err="No space left on device")
    assert files_in(root) == []


STORE_FAILED = "Хранилище доказательств {root}: не удалось сохранить «{path}» ({err})"


def test_a_store_root_that_is_a_file_is_a_storage_error(root: Path, tmp_path: Path) -> None:
    write(root, b"not a directory")
    doc = write(tmp_path / "a.pdf", b"doc")
    with pytest.raises(StorageError) as err:
        EvidenceStore(root, LIMIT).put(doc)
    assert str(err.value) == STORE_FAILED.format(root=root, path=doc,
                                                 err=os.strerror(errno.EEXIST))
    assert root.read_bytes() == b"not a directory"


def test_a_file_where_the_shard_should_be_is_a_storage_error(store: EvidenceStore, root: Path,
                                                            tmp_path: Path) -> None:
    root.mkdir()
    stray = write(root / "30", b"in the way")  # sha256(b"first order") = 30c769ec…
    doc = write(tmp_path / "first.pdf", b"first order")
    with pytest.raises(StorageError) as err:
        store.put(doc)
    assert str(err.value) == STORE_FAILED.format(root=root, path=doc,
                                                 err=os.strerror(errno.EEXIST))
    assert files_in(root) == [stray]  # no temporary file left


def test_a_full_disk_while_copying_is_a_storage_error(root: Path, tmp_path: Path) -> None:
    """Writes past RLIMIT_FSIZE fail with EFBIG, as on a full disk or quota."""
    doc = write(tmp_path / "scan.pdf", b"x" * 20_000)
    store = EvidenceStore(root, 50_000, chunk_size=16_384)  # chunks bypass the write buffer
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, hard))
    try:
        with pytest.raises(StorageError) as err:
            store.put(doc)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)
    assert str(err.value) == STORE_FAILED.format(root=root, path=doc,
                                                 err=os.strerror(errno.EFBIG))
    assert files_in(root) == []


def test_a_directory_that_cannot_be_synced_is_a_storage_error(
    store: EvidenceStore, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rename happened, the directory's fsync failed: the caller hears of
    it; the file under its hash name is complete and no temporary is left."""
    real_fsync = os.fsync

    def failing_on_directories(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_on_directories)
    doc = write(tmp_path / "a.pdf", b"doc")
    with pytest.raises(StorageError) as err:
        store.put(doc)
    assert str(err.value) == STORE_FAILED.format(root=root, path=doc, err="Input/output error")
    digest = hashlib.sha256(b"doc").hexdigest()
    assert files_in(root) == [root / digest[:2] / digest]
    assert (root / digest[:2] / digest).read_bytes() == b"doc"


def test_negative_limit_is_a_config_error(root: Path) -> None:
    with pytest.raises(ConfigError) as err:
        EvidenceStore(root, -1)
    assert str(err.value) == (
        "«evidence_max_bytes» = -1: ожидается неотрицательное целое число байт"
    )


def test_a_zero_limit_accepts_only_empty_files(root: Path, tmp_path: Path) -> None:
    store = EvidenceStore(root, 0, chunk_size=1)
    assert store.put(write(tmp_path / "empty.pdf", b"")).size == 0
    with pytest.raises(EvidenceError):
        store.put(write(tmp_path / "one.pdf", b"1"))


def test_chunk_size_must_be_positive(root: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^chunk_size must be positive$"):
        EvidenceStore(root, LIMIT, chunk_size=0)
    one_byte_at_a_time = EvidenceStore(root, LIMIT, chunk_size=1)
    assert one_byte_at_a_time.put(write(tmp_path / "a.pdf", b"abc")).size == 3


# ---------------------------------------------------------------- verify


def test_verify_clean_store(store: EvidenceStore, tmp_path: Path) -> None:
    a = store.put(write(tmp_path / "a.pdf", b"alpha"))
    b = store.put(write(tmp_path / "b.pdf", b"beta"))
    report = store.verify([(a.sha256, a.size), (b.sha256, b.size), (a.sha256, a.size)])
    assert report.ok
    assert (report.checked, report.missing, report.altered, report.orphans) == (2, (), (), ())


def test_verify_finds_altered_missing_and_orphan_files(store: EvidenceStore, root: Path,
                                                       tmp_path: Path) -> None:
    kept = store.put(write(tmp_path / "kept.pdf", b"kept"))
    tampered = store.put(write(tmp_path / "tampered.pdf", b"tampered"))
    lost = store.put(write(tmp_path / "lost.pdf", b"lost"))
    orphan = store.put(write(tmp_path / "orphan.pdf", b"nobody cites me"))
    stray = write(root / f"{TEMP_PREFIX}crash.tmp", b"left by a crash")

    os.chmod(tampered.path, stat.S_IRUSR | stat.S_IWUSR)
    data = bytearray(tampered.path.read_bytes())
    data[0] ^= 0xFF
    tampered.path.write_bytes(bytes(data))
    os.chmod(lost.path, 0o644)
    lost.path.unlink()

    report = store.verify(
        [(e.sha256, e.size) for e in (kept, tampered, lost)]
    )

    assert not report.ok
    assert report.checked == 3
    assert report.missing == (MissingFile(lost.sha256, 4, lost.path),)
    assert str(report.missing[0]) == f"{lost.sha256} ({lost.path})"
    now = hashlib.sha256(bytes(data)).hexdigest()
    reason = f"содержимое изменено (SHA-256 теперь {now}, 8 байт)"
    assert report.altered == (AlteredFile(tampered.sha256, 8, tampered.path, now, 8, reason),)
    assert str(report.altered[0]) == f"{tampered.sha256} ({tampered.path}): {reason}"
    assert set(report.orphans) == {orphan.path, stray}


def test_verify_size_mismatch_bad_hash_and_non_file(store: EvidenceStore, root: Path,
                                                    tmp_path: Path) -> None:
    good = store.put(write(tmp_path / "a.pdf", b"alpha"))
    linked = hashlib.sha256(b"linked").hexdigest()
    store.path_for(linked).parent.mkdir(parents=True, exist_ok=True)
    store.path_for(linked).symlink_to(good.path)

    report = store.verify([(good.sha256, 6), (linked, 6), ("../../etc/passwd", 1)])

    assert set(report.altered) == {
        # right content, wrong size on record
        AlteredFile(good.sha256, 6, good.path, good.sha256, 5, "размер 5 байт, а записано 6"),
        # a symlink is not a stored file
        AlteredFile(linked, 6, store.path_for(linked), None, None, "это не обычный файл"),
    }
    assert report.missing == (MissingFile("../../etc/passwd", 1, None),)
    assert str(report.missing[0]) == "../../etc/passwd"
    assert report.orphans == ()


def test_verify_reports_an_unreadable_file_under_a_hash_name(
    store: EvidenceStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = hashlib.sha256(b"an order").hexdigest()
    path = store.path_for(digest)
    path.parent.mkdir(parents=True)
    monkeypatch.chdir(path.parent)  # a socket's address is short
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(digest)  # a socket cannot be opened: ENXIO
        report = store.verify([(digest, 8)])
    reason = f"не читается ({os.strerror(errno.ENXIO)})"
    assert report.altered == (AlteredFile(digest, 8, path, None, None, reason),)
    assert (report.missing, report.orphans) == ((), ())


def test_verify_reports_a_symlinked_shard_and_goes_on(store: EvidenceStore, root: Path,
                                                     tmp_path: Path) -> None:
    doc = store.put(write(tmp_path / "order.pdf", b"an order"))  # shard «cd»
    shard = doc.path.parent
    elsewhere = tmp_path / "elsewhere"
    shard.rename(elsewhere)
    shard.symlink_to(elsewhere)  # same bytes, but no longer in the store
    absent = "f" * 64  # sorted after the symlinked one

    report = store.verify([(absent, 3), (doc.sha256, 8)])

    reason = f"каталог {shard} — символическая ссылка"
    assert report.altered == (AlteredFile(doc.sha256, 8, doc.path, None, None, reason),)
    assert report.missing == (MissingFile(absent, 3, store.path_for(absent)),)
    assert report.orphans == (shard,)  # listed, not followed
    assert report.checked == 2


def test_verify_of_a_store_root_that_is_no_directory_is_a_storage_error(root: Path) -> None:
    write(root, b"not a directory")
    with pytest.raises(StorageError) as err:
        EvidenceStore(root, LIMIT).verify([])
    assert str(err.value) == (
        f"Хранилище доказательств {root}: не читается каталог {root} "
        f"({os.strerror(errno.ENOTDIR)})"
    )


def test_verify_without_a_store_reports_everything_missing(root: Path) -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    report = EvidenceStore(root, LIMIT).verify([(digest.upper(), 1)])
    assert [m.sha256 for m in report.missing] == [digest]
    assert report.orphans == ()


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org",
        "https://school1.example.org/docs/prikaz.pdf",
        "HTTPS://Example.org:8443/путь?q=1#frag",
        "https://иркутск.рф/документы",
        "https://[2001:db8::1]/x",
        # 253 characters, the longest host name; labels of 63, the longest label
        f"https://{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 61}/x",
    ],
)
def test_http_and_https_urls_accepted(url: str) -> None:
    assert check_url(f"  {url}\n") == url


SCHEME = "схема «{}» не поддерживается (только http и https)"
NO_SCHEME = "не указана схема (http:// или https://)"
BLANK = "пустая или с пробелами"
LONG_HOST = "имя сервера длиннее 253 символов или его часть длиннее 63"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.org/prikaz.pdf", SCHEME.format("ftp")),
        ("FTP://example.org/prikaz.pdf", SCHEME.format("ftp")),
        ("javascript:alert(1)", SCHEME.format("javascript")),
        ("example.org", NO_SCHEME),
        ("example.org/prikaz.pdf", NO_SCHEME),
        ("file:///etc/passwd", SCHEME.format("file")),
        ("mailto:imcro@example.org", SCHEME.format("mailto")),
        ("http://", "не указан сервер"),
        ("https:///prikaz.pdf", "не указан сервер"),
        ("https://host:port/", "адрес не разбирается"),
        ("https://user:secret@example.org/", "в адресе не должно быть имени пользователя и пароля"),
        ("https://user@example.org/", "в адресе не должно быть имени пользователя и пароля"),
        ("https://exa mple.org/", BLANK),
        ("", BLANK),
        ("https://example.org/\x01", BLANK),  # control characters
        ("https://example.org/\x7f", BLANK),
        ("https://exa\u200bmple.org/", "в адресе невидимые или управляющие направлением текста символы"),
        ("https://" + "a" * 64 + ".org/", LONG_HOST),
        (f"https://{'a' * 63}.{'b' * 63}.{'c' * 63}.{'d' * 62}/x", LONG_HOST),  # 254
    ],
)
def test_other_urls_refused(url: str, why: str) -> None:
    with pytest.raises(EvidenceError) as err:
        check_url(url)
    # What is wrong, and what would have been accepted.
    assert str(err.value) == f"Ссылка «{url}» не принимается: {why}; нужен адрес вида https://сайт/путь"
