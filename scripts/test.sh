#!/usr/bin/env bash
# Set up a Python 3.11 venv (if missing), install roadmap with its test
# extras, then lint, type-check and run the whole test suite.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" "[test,bench]"
.venv/bin/ruff check roadmap scheduler notifications tests benchmarks
.venv/bin/mypy
.venv/bin/pytest "$@"
