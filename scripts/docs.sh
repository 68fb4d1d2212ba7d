#!/usr/bin/env bash
# Rewrite the generated parts of the docs (the settings table of
# docs/settings.md, the deadline phrase table of docs/plan-format.md) from
# the settings spec and the deadline engine; tests/test_docs.py checks them.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -c 'from pathlib import Path
from roadmap.docs import update_docs
for path in update_docs(Path(".")):
    print("обновлён", path)'
