#!/usr/bin/env bash
# Set up a Python 3.11 venv (if missing), install roadmap, load the road maps
# of plans/ into the default SQLite database and show today's picture: each
# plan, one school curator's status, and the regional coordinator's roll-up.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" ""
.venv/bin/roadmap validate plans/
.venv/bin/roadmap load plans/
.venv/bin/roadmap plans
for plan in irkutsk-oblast-2020-2024 irkutsk-city-2023-2026 bokhan-2022-2024 dzerzhinsky-2022-2023 glazov-2022-2024 irkutsk-school-1-2023; do
  .venv/bin/roadmap show "$plan"
done
# A school curator: what is overdue or due within 30 days for school-1 of Irkutsk.
.venv/bin/roadmap status --plan irkutsk-city-2023-2026 --org school-1 --due-within 30
# The regional coordinator: Irkutsk oblast with its municipalities rolled up.
.venv/bin/roadmap report irkutsk-oblast-2020-2024
