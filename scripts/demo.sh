#!/usr/bin/env bash
# Set up a Python 3.11 venv (if missing), install roadmap, and show what it
# does on the road maps of plans/ — in a temporary data directory of its
# own (removed at the end: the user's database and evidence are never
# touched), on a pinned «today» (DEMO_TODAY, default 2024-03-15) so that
# the picture is the same on every run: the plans, a school curator marking
# work done and seeing what is left, and the regional coordinator's roll-up.
set -euo pipefail
source "$(dirname "$0")/_venv.sh" ""
demo_dir=$(mktemp -d "${TMPDIR:-/tmp}/roadmap-demo.XXXXXX")
trap 'rm -rf "$demo_dir"' EXIT
export ROADMAP_DATA_DIR="$demo_dir"
unset ROADMAP_DB_URL ROADMAP_CONFIG
today=${DEMO_TODAY:-2024-03-15}
roadmap() { .venv/bin/roadmap "$@"; }

echo "== Данные демонстрации: $demo_dir (удаляются в конце); сегодня: $today"
roadmap validate plans/
roadmap load plans/
roadmap plans
echo
echo "== Куратор школы № 1 (Иркутск) отмечает выполненное"
roadmap done irkutsk-city-2023-2026 1.6 --org school-1 --due 2023-02-28 --today "$today" \
  --url https://school-1.example/dorozhnaya-karta.pdf --note "приказ № 12 от 20.02.2023"
roadmap done irkutsk-city-2023-2026 2.1 --org school-1 --due 2023-03-31 --today "$today" \
  --url https://school-1.example/konkurs.pdf
echo
echo "== Куратор школы № 1: просроченное и сроки в ближайшие 30 дней"
roadmap status --plan irkutsk-city-2023-2026 --org school-1 --due-within 30 --today "$today"
echo
echo "== Координатор области: сводка по муниципалитетам"
roadmap report irkutsk-oblast-2020-2024 --today "$today"
