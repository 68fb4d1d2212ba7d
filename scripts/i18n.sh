#!/usr/bin/env bash
# Refresh the catalogues and compile them:
# - English (roadmap/locale/en/LC_MESSAGES/roadmap.po): the Russian msgids of
#   the code and of the command line's help texts;
# - Russian for click's own messages (roadmap/locale/ru/LC_MESSAGES/click.po:
#   «Usage:», «Missing argument», …), extracted from the installed click.
# Translate the new empty entries in the .po files, then run this script again.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=roadmap/locale/roadmap.pot
po=roadmap/locale/en/LC_MESSAGES/roadmap.po
.venv/bin/pybabel --quiet extract -F scripts/babel.cfg --no-location --sort-output -k _ -k N_ -k days_:1,1 -o "$pot" roadmap scheduler notifications
.venv/bin/python scripts/cli_help_pot.py "$pot"  # the command line's help texts
if [ -f "$po" ]; then
  .venv/bin/pybabel --quiet update --no-fuzzy-matching -i "$pot" -o "$po" -l en
else
  .venv/bin/pybabel --quiet init -i "$pot" -o "$po" -l en
fi
.venv/bin/pybabel compile --use-fuzzy -i "$po" -o "${po%.po}.mo" -l en --statistics

# click's own messages, in Russian (domain «click»; see roadmap/cli/root.py).
click_dir=$(.venv/bin/python -c 'import click, os; print(os.path.dirname(click.__file__))')
click_pot=roadmap/locale/click.pot
click_po=roadmap/locale/ru/LC_MESSAGES/click.po
.venv/bin/pybabel --quiet extract -F scripts/babel.cfg --no-location --sort-output -k _ -o "$click_pot" "$click_dir"
.venv/bin/pybabel --quiet update --no-fuzzy-matching -D click -i "$click_pot" -o "$click_po" -l ru
.venv/bin/pybabel compile -D click -i "$click_po" -o "${click_po%.po}.mo" -l ru --statistics
