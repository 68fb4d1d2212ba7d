#!/usr/bin/env bash
# Set up a Python 3.11 venv (if missing), install roadmap, load the road maps
# of plans/ into the default SQLite database and show today's picture.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" ""
.venv/bin/roadmap validate plans/
.venv/bin/roadmap load plans/
.venv/bin/roadmap plans
for plan in irkutsk-oblast-2020-2024 irkutsk-city-2023-2026 bokhan-2022-2024 dzerzhinsky-2022-2023 glazov-2022-2024 irkutsk-school-1-2023; do
  .venv/bin/roadmap show "$plan"
done
