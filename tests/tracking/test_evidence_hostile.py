"""The evidence store under attack or after tampering (issue 18, item 10):
no stray file from a lost ``done`` race, ``evidence verify`` sees a
symlinked shard and a nulled hash, ``--url`` refuses look-alike links."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from roadmap.app import App
from roadmap.errors import EvidenceError, RoadmapError
from roadmap.evidence import EvidenceStore, check_url
from roadmap.storage.db import write_session
from roadmap.tracking import Selector, mark_done, stored_evidence

from .conftest import IRK, Run

TODAY = "2024-02-01"


def store_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "evidence").rglob("*") if not p.is_dir())


def test_the_loser_of_a_done_race_leaves_no_stray_file(
    run: Run, app: App, tmp_path: Path, data_dir: Path
) -> None:
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    first.write_bytes(b"the winner's order")
    second.write_bytes(b"the loser's order, other bytes")
    assert run("done", IRK, "1.2", "--evidence", str(first), "--today", TODAY).exit_code == 0
    kept = store_files(data_dir)
    # The loser passed the early check before the winner committed, so it
    # copies its file and only then finds the occurrence done.
    store = EvidenceStore(data_dir / "evidence", app.settings["evidence_max_bytes"])
    today = datetime(2024, 2, 1, tzinfo=UTC)
    with pytest.raises(RoadmapError, match="уже"), \
            stored_evidence(store, app.sessions, second) as evidence:
        assert evidence is not None and evidence.path in store_files(data_dir)
        with write_session(app.sessions) as session:
            mark_done(session, lambda _zone: today.date(), Selector(IRK, "1.2"), by="b",
                      at=today, evidence=evidence)
    assert store_files(data_dir) == kept
    assert run("evidence", "verify").exit_code == 0


def test_a_lost_race_with_the_same_content_keeps_the_winners_file(
    run: Run, app: App, tmp_path: Path, data_dir: Path
) -> None:
    doc = tmp_path / "order.pdf"
    doc.write_bytes(b"one order, sent twice")
    store = EvidenceStore(data_dir / "evidence", app.settings["evidence_max_bytes"])
    with pytest.raises(RuntimeError), stored_evidence(store, app.sessions, doc) as evidence:
        assert evidence is not None and evidence.new
        # The winner records the same content meanwhile.
        assert run("done", IRK, "1.2", "--evidence", str(doc), "--today", TODAY).exit_code == 0
        raise RuntimeError("the loser's transaction fails")
    assert len(store_files(data_dir)) == 1
    assert run("evidence", "verify").exit_code == 0


def test_verify_reports_a_symlinked_shard(run: Run, loaded: Path, tmp_path: Path,
                                          data_dir: Path) -> None:
    doc = tmp_path / "order.pdf"
    doc.write_bytes(b"an order")
    assert run("done", IRK, "1.2", "--evidence", str(doc), "--today", TODAY).exit_code == 0
    [stored] = store_files(data_dir)
    elsewhere = tmp_path / "elsewhere"
    stored.parent.rename(elsewhere)
    stored.parent.symlink_to(elsewhere)  # same bytes, but no longer in the store
    result = run("evidence", "verify")
    assert result.exit_code == 1
    assert f"каталог {stored.parent} — символическая ссылка" in result.stdout


def test_verify_reports_a_nulled_hash(run: Run, loaded: Path, tmp_path: Path,
                                      data_dir: Path) -> None:
    doc = tmp_path / "order.pdf"
    doc.write_bytes(b"an order")
    assert run("done", IRK, "1.2", "--evidence", str(doc), "--today", TODAY).exit_code == 0
    with sqlite3.connect(data_dir / "roadmap.db") as db:
        db.execute("DROP TRIGGER completions_no_update")
        db.execute("UPDATE completions SET evidence_sha256 = NULL")
    result = run("evidence", "verify")
    assert result.exit_code == 1
    assert "Отметки с файлом без хэша (1):" in result.stdout
    assert "«order.pdf»" in result.stdout


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example.org/\u202efdp.exe", "управляющие направлением текста"),
        ("https://exa\u200bmple.org/order.pdf", "невидимые"),
        ("https://" + "a" * 250 + ".org/", "длиннее 253"),
        ("https://" + "a" * 64 + ".org/", "длиннее 63"),
    ],
)
def test_look_alike_urls_are_refused(url: str, says: str) -> None:
    with pytest.raises(EvidenceError, match=says):
        check_url(url)
    assert check_url("https://" + "a" * 63 + ".example.org/x") is not None
