"""Evidence files through ``roadmap done --evidence`` and ``roadmap evidence
verify``; refused inputs record nothing."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

from .conftest import IRK, Run


def history_json(run: Run) -> list[dict[str, Any]]:
    result = run("history", IRK, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return list(json.loads(result.stdout))


def stored_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "evidence").rglob("*") if p.is_file()]


def test_evidence_hash_recorded_and_verified(run: Run, loaded: Path, tmp_path: Path,
                                            data_dir: Path) -> None:
    doc = tmp_path / "Приказ о назначении.pdf"
    content = b"%PDF-1.4 prikaz " + bytes(range(256))
    doc.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()

    result = run("done", IRK, "1.2", "--evidence", str(doc), "--today", "2024-02-01")
    assert result.exit_code == 0, result.stderr
    assert digest in result.stdout

    evidence = history_json(run)[0]["evidence"]
    assert evidence["sha256"] == digest
    assert evidence["name"] == "Приказ о назначении.pdf"
    assert evidence["size"] == len(content)
    [stored] = [p for p in stored_files(data_dir) if p.read_bytes() == content]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest

    table = run("history", IRK, COLUMNS="200")
    # People see the name they gave the file; the hash is in --format json.
    assert "Приказ о назначении.pdf" in table.stdout and digest[:12] not in table.stdout

    ok = run("evidence", "verify")
    assert ok.exit_code == 0, ok.stdout + ok.stderr

    # Tamper: make the read-only file writable and change one byte.
    os.chmod(stored, stat.S_IRUSR | stat.S_IWUSR)
    data = bytearray(stored.read_bytes())
    data[0] ^= 0xFF
    stored.write_bytes(bytes(data))
    bad = run("evidence", "verify")
    assert bad.exit_code == 1
    assert digest[:12] in bad.stdout or stored.name in bad.stdout

    stored.unlink()
    gone = run("evidence", "verify")
    assert gone.exit_code == 1


def test_symlink_evidence_refused(run: Run, loaded: Path, tmp_path: Path,
                                  data_dir: Path) -> None:
    target = tmp_path / "real.pdf"
    target.write_bytes(b"real")
    link = tmp_path / "link.pdf"
    link.symlink_to(target)
    result = run("done", IRK, "1.2", "--evidence", str(link), "--today", "2024-02-01")
    assert result.exit_code == 2  # the --evidence argument is refused
    assert f"«{link}»: это символическая ссылка" in result.stderr
    assert history_json(run) == []
    # Nothing was copied into the store (it may not even exist yet).
    assert not (data_dir / "evidence").exists() or stored_files(data_dir) == []


def test_ftp_url_refused(run: Run, loaded: Path) -> None:
    result = run("done", IRK, "1.2", "--url", "ftp://example.org/prikaz.pdf",
                 "--today", "2024-02-01")
    assert result.exit_code == 2
    assert "схема «ftp» не поддерживается (только http и https)" in result.stderr
    assert history_json(run) == []


def test_mistyped_call_stores_no_file(run: Run, loaded: Path, tmp_path: Path,
                                      data_dir: Path) -> None:
    doc = tmp_path / "doc.pdf"
    doc.write_bytes(b"doc")
    result = run("done", IRK, "1.1", "--evidence", str(doc), "--today", "2023-01-15")
    assert result.exit_code == 2  # needs --org
    assert not (data_dir / "evidence").exists() or not stored_files(data_dir)
