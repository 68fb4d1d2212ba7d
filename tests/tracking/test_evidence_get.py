"""``roadmap evidence get`` gives back the very file a curator recorded,
under its original name; ``history`` shows that name, not a hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_carry import PLAN, PLAN_ID, REGISTER
from tests.fixtures import Run


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {f"{PLAN_ID}.yaml": PLAN, "orgs/carry-city.yaml": REGISTER}


def test_evidence_comes_back_identical_under_its_name(
    run: Run, loaded: Path, tmp_path: Path
) -> None:
    original = tmp_path / "Приказ № 5 о наставничестве.pdf"
    payload = b"%PDF-1.4\n" + bytes(range(256)) * 40
    original.write_bytes(payload)
    done = run("done", PLAN_ID, "1.1", "--org", "СОШ № 1", "--evidence", str(original),
               "--today", "2024-08-20")
    assert done.exit_code == 0, done.stderr
    entry = json.loads(run("history", PLAN_ID, "--format", "json").stdout)[0]
    sha = entry["evidence"]["sha256"]

    table = run("history", PLAN_ID, COLUMNS="200")
    assert "Приказ № 5 о наставничестве.pdf" in table.stdout
    assert sha[:12] not in table.stdout

    out = tmp_path / "downloads"
    out.mkdir()
    got = run("evidence", "get", str(entry["id"]), "-o", str(out))
    assert got.exit_code == 0, got.stderr
    assert (out / original.name).read_bytes() == payload
    assert [p.name for p in out.iterdir()] == [original.name]

    # By the SHA-256 (or its start), to a path of one's choosing.
    renamed = tmp_path / "copy.pdf"
    by_sha = run("evidence", "get", sha[:10], "-o", str(renamed))
    assert by_sha.exit_code == 0, by_sha.stderr
    assert renamed.read_bytes() == payload

    # Never over an existing file.
    again = run("evidence", "get", str(entry["id"]), "-o", str(out))
    assert again.exit_code == 1 and "уже есть" in again.stderr
    assert (out / original.name).read_bytes() == payload


def test_evidence_get_explains_what_it_wants(run: Run, loaded: Path) -> None:
    done = run("done", PLAN_ID, "1.1", "--org", "school-2", "--url", "https://s2.example/p",
               "--today", "2024-08-20")
    assert done.exit_code == 0, done.stderr
    link_only = run("evidence", "get", "1")
    assert link_only.exit_code == 1 and "нет файла-доказательства (только ссылка)" in link_only.stderr
    missing = run("evidence", "get", "99")
    assert missing.exit_code == 1 and "roadmap history" in missing.stderr
    nonsense = run("evidence", "get", "приказ")
    assert nonsense.exit_code == 2 and "номер отметки" in nonsense.stderr


def test_an_empty_evidence_file_gets_a_warning(run: Run, loaded: Path, tmp_path: Path) -> None:
    empty = tmp_path / "скан.pdf"
    empty.write_bytes(b"")
    done = run("done", PLAN_ID, "1.1", "--org", "school-1", "--evidence", str(empty),
               "--today", "2024-08-20")
    assert done.exit_code == 0, done.stderr
    assert f"Внимание: файл {empty} пустой (0 байт)" in done.stderr
    full = tmp_path / "приказ.pdf"
    full.write_bytes(b"%PDF")
    other = run("done", PLAN_ID, "1.1", "--org", "school-2", "--evidence", str(full),
                "--today", "2024-08-20")
    assert other.exit_code == 0 and "Внимание" not in other.stderr
