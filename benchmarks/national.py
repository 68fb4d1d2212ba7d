"""A national-size installation: load, the morning sweep, a coordinator's day.

Generates a synthetic country — regions (each in one of Russia's time
zones), municipalities, ~25 organisations per municipality, and for each
municipality three road maps made from the seed plans
(``irkutsk-city-2023-2026``, ``glazov-2022-2024``, ``dzerzhinsky-2022-2023``:
2023–2026, 2022–2024, 2022–2023) bound to its own register, with their own
ids and contact addresses. At ``full`` scale that is 85 regions, 2,000
municipalities, 50,000 organisations, 6,000 plans and about 5.8 million
occurrences.

Then it times, on SQLite (default: a temporary file) or PostgreSQL
(``--db-url postgresql+psycopg://…``, an empty database of its own):

- ``load``: every municipality through :func:`load_catalog`, one unit of
  work each (bounded memory), then ``ANALYZE``;
- ``mark``: 60 % of the occurrences due before «today» are done — set-based,
  one ``UPDATE`` of ``done_at``/``done_by`` and one ``INSERT … SELECT`` of
  their completion rows (what ``record_completion`` would have written one
  by one); the choice is ``(id × 2654435761) mod 1000 < 600``, a fixed
  spread over every plan, task and organisation;
- ``sweep``: for «today», the status counts of every occurrence
  (:func:`roadmap.sweep.sweep_counts`: from each plan's snapshot of the
  day before when it has one, counted afresh otherwise) and the outbox fill for every plan
  (:func:`notifications.outbox.build_outbox`, the path of ``roadmap remind``
  and of the daemon): who gets a digest or an escalation is decided in the
  database (:mod:`notifications.recipients`) and one ``pending`` row per
  message is stored; the messages are rendered by the sender;
- ``render``: what the sender adds per message — a random sample of the
  day's rows rendered as the sender renders them
  (:func:`notifications.outbox.render_for`, in the sender's batches): the
  median time a message, and the sizes (median, p90) of curator digests,
  party digests and escalations;
- ``full scan``: every occurrence's sweep columns read once, in the same
  run: the day-1 sweep (counts + fill) is printed as a multiple of it;
- ``changes``: during the day 1,000 open occurrences are marked done
  through :func:`record_completion` (the real path: completion row and
  ``done_at`` in one unit of work);
- ``sweep 2``: the same for the next day;
- ``report`` and ``feed``: one municipal coordinator's report
  (:func:`roadmap.report.build_report`, rendered as a table and HTML) and
  calendar feed (:func:`notifications.feeds.calendar_for`, plan scope);
- peak memory (``ru_maxrss``).

``--explain`` prints the query plans of the sweep queries (``EXPLAIN QUERY
PLAN`` on SQLite, ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL).

Run: ``.venv/bin/python benchmarks/national.py --scale small [--db-url URL]
[--keep DIR] [--explain] [--json FILE]``. CI runs ``tiny`` as a smoke test
(``tests/scale``).
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Engine, cast, insert, literal, select, text, update
from sqlalchemy.orm import Session

from notifications.feeds import calendar_for
from notifications.outbox import (
    RetryPolicy,
    build_outbox,
    digest_options,
    envelope_of,
    render_for,
)
from notifications.recipients import route_query
from roadmap.app import App, Clock
from roadmap.deadlines.api import interpret
from roadmap.feeds import Scope
from roadmap.model import Contact, Organisation, Plan, Register
from roadmap.plans import read_catalog
from roadmap.report import build_report
from roadmap.report_formats import render
from roadmap.settings import load_settings
from roadmap.storage.db import write_session
from roadmap.storage.repository import load_catalog, record_completion
from roadmap.storage.tables import DONE, CompletionRow, OccurrenceRow, OutboxRow, PlanRow
from roadmap.sweep import open_items_query, status_query, sweep_counts

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ("irkutsk-city-2023-2026", "glazov-2022-2024", "dzerzhinsky-2022-2023")
TODAY = date(2024, 11, 15)
NOW = datetime(2024, 11, 14, 21, 0, tzinfo=UTC)  # 05:00 in Irkutsk on TODAY
DONE_PER_MILLE = 600
CHANGES = 1_000
RENDER_SAMPLE = 200  # messages rendered to measure the sender's cost
RENDER_SEED = 17
ZONES = (
    "Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg",
    "Asia/Omsk", "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk",
    "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka",
)


@dataclass(frozen=True)
class Scale:
    regions: int
    municipalities: int
    orgs: int  # per municipality


SCALES = {
    "tiny": Scale(2, 4, 5),
    "small": Scale(5, 40, 25),
    "medium": Scale(20, 400, 25),
    "full": Scale(85, 2_000, 25),
}


@dataclass
class Results:
    scale: str
    backend: str
    regions: int = 0
    municipalities: int = 0
    organisations: int = 0
    plans: int = 0
    occurrences: int = 0
    done: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # day 1 totals by status
    counts2: dict[str, int] = field(default_factory=dict)  # day 2
    count_costs: list[dict[str, int]] = field(default_factory=list)  # per sweep
    digests: int = 0  # outbox rows added (digests and escalations), day 1
    digests2: int = 0
    skipped: int = 0  # recipients without a usable address, day 1
    rendered: int = 0  # sample rendered as the sender does
    render_ms: float = 0.0  # median per message
    sizes: dict[str, dict[str, float]] = field(default_factory=dict)  # by kind: n, median, p90
    scan_seconds: float = 0.0  # one full scan of the occurrences, same run
    report_rows: int = 0
    feed_bytes: int = 0
    peak_mb: float = 0.0
    explain: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- the country


@dataclass(frozen=True)
class Country:
    """What :func:`load_catalog` needs (a :class:`~roadmap.plans.Catalog` shape)."""

    plans: Mapping[str, Plan]
    registers: Mapping[str, Register]


def templates() -> dict[str, Plan]:
    files = [ROOT / "plans" / f"{code}.yaml" for code in TEMPLATES]
    catalog = read_catalog([*files, ROOT / "plans" / "orgs"])
    return {code: catalog.plans[code] for code in TEMPLATES}


def _mail(contact: Contact | None, domain: str) -> Contact | None:
    if contact is None or contact.email is None:
        return contact
    return Contact(contact.name, f"{contact.email.split('@')[0]}@{domain}")


def municipality(
    number: int, region: int, orgs: int, zone: str, plans: Mapping[str, Plan]
) -> Country:
    """Municipality ``number``: its register and its three road maps."""
    code = f"m{number:04d}"
    domain = f"{code}.r{region:02d}.example.org"
    first = number * orgs
    register = Register(
        f"{code}-oo",
        f"Образовательные организации, муниципалитет {number} (сгенерировано)",
        tuple(
            Organisation(
                f"school-{n}",
                f"МБОУ СОШ № {n} (муниципалитет {number}, пример)",
                curator=Contact(f"Куратор {first + n}", f"curator@o{first + n:06d}.example.org"),
            )
            for n in range(1, orgs + 1)
        ),
        example=True,
    )
    made: dict[str, Plan] = {}
    for template in plans.values():
        plan_id = f"{template.id}--{code}"
        parties = tuple(
            replace(
                p,
                contacts=tuple(c for c in (_mail(c, domain) for c in p.contacts) if c),
                escalation=_mail(p.escalation, domain),
                register=register.id if p.register else None,
            )
            for p in template.parties
        )
        made[plan_id] = replace(
            template,
            id=plan_id,
            title=f"{template.title} (муниципалитет {number}, регион {region})",
            timezone=zone,
            parties=parties,
            parent=f"region-{region:02d}",
            escalation=_mail(template.escalation, domain),
            source=None,
        )
    return Country(made, {register.id: register})


def country(scale: Scale) -> Iterator[tuple[int, str, Country]]:
    """(region, zone, municipality) for each municipality, regions in turn."""
    plans = templates()
    for number in range(1, scale.municipalities + 1):
        region = (number - 1) * scale.regions // scale.municipalities + 1
        zone = ZONES[(region - 1) % len(ZONES)]
        yield region, zone, municipality(number, region, scale.orgs, zone, plans)


# ---------------------------------------------------------------- phases


def timed(results: Results, label: str, log: Callable[[str], None]) -> Any:
    """A context manager adding the wall time of its block to ``results``."""

    class _Timer:
        def __enter__(self) -> None:
            self.t0 = time.perf_counter()

        def __exit__(self, *exc: object) -> None:
            took = time.perf_counter() - self.t0
            results.seconds[label] = results.seconds.get(label, 0.0) + took
            log(f"  {label}: {took:.2f} s")

    return _Timer()


def load(app: App, scale: Scale, results: Results, log: Callable[[str], None]) -> None:
    read = functools.lru_cache(maxsize=None)(interpret)  # 2,000 copies of the same phrases
    t0 = time.perf_counter()
    for n, (_region, _zone, part) in enumerate(country(scale), start=1):
        with write_session(app.sessions) as session:
            load_catalog(session, part, NOW, read)
        if n % max(scale.municipalities // 10, 1) == 0:
            log(f"  loaded {n}/{scale.municipalities} municipalities, "
                f"{time.perf_counter() - t0:.0f} s")
    analyze(app.engine)


def analyze(engine: Engine) -> None:
    """Planner statistics after a bulk change (``roadmap`` leaves this to
    the operator: ``ANALYZE`` / ``PRAGMA optimize``; PostgreSQL's autovacuum
    does it by itself, later)."""
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


def mark_done(app: App, results: Results) -> None:
    """60 % of the past occurrences done, set-based (see the module doc)."""
    chosen = (
        OccurrenceRow.due < TODAY,
        (cast(OccurrenceRow.id, BigInteger) * literal(2654435761, BigInteger)) % 1000
        < DONE_PER_MILLE,
        OccurrenceRow.withdrawn_at.is_(None),
    )
    with write_session(app.sessions) as session:
        session.execute(
            update(OccurrenceRow).where(*chosen).values(done_at=NOW, done_by="bench"),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            insert(CompletionRow).from_select(
                ["occurrence_id", "action", "at", "by"],
                select(
                    OccurrenceRow.id,
                    text(f"'{DONE}'"),
                    OccurrenceRow.done_at,
                    OccurrenceRow.done_by,
                ).where(OccurrenceRow.done_at.is_not(None)),
            )
        )
    analyze(app.engine)
    with app.sessions() as session:
        results.done = session.scalar(select(text("count(*)")).select_from(CompletionRow)) or 0


def changes(app: App, day: date, count: int) -> int:
    """``count`` open, due occurrences marked done through the real path."""
    at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=4)
    with write_session(app.sessions) as session:
        ids = list(
            session.scalars(
                select(OccurrenceRow.id)
                .where(
                    OccurrenceRow.done_at.is_(None),
                    OccurrenceRow.withdrawn_at.is_(None),
                    OccurrenceRow.due <= day,
                )
                .order_by(OccurrenceRow.due.desc())
                .limit(count)
            )
        )
        for occurrence_id in ids:
            record_completion(session, occurrence_id, "curator", at, url="https://example.org/r")
    return len(ids)


def sweep(
    app: App, day: date, results: Results, suffix: str, log: Callable[[str], None],
) -> tuple[dict[str, int], int, int]:
    """Counts of every occurrence, then the outbox fill for every plan;
    returns (totals by status, messages added, recipients skipped)."""
    today_for = lambda _zone: day  # noqa: E731
    lookahead = int(app.settings["lookahead_days"])
    with timed(results, f"sweep{suffix}: status counts", log), \
            write_session(app.sessions) as session:
        counts, cost = sweep_counts(session, today_for, due_soon_days=lookahead)
    results.count_costs.append(asdict(cost))
    totals: dict[str, int] = {}
    for by_status in counts.values():
        for state, n in by_status.items():
            totals[state.value] = totals.get(state.value, 0) + n
    with timed(results, f"sweep{suffix}: outbox fill", log):
        build = build_outbox(app, today=day)
    return totals, len(build.added), len(build.skipped)


def render_sample(app: App, day: date, results: Results, log: Callable[[str], None]) -> None:
    """Render a random sample (fixed seed) of :data:`RENDER_SAMPLE` rows of
    ``day`` as the sender does — in batches of :attr:`RetryPolicy.batch`
    rows sharing one session — timing each message and keeping its size."""
    options = digest_options(app)
    batch = RetryPolicy().batch
    with app.sessions() as session:
        ids = session.scalars(
            select(OutboxRow.id).where(OutboxRow.local_date == day, OutboxRow.recipe.is_not(None))
        ).all()
        picked = sorted(random.Random(RENDER_SEED).sample(ids, min(RENDER_SAMPLE, len(ids))))
        rows = session.scalars(select(OutboxRow).where(OutboxRow.id.in_(picked))).all()
    took: list[float] = []
    sizes: dict[str, list[int]] = {}
    with timed(results, f"render {len(rows)} messages (sender side)", log):
        for i in range(0, len(rows), batch):
            directories: dict[Any, Any] = {}
            with app.sessions() as session:
                for row in rows[i:i + batch]:
                    envelope = envelope_of(row)
                    t0 = time.perf_counter()
                    made = render_for(session, envelope, options, NOW, directories)
                    took.append(time.perf_counter() - t0)
                    if made is not None:
                        sizes.setdefault(_kind(row.kind, envelope.routes), []).append(
                            len(made.message))
    results.rendered = sum(len(v) for v in sizes.values())
    results.render_ms = 1000 * statistics.median(took) if took else 0.0
    results.sizes = {
        kind: {"n": len(v), "median": statistics.median(v), "p90": _p90(v)}
        for kind, v in sorted(sizes.items())
    }


def _kind(kind: str, routes: Any) -> str:
    """escalation, curator digest (every route an organisation's) or party digest."""
    if kind != "digest":
        return kind
    return "curator digest" if all(org is not None for _p, org in routes) else "party digest"


def _p90(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def full_scan(app: App, results: Results, log: Callable[[str], None]) -> None:
    """One full scan of the occurrences table, in this run: every row's
    columns the sweep reads, fetched into Python — the yardstick of the sweep."""
    columns = (OccurrenceRow.plan_id, OccurrenceRow.party_id, OccurrenceRow.organisation_id,
               OccurrenceRow.kind, OccurrenceRow.due, OccurrenceRow.done_at,
               OccurrenceRow.withdrawn_at)
    t0 = time.perf_counter()
    with app.engine.connect() as connection:
        n = len(connection.execute(select(*columns)).all())
    results.scan_seconds = time.perf_counter() - t0
    log(f"  full scan of occurrences: {n} rows, {results.scan_seconds:.2f} s")


def coordinator(app: App, plan: str, results: Results, log: Callable[[str], None]) -> None:
    with timed(results, "report", log), app.sessions() as session:
        built = build_report(session, app.clock.today, plan, 14)
        render(built, "table", width=120)
        render(built, "html")
    results.report_rows = built.rows
    with timed(results, "feed", log):
        body = calendar_for(app, Scope("plan", plan))
    results.feed_bytes = len(body)


# ---------------------------------------------------------------- query plans


def explain(session: Session, query: Any) -> str:
    """The plan of ``query``: ``EXPLAIN QUERY PLAN`` (SQLite) or
    ``EXPLAIN (ANALYZE, BUFFERS)`` (PostgreSQL)."""
    bind = session.get_bind()
    sql = str(query.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True}))
    if bind.dialect.name == "sqlite":
        rows = session.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
        depth: dict[int, int] = {0: 0}
        lines = []
        for node, parent, _unused, detail in rows:
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * (depth[node] - 1) + str(detail))
        return "\n".join(lines)
    rows = session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).all()
    return "\n".join(r[0] for r in rows)


def plans_of_sweep(app: App, day: date) -> dict[str, str]:
    options = digest_options(app)
    with app.sessions() as session:
        party, org = session.execute(
            select(OccurrenceRow.party_id, OccurrenceRow.organisation_id)
            .where(OccurrenceRow.organisation_id.is_not(None)).limit(1)
        ).one()
        routes = open_items_query(day, 14).where(
            OccurrenceRow.party_id == party, OccurrenceRow.organisation_id == org
        )
        return {
            "status counts": explain(session, status_query(day, 14)),
            "who gets mail: (party, school) routes": explain(
                session, route_query(day, options, schools=True)
            ),
            "who gets mail: parties' own routes": explain(
                session, route_query(day, options, schools=False)
            ),
            "one recipient's items (rendering)": explain(session, routes),
        }


# ---------------------------------------------------------------- the run


def make_app(db_url: str, folder: Path, today: date) -> App:
    settings = load_settings(
        None,
        environ={
            "ROADMAP_DATA_DIR": str(folder),
            "ROADMAP_DB_URL": db_url,
            "ROADMAP_SMTP_FROM": "Дорожная карта <roadmap@example.org>",
        },
    )
    return App(settings=settings, clock=Clock(now=lambda: NOW, fixed_today=today))


def run(
    scale_name: str,
    db_url: str,
    folder: Path,
    *,
    with_explain: bool = False,
    log: Callable[[str], None] = lambda _line: None,
) -> Results:
    """The whole benchmark at ``scale_name`` against an empty database."""
    scale = SCALES[scale_name]
    app = make_app(db_url, folder, TODAY)
    results = Results(scale_name, app.engine.dialect.name)
    try:
        results.regions, results.municipalities = scale.regions, scale.municipalities
        results.organisations = scale.municipalities * scale.orgs
        log(f"{scale_name}: {scale.regions} regions, {scale.municipalities} municipalities, "
            f"{results.organisations} organisations on {results.backend}")
        with timed(results, "load", log):
            load(app, scale, results, log)
        with app.sessions() as session:
            results.plans = session.scalar(select(text("count(*)")).select_from(PlanRow)) or 0
            results.occurrences = (
                session.scalar(select(text("count(*)")).select_from(OccurrenceRow)) or 0
            )
        log(f"  {results.plans} plans, {results.occurrences} occurrences")
        with timed(results, "mark 60% of past done", log):
            mark_done(app, results)
        if with_explain:
            results.explain = plans_of_sweep(app, TODAY)
        full_scan(app, results, log)
        totals, added, skipped = sweep(app, TODAY, results, "", log)
        results.counts, results.digests, results.skipped = totals, added, skipped
        render_sample(app, TODAY, results, log)
        with timed(results, f"changes: {CHANGES} done via record_completion", log):
            changes(app, TODAY, CHANGES)
        app2 = make_app(db_url, folder, TODAY + timedelta(days=1))
        try:
            totals, added, _skipped = sweep(app2, TODAY + timedelta(days=1), results, " 2", log)
        finally:
            app2.close()
        results.counts2, results.digests2 = totals, added
        coordinator(app, f"{TEMPLATES[0]}--m0001", results, log)
        results.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return results
    finally:
        app.close()


def table(results: Results) -> str:
    r = results
    day1 = r.seconds.get("sweep: status counts", 0.0) + r.seconds.get("sweep: outbox fill", 0.0)
    lines = [
        f"scale {r.scale} on {r.backend}: {r.regions} regions, {r.municipalities} "
        f"municipalities, {r.organisations} organisations, {r.plans} plans, "
        f"{r.occurrences} occurrences, {r.done} done",
        f"{'phase':<48} {'seconds':>9}",
    ]
    lines += [f"{label:<48} {took:>9.2f}" for label, took in r.seconds.items()]
    lines += [
        f"day 1 counts: {json.dumps(r.counts, sort_keys=True)}",
        *(f"counts, sweep {n}: {json.dumps(c)}" for n, c in enumerate(r.count_costs, 1)),
        f"day 1 outbox fill (every plan): {r.digests} messages, {r.skipped} recipients "
        f"without a usable address",
        f"sender side: {r.rendered} of a random sample rendered, median {r.render_ms:.1f} ms "
        f"a message",
        *(f"  {kind}: {v['n']:.0f}, median {v['median'] / 1024:.1f} KiB, "
          f"p90 {v['p90'] / 1024:.1f} KiB" for kind, v in r.sizes.items()),
        f"day 1 sweep (counts + fill) {day1:.2f} s = {day1 / max(r.scan_seconds, 1e-9):.1f}x "
        f"one full scan of the occurrences ({r.scan_seconds:.2f} s)",
        f"day 2 counts: {json.dumps(r.counts2, sort_keys=True)}",
        f"day 2 outbox fill: {r.digests2} messages",
        f"report: {r.report_rows} rows; feed: {r.feed_bytes} bytes",
        f"peak memory (ru_maxrss): {r.peak_mb:.0f} MB",
    ]
    for label, plan in r.explain.items():
        lines += [f"-- plan: {label}", plan]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")
    parser.add_argument("--db-url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--keep", type=Path, help="work in this (new) directory and keep it")
    parser.add_argument("--explain", action="store_true", help="print the sweep's query plans")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    def log(line: str) -> None:
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="roadmap-national-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        url = args.db_url or f"sqlite:///{folder / 'roadmap.db'}"
        results = run(args.scale, url, folder, with_explain=args.explain, log=log)
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    sys.exit(main())
