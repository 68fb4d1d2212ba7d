#!/usr/bin/env bash
# Mutation testing (mutmut) of the modules where a silent bug hurts most:
# a one-line change to the code that no test notices is a test to write.
#
#   bash scripts/mutation.sh                      every module below
#   bash scripts/mutation.sh notifications/mailer.py roadmap/status.py
#   MUTATION_BUDGET=600 bash scripts/mutation.sh  seconds per module (default 1800)
#   MUTATION_DIFFS=1 bash scripts/mutation.sh     also print each survivor's diff
#   MUTATION_JOBS=2 bash scripts/mutation.sh      mutants run in parallel (default 1)
#
# Each module is mutated in a scratch copy of the tracked files (the work
# tree is never touched), against the tests that exercise it; a module that
# runs out of its budget reports the mutants it did not reach. Prints, per
# module and in total: killed / checked, the score, and the surviving
# mutants by name (`mutmut show NAME` in the scratch copy shows one).
# Survivors that cannot be killed (equivalent mutants) are listed with the
# reason in docs/testing.md; the score is given with and without them.
#
# Not part of CI: a whole run takes hours on a small machine. Needs the
# venv of scripts/test.sh (mutmut is in the `test` extra).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
MUTMUT="$REPO/.venv/bin/mutmut"
BUDGET=${MUTATION_BUDGET:-1800}
[ -x "$MUTMUT" ] || source scripts/_venv.sh "[test,bench]"

# module → the tests that exercise it
declare -A TESTS=(
    [notifications/mailer.py]="tests/reminders/test_smtp.py tests/reminders/test_remind.py"
    [notifications/outbox.py]="tests/reminders tests/indicators/test_digest.py tests/cli/test_russian_errors.py tests/scale/test_migration.py"
    [notifications/digest.py]="tests/reminders/test_digest.py tests/reminders/test_digest_text.py tests/reminders/test_mime.py"
    [roadmap/status.py]="tests/test_status.py tests/tracking tests/scale/test_sweep_counts.py tests/scale/test_sweep_plan.py"
    [roadmap/deadlines/expand.py]="tests/deadlines"
    [roadmap/evidence.py]="tests/test_evidence.py tests/tracking/test_evidence.py tests/tracking/test_evidence_get.py tests/tracking/test_evidence_hostile.py tests/cli/test_report_done.py tests/indicators/test_bad_values.py tests/web/test_pages.py"
    [roadmap/tracking.py]="tests/test_status.py tests/tracking tests/cli tests/report tests/indicators tests/web/test_pages.py tests/web/test_access.py tests/scale/test_done_at.py"
)
ORDER=(notifications/mailer.py notifications/outbox.py notifications/digest.py
       roadmap/status.py roadmap/deadlines/expand.py roadmap/evidence.py roadmap/tracking.py)
if [ $# -gt 0 ]; then ORDER=("$@"); fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/roadmap-mutation.XXXXXX")
echo "scratch copies in $SCRATCH (budget ${BUDGET}s per module)"
RESULTS="$SCRATCH/results.tsv"
: >"$RESULTS"

for module in "${ORDER[@]}"; do
    tests=${TESTS[$module]:-}
    [ -n "$tests" ] || { echo "no tests known for $module (choose from: ${!TESTS[*]})" >&2; exit 2; }
    work="$SCRATCH/$(echo "$module" | tr '/.' '__')"
    mkdir -p "$work"
    git ls-files -z | (cd "$REPO" && xargs -0 cp --parents -t "$work")
    {
        echo
        echo "[tool.mutmut]"
        echo "source_paths = [\"notifications\", \"roadmap\", \"scheduler\"]"
        echo "only_mutate = [\"$module\"]"
        printf 'pytest_add_cli_args_test_selection = [%s]\n' \
            "$(printf '"%s", ' $tests | sed 's/, $//')"
        echo 'pytest_add_cli_args = ["-q", "-p", "no:cacheprovider"]'
        echo 'also_copy = ["benchmarks", "plans"]  # read by the tests'
    } >>"$work/pyproject.toml"
    echo "== $module (tests: $tests)"
    started=$(date +%s)
    (cd "$work" && timeout "$BUDGET" "$MUTMUT" run --max-children "${MUTATION_JOBS:-1}" \
        >"$work/run.log" 2>&1) || true
    echo "   ran $(( $(date +%s) - started ))s"
    (cd "$work" && "$MUTMUT" results --all true) | sed 's/^ *//' >"$work/results.txt" || true
    while IFS= read -r line; do
        printf '%s\t%s\n' "$module" "$line" >>"$RESULTS"
    done <"$work/results.txt"
    if [ "${MUTATION_DIFFS:-0}" = 1 ]; then
        grep -E ': (survived|no tests)$' "$work/results.txt" | cut -d: -f1 | while read -r name; do
            (cd "$work" && "$MUTMUT" show "$name") || true
        done
    fi
done

python3 - "$RESULTS" docs/testing.md <<'EOF'
"""Score per module and in total; equivalents: the names listed under
«### Equivalent mutants» in docs/testing.md."""
import re
import sys
from collections import defaultdict
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
NOT_CHECKED = {"not checked", "skipped"}
docs = Path(sys.argv[2])
text = docs.read_text("utf-8") if docs.exists() else ""
# Only the section «### Equivalent mutants …», up to the next heading.
section = re.search(r"^### Equivalent mutants.*?$(.*?)(?=^#)", text + "\n#", re.M | re.S)
equivalent = set(re.findall(r"`([\w.]+__mutmut_\d+)`", section.group(1))) if section else set()

by_module: dict[str, list[tuple[str, str]]] = defaultdict(list)
for line in Path(sys.argv[1]).read_text("utf-8").splitlines():
    module, _, rest = line.partition("\t")
    name, _, status = rest.rpartition(": ")
    if name:
        by_module[module].append((name, status))

def score(rows):
    checked = [(n, s) for n, s in rows if s not in NOT_CHECKED]
    killed = sum(s in KILLED for _n, s in checked)
    alive = [n for n, s in checked if s not in KILLED]
    live = [n for n in alive if n not in equivalent]
    pending = len(rows) - len(checked)
    return killed, len(checked), alive, live, pending

def pct(a, b):
    return f"{100 * a / b:.1f} %" if b else "—"

total = []
for module, rows in by_module.items():
    killed, checked, alive, live, pending = score(rows)
    total += rows
    print(f"\n{module}: killed {killed} of {checked} checked = {pct(killed, checked)}; "
          f"without the {len(alive) - len(live)} documented equivalents "
          f"{pct(killed, checked - (len(alive) - len(live)))}"
          + (f"; {pending} not reached in the budget" if pending else ""))
    for name in alive:
        print(f"  survived: {name}" + ("  (equivalent: docs/testing.md)" if name in equivalent else ""))
killed, checked, alive, live, pending = score(total)
print(f"\nTOTAL: killed {killed} of {checked} checked = {pct(killed, checked)}; "
      f"without documented equivalents {pct(killed, checked - (len(alive) - len(live)))}"
      + (f"; {pending} not reached" if pending else ""))
EOF
