"""Fixed-seed fuzzers of the hostile suite, run as ``python -m tests.hostile.fuzz
KIND FOLDER N`` inside a bounded child (:mod:`tests.hostile.bounded`).

Each drives the same core the command line calls over ``N`` hostile cases
and lets any exception escape (a traceback fails the test); it prints
``cases N`` when all are done.

- ``plans``: mutations of a valid plan (bytes flipped, YAML tokens spliced
  in, lines repeated, periods stretched) → :func:`roadmap.plans.check_paths`
  and, for a plan that validates, the expansion ``load`` stores;
- ``batch``: ``roadmap deadline --batch`` lines (broken JSON, deep nesting,
  surrogates, bad UTF-8, long lines) → every line answered, in order;
- ``pages``: copies of a loaded SQLite database with one page of random
  bytes, one page of zeros or 16 bytes flipped → the everyday commands
  end cleanly, and ``load`` refuses every copy that fails ``quick_check``
  and leaves it as it was.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
import sys
from pathlib import Path

from click.testing import CliRunner

from roadmap.cli import main
from roadmap.occurrences import occurrence_rows
from roadmap.plans import check_paths
from tests.test_validate import GOOD_PLAN, REGISTER

SEED = 18
TOKENS = [
    "&a ", "*a", "<<: *a", "!!python/object/apply:os.system ['id']", "\t", "\x00", "'", '"',
    "[" * 60, "{", "? ", "- ", ": ", "0001-01-01", "9999-12-31", "2024-02-30", "1e400",
    "-1", "99999999999999999999", "~", "null", "ежемесячно", "ежеквартально до 10 числа",
    "\u202e", "\ufeff", "%YAML 1.1\n", "---\n", "...\n", "\n" * 3,
]


def mutate(rng: random.Random, text: str) -> bytes:
    """One hostile variant of ``text``."""
    how = rng.randrange(5)
    if how == 0:  # random bytes flipped
        data = bytearray(text.encode("utf-8"))
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if how == 1:  # YAML tokens spliced in
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        return text.encode("utf-8")
    lines = text.splitlines(keepends=True)
    if how == 2:  # a line or block repeated
        at = rng.randrange(len(lines))
        block = lines[at : at + rng.randint(1, 6)]
        return "".join(lines[:at] + block * rng.randint(2, 400) + lines[at:]).encode("utf-8")
    if how == 3:  # the period stretched, the deadline recurring
        start, end = rng.choice(["0001", "1900", "2000", "2023"]), rng.choice(["2030", "2200", "9999"])
        return (
            text.replace("start: 2023", f"start: {start}")
            .replace("end: 2024", f"end: {end}")
            .replace("deadline: null", f"deadline: {rng.choice(TOKENS[-8:-5])}")
            .encode("utf-8")
        )
    return "".join(rng.sample(lines, len(lines))).encode("utf-8")  # lines shuffled


def fuzz_plans(folder: Path, n: int) -> None:
    rng = random.Random(SEED)
    (folder / "orgs").mkdir(parents=True, exist_ok=True)
    (folder / "orgs" / "town.yaml").write_text(REGISTER, encoding="utf-8")
    path = folder / "town-2023.yaml"
    for _ in range(n):
        path.write_bytes(mutate(rng, GOOD_PLAN))
        catalog, problems = check_paths([path])
        if any(p.severity == "error" for p in problems):
            continue
        for plan in catalog.plans.values():
            for _row in occurrence_rows(plan, catalog.registers):
                pass


BATCH_LINES: list[bytes] = [
    b"{", b"[]", b"null", b'"text"', b"\xff\xfe\xfd", b'{"text": 1}', b'{"text": "\\ud800"}',
    b'{"text": "x", "period": "0001-01-01..9999-12-31"}', b"[" * 100_000, b"{" * 5000,
    b'{"text": "' + b"a" * 70_000 + b'"}', b'{"text": "\\u0000", "period": 5}',
]
GOOD_LINE = {"text": "Ежегодно (май)", "period": "2023-01-01..2026-12-31"}


def fuzz_batch(folder: Path, n: int) -> None:
    rng = random.Random(SEED)
    lines: list[bytes] = []
    good = 0
    for _ in range(n):
        if rng.random() < 0.3:
            lines.append(json.dumps(GOOD_LINE, ensure_ascii=False).encode("utf-8"))
            good += 1
            continue
        line = bytearray(rng.choice(BATCH_LINES))
        for _ in range(rng.randint(0, 3)):
            if line:
                line[rng.randrange(len(line))] = rng.randrange(256)
        lines.append(bytes(line).replace(b"\n", b" ").replace(b"\r", b" ") or b"{")
    path = folder / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = CliRunner().invoke(main, ["--lang", "ru", "deadline", "--batch", str(path)],
                                catch_exceptions=False)
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    expected = [line for line in lines if line.strip()]
    assert len(answers) == len(expected), (len(answers), len(expected))
    assert sum("occurrences" in a for a in answers) >= good
    assert result.exit_code == (1 if len(answers) > good else 0)


PAGE = 4096
COMMANDS = [
    ["plans"], ["show", "town-2023"], ["status"], ["report", "town-2023"],
    ["history", "town-2023"], ["evidence", "verify"], ["ics", "--plan", "town-2023"],
    ["db", "check"],
]


def _run(data_dir: Path, *args: str) -> int:
    env = {"ROADMAP_DATA_DIR": str(data_dir), "ROADMAP_DB_URL": None, "ROADMAP_CONFIG": None}
    result = CliRunner().invoke(main, ["--lang", "ru", *args], env=env, catch_exceptions=False)
    return result.exit_code


def _damage(rng: random.Random, data: bytearray) -> None:
    page = rng.randrange(1, len(data) // PAGE)  # page 0 is the header: tested alone
    how = rng.randrange(3)
    if how == 0:
        data[page * PAGE : (page + 1) * PAGE] = rng.randbytes(PAGE)
    elif how == 1:
        data[page * PAGE : (page + 1) * PAGE] = bytes(PAGE)
    else:
        for _ in range(16):
            data[rng.randrange(len(data))] = rng.randrange(256)


def fuzz_pages(folder: Path, n: int) -> None:
    rng = random.Random(SEED)
    plans = folder / "plans"
    (plans / "orgs").mkdir(parents=True)
    (plans / "town-2023.yaml").write_text(GOOD_PLAN, encoding="utf-8")
    (plans / "orgs" / "town.yaml").write_text(REGISTER, encoding="utf-8")
    sound = folder / "sound"
    assert _run(sound, "load", str(plans)) == 0
    with sqlite3.connect(sound / "roadmap.db") as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pristine = bytearray((sound / "roadmap.db").read_bytes())
    refused = 0
    for case in range(n):
        data_dir = folder / f"copy-{case}"
        data_dir.mkdir()
        data = bytearray(pristine)
        _damage(rng, data)
        db = data_dir / "roadmap.db"
        db.write_bytes(data)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            connection.text_factory = bytes
            try:
                intact = connection.execute("PRAGMA quick_check").fetchall() == [(b"ok",)]
            except (sqlite3.DatabaseError, UnicodeDecodeError):  # the message, damaged too
                intact = False
        for args in COMMANDS:
            assert _run(data_dir, *args) in (0, 1), args
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        code = _run(data_dir, "load", str(plans))
        if not intact:
            assert code == 1, case
            assert hashlib.sha256(db.read_bytes()).hexdigest() == before, case
            refused += 1
        shutil.rmtree(data_dir)
    assert refused > n // 3, refused  # the damage is real, and refused


def main_(kind: str, folder: str, n: str) -> None:
    {"plans": fuzz_plans, "batch": fuzz_batch, "pages": fuzz_pages}[kind](Path(folder), int(n))
    sys.stdout.write(f"cases {n}\n")


if __name__ == "__main__":
    main_(*sys.argv[1:])
