"""Speed of tracking and of the coordinator's report on a city-sized plan.

The Irkutsk city plan (``plans/irkutsk-city-2023-2026.yaml``) fanned out to
a generated register of 200 organisations, loaded into a temporary SQLite
file; about 30 % of the occurrences due before «today» are marked done.
Then, for a fixed today (2025-03-01), it times:

- ``status``: :func:`roadmap.tracking.status_rows` for the plan;
- ``report``: :func:`roadmap.report.build_report` plus rendering it as a
  table and as HTML.

Target: under 1 s each. Run: ``.venv/bin/python benchmarks/tracking.py
[--orgs N] [--rounds N] [--keep DIR]``; profile with
``.venv/bin/python -m cProfile -s cumtime benchmarks/tracking.py``.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from roadmap.app import Clock
from roadmap.plans import read_catalog
from roadmap.report import build_report
from roadmap.report_formats import render
from roadmap.storage.db import open_engine, session_factory, write_session
from roadmap.storage.repository import load_catalog, occurrences_of, record_completion
from roadmap.tracking import StatusFilter, status_rows

ROOT = Path(__file__).resolve().parents[1]
PLAN_FILE = ROOT / "plans" / "irkutsk-city-2023-2026.yaml"
PLAN_ID = "irkutsk-city-2023-2026"
PARENT_FILE = ROOT / "plans" / "irkutsk-oblast-2020-2024.yaml"
REGISTER_ID = "bench-irkutsk-city"
TODAY = date(2025, 3, 1)
NOW = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
DONE_SHARE = 0.3


def write_inputs(folder: Path, orgs: int) -> Path:
    """The register of ``orgs`` organisations and a copy of the plan bound to it."""
    plans = folder / "plans"
    (plans / "orgs").mkdir(parents=True)
    lines = [
        "kind: register",
        f"id: {REGISTER_ID}",
        "title: Образовательные организации (сгенерировано для замера)",
        "example: true",
        "organisations:",
    ]
    for n in range(1, orgs + 1):
        lines += [
            f"  - id: school-{n}",
            f'    name: "МБОУ СОШ № {n} (пример)"',
            f"    curator: {{name: Куратор {n}, email: curator@school-{n}.example.org}}",
        ]
    (plans / "orgs" / f"{REGISTER_ID}.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    text = PLAN_FILE.read_text(encoding="utf-8")
    text, bound = re.subn(r"(?m)^(\s+register:) irkutsk-city$", rf"\1 {REGISTER_ID}", text)
    assert bound == 1, "the plan's «oo» party should name one register"
    (plans / PLAN_FILE.name).write_text(text, encoding="utf-8")
    # the city plan names the oblast plan as its parent: it must be there too
    (plans / PARENT_FILE.name).write_text(PARENT_FILE.read_text(encoding="utf-8"), "utf-8")
    return plans


def timed(func: Callable[[], Any], rounds: int) -> tuple[float, float, float, Any]:
    """(best, median) wall seconds and best CPU seconds over ``rounds``
    calls, and the last result. CPU time is what to compare on a busy machine."""
    walls, cpus = [], []
    result = None
    for _ in range(rounds):
        w0, c0 = time.perf_counter(), time.process_time()
        result = func()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), statistics.median(walls), min(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build in this (new) directory and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="roadmap-bench-") as scratch:
        folder = args.keep or Path(scratch)
        plans = write_inputs(folder, args.orgs)
        engine = open_engine(f"sqlite:///{folder / 'roadmap.db'}", data_dir=folder)
        sessions = session_factory(engine)
        clock = Clock(fixed_today=TODAY)

        t0 = time.perf_counter()
        with write_session(sessions) as session:
            load_catalog(session, read_catalog([plans]), NOW)
        load_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with write_session(sessions) as session:
            refs = occurrences_of(session, PLAN_ID)
            past = [r for r in refs if r.due is not None and r.due < TODAY]
            done = random.Random(2025).sample(past, round(len(past) * DONE_SHARE))
            for ref in done:
                record_completion(session, ref.id, by="bench", at=NOW)
        mark_s = time.perf_counter() - t0
        print(
            f"setup: {args.orgs} organisations, {len(refs)} occurrences "
            f"({len(past)} due before {TODAY}, {len(done)} marked done); "
            f"load {load_s:.2f} s, marking {mark_s:.2f} s"
        )

        def status() -> Any:
            with sessions() as session:
                return status_rows(session, clock.today, StatusFilter(plan=PLAN_ID))

        def report() -> Any:
            with sessions() as session:
                built = build_report(session, clock.today, PLAN_ID, 14)
            table = render(built, "table", width=120)
            page = render(built, "html")
            return built, len(table), len(page)

        best, median, cpu, rows = timed(status, args.rounds)
        print(
            f"status: best {best:.3f} s, median {median:.3f} s, cpu {cpu:.3f} s — "
            f"{len(rows)} occurrences classified"
        )
        best, median, cpu, (built, table_chars, html_chars) = timed(report, args.rounds)
        print(
            f"report: best {best:.3f} s, median {median:.3f} s, cpu {cpu:.3f} s — "
            f"{built.rows} occurrences read, {built.occurrences} current counted, "
            f"{len(built.cells)} cells ({len(built.tasks)} tasks × {len(built.units)} units); "
            f"table {table_chars} chars, html {html_chars} chars"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
