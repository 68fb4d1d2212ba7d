#!/usr/bin/env bash
# Set up a Python 3.11 venv (if missing), install roadmap with its test
# extras, then lint, type-check and run the whole test suite.
#
# A run of the whole suite (no test paths or -k given) measures branch
# coverage and fails below the floors (docs/testing.md): the whole code,
# and notifications/ with scheduler/, where a silent bug costs most.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" "[test,bench]"
COVERAGE_FLOOR=${COVERAGE_FLOOR:-92}
MAIL_COVERAGE_FLOOR=${MAIL_COVERAGE_FLOOR:-90}
.venv/bin/ruff check roadmap scheduler notifications tests benchmarks
.venv/bin/mypy
whole=yes
for arg in "$@"; do
    case $arg in -*) ;; *) whole=no ;; esac
done
if [ "$whole" = no ]; then
    exec .venv/bin/pytest "$@"
fi
rm -f .coverage .coverage.*
.venv/bin/pytest --cov --cov-report=term --cov-fail-under="$COVERAGE_FLOOR" "$@"
mail=$(.venv/bin/coverage report --include='notifications/*,scheduler/*' --format=total)
echo "coverage of notifications/ and scheduler/: ${mail} % (floor ${MAIL_COVERAGE_FLOOR} %)"
if [ "$mail" -lt "$MAIL_COVERAGE_FLOOR" ]; then
    echo "FAIL: coverage of notifications/ and scheduler/ is below ${MAIL_COVERAGE_FLOOR} %" >&2
    exit 1
fi
