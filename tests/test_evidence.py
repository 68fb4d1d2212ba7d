"""The evidence store (:mod:`roadmap.evidence`) on real files: content
addressing, refusals that leave nothing behind, verification, URL checks."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from roadmap.errors import EvidenceError, RoadmapError, StorageError, UsageError
from roadmap.evidence import (
    DEFAULT_MEDIA_TYPE,
    TEMP_PREFIX,
    Evidence,
    EvidenceStore,
    check_url,
    media_type,
)

LIMIT = 1000


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


# ---------------------------------------------------------------- refusals


def assert_refused(err: pytest.ExceptionInfo[EvidenceError], path: Path, *words: str) -> None:
    message = str(err.value)
    assert f"«{path}»" in message
    for word in words:
        assert word in message, message
    assert isinstance(err.value, RoadmapError) and isinstance(err.value, UsageError)
    assert err.value.EXIT_CODE == 2


def test_symlink_refused_and_nothing_stored(store: EvidenceStore, root: Path,
                                            tmp_path: Path) -> None:
    target = write(tmp_path / "real.pdf", b"real")
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    with pytest.raises(EvidenceError) as err:
        store.put(link)
    assert_refused(err, link, "символическая ссылка", "обычный файл")
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
    assert_refused(err, doc, "символическая ссылка")
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
    assert_refused(err, doc, "изменился")
    assert files_in(root) == []


def test_directory_refused(store: EvidenceStore, root: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    with pytest.raises(EvidenceError) as err:
        store.put(folder)
    assert_refused(err, folder, "каталог", "обычный файл")
    assert files_in(root) == []


def test_fifo_refused_without_blocking(store: EvidenceStore, root: Path,
                                       tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(EvidenceError) as err:
        store.put(fifo)
    assert_refused(err, fifo, "FIFO", "обычный файл")
    assert files_in(root) == []


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_device_refused(store: EvidenceStore, root: Path) -> None:
    with pytest.raises(EvidenceError) as err:
        store.put(Path("/dev/null"))
    assert_refused(err, Path("/dev/null"), "устройство")
    assert files_in(root) == []


@pytest.mark.parametrize("name", ["absent.pdf", "not-a-dir.txt/inner.pdf"])
def test_missing_file_refused(store: EvidenceStore, root: Path, tmp_path: Path,
                              name: str) -> None:
    write(tmp_path / "not-a-dir.txt", b"file")
    path = tmp_path / name
    with pytest.raises(EvidenceError) as err:
        store.put(path)
    assert_refused(err, path, "нет такого файла")
    assert files_in(root) == []


def test_oversize_refused_naming_the_limit_in_mb(root: Path, tmp_path: Path) -> None:
    limit = 2 * 1024 * 1024
    big = tmp_path / "scan.pdf"
    with big.open("wb") as handle:
        handle.truncate(limit + 1)  # sparse: no need to write 2 MB
    with pytest.raises(EvidenceError) as err:
        EvidenceStore(root, limit).put(big)
    assert_refused(err, big, "до 2 МБ", "evidence_max_bytes")
    assert files_in(root) == []


def test_oversize_refused_with_no_temp_file(store: EvidenceStore, root: Path,
                                            tmp_path: Path) -> None:
    store.put(write(tmp_path / "ok.txt", b"ok"))  # the store dir exists
    big = write(tmp_path / "big.bin", b"x" * (LIMIT + 1))
    with pytest.raises(EvidenceError) as err:
        store.put(big)
    assert_refused(err, big, "МБ")
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
    assert_refused(err, doc, "вырос", "МБ")
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
    assert_refused(err, doc, "изменился")
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
    assert_refused(err, doc, "не читается")
    assert files_in(root) == []


def test_store_that_cannot_be_written_is_a_storage_error(
    store: EvidenceStore, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(StorageError) as err:
        store.put(write(tmp_path / "a.pdf", b"doc"))
    assert str(root) in str(err.value) and "a.pdf" in str(err.value)
    assert files_in(root) == []


def test_negative_limit_is_a_config_error(root: Path) -> None:
    with pytest.raises(RoadmapError, match="evidence_max_bytes"):
        EvidenceStore(root, -1)


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
    assert [m.sha256 for m in report.missing] == [lost.sha256]
    assert report.missing[0].path == lost.path
    assert lost.sha256 in str(report.missing[0])
    [altered] = report.altered
    assert (altered.sha256, altered.path) == (tampered.sha256, tampered.path)
    assert altered.actual_sha256 == hashlib.sha256(bytes(data)).hexdigest()
    assert tampered.sha256 in str(altered) and "изменено" in str(altered)
    assert set(report.orphans) == {orphan.path, stray}


def test_verify_size_mismatch_bad_hash_and_non_file(store: EvidenceStore, root: Path,
                                                    tmp_path: Path) -> None:
    good = store.put(write(tmp_path / "a.pdf", b"alpha"))
    linked = hashlib.sha256(b"linked").hexdigest()
    store.path_for(linked).parent.mkdir(parents=True, exist_ok=True)
    store.path_for(linked).symlink_to(good.path)

    report = store.verify([(good.sha256, good.size + 1), (linked, 6), ("../../etc/passwd", 1)])

    assert {a.sha256: a.actual_sha256 for a in report.altered} == {
        good.sha256: good.sha256,  # right content, wrong size on record
        linked: None,  # a symlink is not a stored file
    }
    [bad] = report.missing
    assert bad.sha256 == "../../etc/passwd" and bad.path is None
    assert report.orphans == ()


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
    ],
)
def test_http_and_https_urls_accepted(url: str) -> None:
    assert check_url(f"  {url}\n") == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://example.org/prikaz.pdf", "ftp"),
        ("javascript:alert(1)", "javascript"),
        ("example.org", "схема"),
        ("example.org/prikaz.pdf", "схема"),
        ("file:///etc/passwd", "file"),
        ("mailto:imcro@example.org", "mailto"),
        ("http://", "сервер"),
        ("https:///prikaz.pdf", "сервер"),
        ("https://host:port/", "не разбирается"),
        ("https://user:secret@example.org/", "пароля"),
        ("https://exa mple.org/", "пробел"),
        ("", "пуст"),
    ],
)
def test_other_urls_refused(url: str, says: str) -> None:
    with pytest.raises(EvidenceError) as err:
        check_url(url)
    message = str(err.value)
    assert f"«{url}»" in message and says in message
    assert "https://" in message  # what would have been accepted
