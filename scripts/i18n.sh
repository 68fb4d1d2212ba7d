#!/usr/bin/env bash
# Refresh the English catalogue: extract Russian msgids from the code (and the
# command line's help texts), merge
# them into roadmap/locale/en/LC_MESSAGES/roadmap.po, compile the .mo.
# Translate the new empty entries in the .po, then run this script again.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=roadmap/locale/roadmap.pot
po=roadmap/locale/en/LC_MESSAGES/roadmap.po
.venv/bin/pybabel --quiet extract --no-location --sort-output -k _ -k N_ -o "$pot" roadmap scheduler notifications
.venv/bin/python scripts/cli_help_pot.py "$pot"  # the command line's help texts
if [ -f "$po" ]; then
  .venv/bin/pybabel --quiet update --no-fuzzy-matching -i "$pot" -o "$po" -l en
else
  .venv/bin/pybabel --quiet init -i "$pot" -o "$po" -l en
fi
.venv/bin/pybabel compile --use-fuzzy -i "$po" -o "${po%.po}.mo" -l en --statistics
