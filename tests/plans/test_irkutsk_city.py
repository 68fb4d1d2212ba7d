"""plans/irkutsk-city-2023-2026.yaml against its source, seed 000 (г. Иркутск).

The source's plan (Приложение № 1 to the municipal model) has 28 numbered
rows: 1.1–1.16, 2.1–2.7, 3.1–3.3, 4.1–4.2. The order's item 3 is an extra
section ``order``. The checks every plan shares (counts, texts, parties,
cases) are in ``test_plan_sources.py``.
"""

from __future__ import annotations

PLAN = "irkutsk-city-2023-2026"
SEED = "000_e3449784d90bef1b.txt"


def test_schedule_override(tasks):
    overrides = {t["id"]: t["schedule"] for t in tasks if t.get("schedule")}
    assert overrides["1.5"]["phrase"] == "ежегодно январь-февраль"


def test_indicator_targets(plan, source):
    for indicator in plan["indicators"]:
        for year, value in indicator["targets"].items():
            assert year == 2026
            assert isinstance(value, int)
            assert str(value) in source
