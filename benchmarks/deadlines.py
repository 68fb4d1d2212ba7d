"""Speed and accuracy of the deadline engine on the 86 seed phrases, against dateparser.

Run: ``.venv/bin/python benchmarks/deadlines.py [--rounds N]``

Criterion for dateparser (it returns one datetime per phrase, so we are
generous): a case counts as right when the expected meaning has exactly one
occurrence and dateparser's date equals its ``due`` or its ``start``, or when
the expected meaning is on demand with no occurrences and dateparser returns
None. dateparser is timed twice: as most code calls it (``dateparser.parse(text)``,
which detects the language — the ~13 ms/phrase figure of the issue), and tuned
(``languages=["ru"]``, ``RELATIVE_BASE`` = the plan's first day, so a yearless
phrase resolves in the plan, not today). Accuracy is counted on the tuned call.
Ours counts as right only on an exact match of occurrences and on_demand.

The distinct-line figure is the one that matters for a national load: a
``--batch`` file whose lines are all distinct (the seed phrases, each line's
period end moved by a day), JSON in and out included, so the phrase cache
never hits; the readings of phrase texts seen earlier in the batch are reused.
"New phrases" forgets those readings too. Timings are the best of a few runs.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from roadmap.cli.deadline import batch_line
from roadmap.deadlines import Context, grammar, lexicon, meaning_to_json, recurrence
from roadmap.deadlines.api import _interpret_cached, interpret, interpret_uncached

CASES = json.loads((Path(__file__).parents[1] / "tests" / "data" / "cases.json").read_text("utf-8"))


def context_of(case: dict) -> Context:
    start, end = case["period"].split("..")
    return Context(date.fromisoformat(start), date.fromisoformat(end), case["school_years"])


def ours_right() -> int:
    right = 0
    for case in CASES:
        got = meaning_to_json(interpret_uncached(case["text"], context_of(case)))
        expect = case["expect"]
        right += (
            got["occurrences"] == expect["occurrences"] and got["on_demand"] == expect["on_demand"]
        )
    return right


def clear_memos() -> None:
    """Forget every memo of the engine (word lookups, readings, rrule expansions)."""
    recurrence._rrule_dues.cache_clear()
    grammar.parse_memo.cache_clear()
    lexicon.classify.cache_clear()
    lexicon.month_of.cache_clear()
    lexicon.exact_word.cache_clear()


def distinct_lines(rounds: int) -> list[str]:
    """A ``--batch`` file whose lines are all distinct, as a national load's
    are: the seed phrases repeated, each line's period end moved by a day."""
    lines = []
    for k in range(rounds):
        for case in CASES:
            start, end = case["period"].split("..")
            moved = date.fromisoformat(end) + timedelta(days=k + 1)
            request = {"text": case["text"], "period": f"{start}..{moved}"}
            request["school_years"] = case["school_years"]
            lines.append(json.dumps(request, ensure_ascii=False))
    return lines


def time_lines(lines: list[str], new_text: bool) -> float:
    """µs a line of ``deadline --batch`` in process, JSON in and out included.
    The phrase cache never hits (every line is distinct); ``new_text`` also
    forgets each reading, as if no phrase had been seen before."""
    best = float("inf")
    for _ in range(REPEATS):  # the best of a few runs: the machine is shared
        _interpret_cached.cache_clear()
        grammar.parse_memo.cache_clear()
        t0 = time.perf_counter()
        for line in lines:
            if new_text:
                grammar.parse_memo.cache_clear()
            result, _ok = batch_line(line.encode("utf-8"))
            json.dumps(result, ensure_ascii=False)
        best = min(best, time.perf_counter() - t0)
    return best / len(lines) * 1e6


REPEATS = 3


def time_cold(rounds: int) -> float:
    """No memo at all: every engine cache is cleared before each phrase."""
    work = [(c["text"], context_of(c)) for c in CASES]
    total = 0.0
    for _ in range(rounds):
        for text, ctx in work:
            clear_memos()
            t0 = time.perf_counter()
            interpret_uncached(text, ctx)
            total += time.perf_counter() - t0
    return total / (rounds * len(work)) * 1e6


def time_ours(rounds: int) -> tuple[float, float]:
    work = [(c["text"], context_of(c)) for c in CASES]
    for text, ctx in work:  # warm the regex and month caches
        interpret_uncached(text, ctx)
    t0 = time.perf_counter()
    for _ in range(rounds):
        for text, ctx in work:
            interpret_uncached(text, ctx)
    uncached = (time.perf_counter() - t0) / (rounds * len(work)) * 1e6
    _interpret_cached.cache_clear()
    t0 = time.perf_counter()
    for _ in range(rounds):
        for text, ctx in work:
            interpret(text, ctx)
    cached = (time.perf_counter() - t0) / (rounds * len(work)) * 1e6
    return uncached, cached


def dateparser_figures(rounds: int) -> tuple[float, float, int] | None:
    try:
        import dateparser
    except ImportError:
        return None
    parsers = []
    for case in CASES:
        ctx = context_of(case)
        base = datetime.combine(ctx.period_start, datetime.min.time())
        parsers.append((case, {"RELATIVE_BASE": base}))
    right = 0
    for case, settings in parsers:
        got = dateparser.parse(case["text"], languages=["ru"], settings=settings)
        occ = case["expect"]["occurrences"]
        if got is None:
            right += not occ and case["expect"]["on_demand"]
        elif len(occ) == 1:
            day = got.date().isoformat()
            right += day in (occ[0]["due"], occ[0]["start"])
    best = float("inf")
    for _ in range(rounds):  # the best round, as for ours
        t0 = time.perf_counter()
        for case, settings in parsers:
            dateparser.parse(case["text"], languages=["ru"], settings=settings)
        best = min(best, time.perf_counter() - t0)
    tuned = best / len(parsers) * 1e6
    t0 = time.perf_counter()
    for case in CASES:  # one round: the default call is slow
        dateparser.parse(case["text"])
    default = (time.perf_counter() - t0) / len(CASES) * 1e6
    return tuned, default, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=200, help="rounds over the seed phrases (ours)"
    )
    parser.add_argument(
        "--dp-rounds", type=int, default=3, help="rounds for dateparser (slow; the best counts)"
    )
    parser.add_argument(
        "--line-rounds", type=int, default=20, help="copies of the seed phrases in the batch"
    )
    args = parser.parse_args()
    lines = distinct_lines(args.line_rounds)
    distinct = time_lines(lines, new_text=False)
    new_text = time_lines(lines, new_text=True)
    cold = time_cold(max(1, args.rounds // 10))
    uncached, cached = time_ours(args.rounds)
    right = ours_right()
    print(f"seed phrases: {len(CASES)}")
    print(f"roadmap engine, cold (no memo at all):       {cold:8.1f} µs/phrase")
    print(
        f"roadmap engine, no phrase cache (warm memos): {uncached:8.1f} µs/phrase   right: {right}/{len(CASES)}"
    )
    print(f"roadmap engine, phrase cache (lru_cache):     {cached:8.2f} µs/phrase")
    print(f"deadline --batch, {len(lines)} distinct lines (JSON included): {distinct:8.1f} µs/line")
    print(f"  the same, every reading forgotten (new phrases): {new_text:8.1f} µs/line")
    figures = dateparser_figures(args.dp_rounds)
    if figures is None:
        print("dateparser is not importable (install the optional 'bench' extra); ours only.")
        return
    tuned, default, dp_right = figures
    print(f"dateparser, default call (language detection): {default:8.1f} µs/phrase")
    print(
        f"dateparser, tuned (languages=['ru']):         {tuned:8.1f} µs/phrase   right: {dp_right}/{len(CASES)} (generous criterion, see docstring)"
    )
    print(
        f"DISTINCT-LINE RATIO vs tuned dateparser: {tuned / distinct:.1f}×"
        f" (new phrases {tuned / new_text:.1f}×; target ≥ 10×)"
    )
    print(f"CACHED RATIO vs tuned dateparser:         {tuned / cached:.0f}×")
    print(
        f"speed ratio vs default call: no phrase cache {default / uncached:.0f}×, cold {default / cold:.0f}×"
    )
    print(
        f"speed ratio vs tuned call:   no phrase cache {tuned / uncached:.1f}×, cold {tuned / cold:.1f}×, cached {tuned / cached:.0f}×"
    )


if __name__ == "__main__":
    main()
