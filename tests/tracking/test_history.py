"""The completion log and the evidence it names, read through the core
(:func:`history`, :func:`occurrence_history`, :func:`completion_evidence`,
:func:`expected_evidence`, :func:`unhashed_evidence`, :func:`find_evidence`,
:func:`stored_evidence`): the right rows, in order, with every field."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from roadmap.app import App
from roadmap.errors import NotFoundError, UsageError
from roadmap.evidence import Evidence, EvidenceStore
from roadmap.storage.db import write_session
from roadmap.tracking import (
    HistoryEntry,
    Selector,
    completion_evidence,
    expected_evidence,
    find_evidence,
    history,
    mark_done,
    occurrence_history,
    reopen,
    stored_evidence,
    unhashed_evidence,
)

from .conftest import IRK, MSK

T0 = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)  # 10:00 in Irkutsk
TODAY = date(2023, 1, 15)
SHA_A = "ab" * 32
SHA_B = "ab" * 4 + "cd" * 28  # shares its first 8 hex digits with SHA_A
PDF = Evidence(SHA_A, "приказ.pdf", 1234, "application/pdf")
SHA_C = "0123456789abcdef" * 4
SCAN = Evidence(SHA_C, "скан.png", 99, "image/png")


def done(app: App, plan: str, task: str, *, minutes: int = 0, by: str = "ivanova",
         url: str | None = "https://example.org/p", evidence: Evidence | None = None,
         again: bool = False, **sel: object) -> int:
    with write_session(app.sessions) as session:
        return mark_done(
            session, lambda _zone: TODAY, Selector(plan, task, **sel),  # type: ignore[arg-type]
            by=by, at=T0 + timedelta(minutes=minutes), url=None if evidence else url,
            evidence=evidence, again=again,
        ).completion_id


def undo(app: App, plan: str, task: str, *, minutes: int = 0, **sel: object) -> int:
    with write_session(app.sessions) as session:
        return reopen(session, lambda _zone: TODAY, Selector(plan, task, **sel),  # type: ignore[arg-type]
                      by="petrova", at=T0 + timedelta(minutes=minutes), reason="не тот").completion_id


def log(app: App, plan: str = IRK, task: str | None = None, **kw: object) -> list[HistoryEntry]:
    with app.sessions() as session:
        return history(session, plan, task, **kw)  # type: ignore[arg-type]


def brief(entries: list[HistoryEntry]) -> list[tuple[int, str, str, str | None, str, str]]:
    return [(e.id, e.action, e.task, e.org, e.party, e.by) for e in entries]


# ---------------------------------------------------------------- history


def test_history_is_the_plans_log_oldest_first(app: App) -> None:
    a = done(app, IRK, "1.2")
    b = done(app, IRK, "1.1", org="school-1", minutes=1)
    done(app, MSK, "1.2", minutes=2)
    c = undo(app, IRK, "1.2", minutes=3)
    d = done(app, IRK, "1.2", minutes=4, by="petrova")
    assert brief(log(app)) == [
        (a, "done", "1.2", None, "imcro", "ivanova"),
        (b, "done", "1.1", "school-1", "oo", "ivanova"),
        (c, "reopen", "1.2", None, "imcro", "petrova"),
        (d, "done", "1.2", None, "imcro", "petrova"),
    ]
    assert [e.id for e in log(app, task="1.2")] == [a, c, d]
    assert [e.id for e in log(app, task="1.1")] == [b]
    assert [e.id for e in log(app, org="school-1")] == [b]
    assert [e.id for e in log(app, party="imcro")] == [a, c, d]
    assert [e.id for e in log(app, party="oo")] == [b]
    # The current «done» of each active occurrence only.
    assert [e.id for e in log(app, current=True)] == [b, d]
    assert [e.id for e in log(app, task="1.2", current=True)] == [d]


def test_history_takes_an_organisation_by_name_and_a_task_by_number(app: App) -> None:
    b = done(app, IRK, "1.1", org="school-2")
    assert [e.id for e in log(app, org="МБОУ СОШ № 2 (пример)")] == [b]
    assert [e.id for e in log(app, task="1.1)")] == [b]


def test_a_reopened_occurrence_has_no_current_done(app: App) -> None:
    done(app, IRK, "1.2")
    undo(app, IRK, "1.2", minutes=1)
    assert log(app, current=True) == []
    assert len(log(app)) == 2


def test_history_of_an_unknown_plan_task_or_organisation(app: App) -> None:
    with pytest.raises(NotFoundError, match="Нет плана «test-irq» \\(может быть, «test-irk»"):
        log(app, "test-irq")
    with pytest.raises(NotFoundError, match=r"Нет задачи «1\.9» в плане test-irk"):
        log(app, task="1.9")
    with pytest.raises(NotFoundError, match="school-9"):
        log(app, org="school-9")


def test_a_history_entry_has_every_field(app: App) -> None:
    first = done(app, IRK, "1.1", org="school-3", evidence=PDF)
    again = done(app, IRK, "1.1", org="school-3", evidence=PDF, again=True, minutes=90)
    entry = log(app)[1]
    assert (entry.id, entry.at, entry.timezone, entry.by, entry.action) == (
        again, T0 + timedelta(minutes=90), "Asia/Irkutsk", "ivanova", "done")
    assert (entry.plan, entry.task, entry.number, entry.party, entry.org) == (
        IRK, "1.1", "1.1", "oo", "school-3")
    assert (entry.start, entry.due, entry.note, entry.url) == (
        date(2023, 1, 1), date(2023, 1, 31), None, None)
    assert entry.evidence == PDF
    assert (entry.supersedes_id, entry.carried_from_id) == (first, None)
    assert entry.local_at.isoformat() == "2024-01-10T11:30:00+08:00"
    assert entry.as_json() == {
        "id": again, "at": "2024-01-10T03:30:00+00:00", "local_at": "2024-01-10T11:30:00+08:00",
        "timezone": "Asia/Irkutsk", "by": "ivanova", "action": "done", "plan": IRK,
        "task": "1.1", "number": "1.1", "party": "oo", "org": "school-3",
        "start": "2023-01-01", "due": "2023-01-31", "note": None, "url": None,
        "evidence": {"sha256": SHA_A, "name": "приказ.pdf", "size": 1234,
                     "media_type": "application/pdf"},
        "supersedes": first, "carried_from": None,
    }


def test_an_entry_with_a_link_and_no_dates(app: App) -> None:
    done(app, IRK, "1.3")
    [entry] = log(app)
    assert (entry.url, entry.evidence, entry.start, entry.due) == (
        "https://example.org/p", None, None, None)
    as_json = entry.as_json()
    assert (as_json["evidence"], as_json["start"], as_json["due"], as_json["url"]) == (
        None, None, None, "https://example.org/p")


# ---------------------------------------------------------------- occurrence_history


def test_occurrence_history_by_occurrence(app: App) -> None:
    a = done(app, IRK, "1.2")
    b = done(app, IRK, "1.1", org="school-1", minutes=1)
    c = undo(app, IRK, "1.2", minutes=2)
    occ_12 = log(app)[0].occurrence_id
    occ_11 = log(app)[1].occurrence_id
    quiet = 10_000  # no such occurrence: an empty log
    # Ids far below the real ones put them in a later chunk of the query.
    many = [*range(-1200, 0), occ_12, occ_11, occ_12, quiet]
    found = occurrence_history(app.sessions(), many)
    assert len(found) == 1200 + 3
    assert [e.id for e in found[occ_12]] == [a, c]
    assert [e.id for e in found[occ_11]] == [b]
    assert found[quiet] == [] and found[-1] == []
    assert occurrence_history(app.sessions(), []) == {}
    # A real one exactly after the first 500.
    edge = occurrence_history(app.sessions(), [*range(-500, 0), occ_11])
    assert [e.id for e in edge[occ_11]] == [b]


# ---------------------------------------------------------------- evidence


def test_completion_evidence(app: App) -> None:
    link = done(app, IRK, "1.2")
    file = done(app, IRK, "1.1", org="school-1", evidence=PDF)
    with app.sessions() as session:
        assert completion_evidence(session, file) == PDF
        assert completion_evidence(session, link) is None
        assert completion_evidence(session, 999) is None


def test_expected_evidence_names_each_file_once(app: App) -> None:
    other = Evidence(SHA_B, "скан.jpg", 77, "image/jpeg")
    done(app, IRK, "1.1", org="school-3", evidence=other)
    done(app, IRK, "1.1", org="school-1", evidence=PDF)
    done(app, IRK, "1.1", org="school-2", evidence=PDF)
    done(app, IRK, "1.2")
    with app.sessions() as session:
        assert expected_evidence(session) == [(SHA_A, 1234), (SHA_B, 77)]


def test_unhashed_evidence_names_edited_rows(app: App, data_dir: Path) -> None:
    with app.sessions() as session:
        assert unhashed_evidence(session) == []
    done(app, IRK, "1.2")
    edited = done(app, IRK, "1.1", org="school-1", evidence=PDF)
    sized = done(app, IRK, "1.1", org="school-2", evidence=PDF)
    with sqlite3.connect(data_dir / "roadmap.db") as db:
        db.execute("DROP TRIGGER completions_no_update")
        db.execute("UPDATE completions SET evidence_sha256 = NULL WHERE id IN (?, ?)",
                   (edited, sized))
        db.execute("UPDATE completions SET evidence_name = NULL WHERE id = ?", (sized,))
    with app.sessions() as session:
        assert unhashed_evidence(session) == [(edited, "приказ.pdf"), (sized, "")]
        assert expected_evidence(session) == []


def test_find_evidence_by_completion_number_or_hash(app: App) -> None:
    link = done(app, IRK, "1.2")
    file = done(app, IRK, "1.1", org="school-1", evidence=PDF)
    done(app, IRK, "1.1", org="school-2", evidence=SCAN)
    with app.sessions() as session:
        assert find_evidence(session, str(file)) == PDF
        assert find_evidence(session, f" {file} ") == PDF
        assert find_evidence(session, SHA_A) == PDF
        assert find_evidence(session, SHA_A[:8].upper()) == PDF
        # A hash with every hex digit in it (as most have).
        assert find_evidence(session, SHA_C) == SCAN
        with pytest.raises(NotFoundError) as only_link:
            find_evidence(session, str(link))
        assert str(only_link.value) == (
            f"У отметки № {link} нет файла-доказательства (только ссылка)")
        with pytest.raises(NotFoundError) as missing:
            find_evidence(session, "999")
        assert str(missing.value) == "Нет отметки № 999 (номера — в roadmap history)"
        with pytest.raises(NotFoundError) as no_file:
            find_evidence(session, "ffffffff")
        assert str(no_file.value) == "Нет файла-доказательства с SHA-256 «ffffffff»"
        for short in ("abababa", "приказ", "abababag"):
            with pytest.raises(UsageError) as bad:
                find_evidence(session, short)
            assert str(bad.value) == (
                f"«{short}»: ожидается номер отметки (roadmap history) или SHA-256 файла")


def test_find_evidence_by_a_shared_prefix_asks_for_more(app: App) -> None:
    done(app, IRK, "1.1", org="school-1", evidence=PDF)
    done(app, IRK, "1.1", org="school-2", evidence=Evidence(SHA_B, "b.pdf", 5, None))
    done(app, IRK, "1.1", org="school-3", evidence=Evidence(SHA_A, "копия.pdf", 1234, None))
    with app.sessions() as session:
        with pytest.raises(UsageError) as shared:
            find_evidence(session, SHA_A[:8])
        assert str(shared.value) == (
            f"Начало «{SHA_A[:8]}» у нескольких файлов: {SHA_A[:16]}, {SHA_B[:16]}; "
            "укажите больше цифр")
        # One file recorded twice: the newest record's name.
        assert find_evidence(session, SHA_A[:10]) == Evidence(SHA_A, "копия.pdf", 1234, None)


def test_find_evidence_names_a_nameless_file_by_its_hash(app: App, data_dir: Path) -> None:
    file = done(app, IRK, "1.2", evidence=PDF)
    with sqlite3.connect(data_dir / "roadmap.db") as db:
        db.execute("DROP TRIGGER completions_no_update")
        db.execute("UPDATE completions SET evidence_name = NULL, evidence_size = NULL")
    with app.sessions() as session:
        assert find_evidence(session, str(file)) == Evidence(SHA_A, SHA_A, 0, "application/pdf")
        assert completion_evidence(session, file) == Evidence(SHA_A, "", 0, "application/pdf")
        assert [e.evidence for e in history(session, IRK)] == [
            Evidence(SHA_A, "", 0, "application/pdf")]
        assert expected_evidence(session) == [(SHA_A, 0)]


# ---------------------------------------------------------------- stored_evidence


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_failed_block_takes_its_new_file_back(app: App, tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "store", 10_000)
    doc = tmp_path / "order.pdf"
    doc.write_bytes(b"an order")
    with pytest.raises(RuntimeError), stored_evidence(store, app.sessions, doc) as evidence:
        assert evidence is not None
        assert [p.read_bytes() for p in files(tmp_path / "store")] == [b"an order"]
        raise RuntimeError("refused")
    assert files(tmp_path / "store") == []


def test_a_file_a_completion_names_stays(app: App, tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "store", 10_000)
    doc = tmp_path / "order.pdf"
    doc.write_bytes(b"an order")
    with pytest.raises(RuntimeError), stored_evidence(store, app.sessions, doc) as evidence:
        assert evidence is not None
        done(app, IRK, "1.2", evidence=evidence)
        raise RuntimeError("a later step fails")
    assert [p.read_bytes() for p in files(tmp_path / "store")] == [b"an order"]


def test_a_block_that_succeeds_keeps_its_file_and_no_file_means_none(
    app: App, tmp_path: Path
) -> None:
    store = EvidenceStore(tmp_path / "store", 10_000)
    doc = tmp_path / "order.pdf"
    doc.write_bytes(b"an order")
    with stored_evidence(store, app.sessions, doc, "Приказ.pdf") as evidence:
        assert evidence is not None and evidence.name == "Приказ.pdf"
    assert [p.read_bytes() for p in files(tmp_path / "store")] == [b"an order"]
    with pytest.raises(RuntimeError), stored_evidence(store, app.sessions, None) as nothing:
        assert nothing is None
        raise RuntimeError("refused")
