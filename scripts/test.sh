#!/usr/bin/env bash
# Set up a Python 3.11 venv (if missing), install roadmap with its test
# extras, then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test,bench]'
.venv/bin/ruff check roadmap scheduler notifications tests benchmarks
.venv/bin/mypy
.venv/bin/pytest "$@"
