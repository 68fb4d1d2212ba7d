"""plans/dzerzhinsky-2022-2023.yaml against its source, seed 001 (Дзержинский район).

The road map (Приложение 2) has 26 numbered rows in 5 sections, numbers kept
as printed (no 2.6). The order № 351's ten directives (2.1–2.2, 3.1–3.8) are
an extra section ``order``. The checks every plan shares are in
``test_plan_sources.py``.
"""

from __future__ import annotations

from _seedtext import CELL

PLAN = "dzerzhinsky-2022-2023"
SEED = "001_13846a7166bdb408.txt"


def test_numbering_gap_kept(plan, tasks):
    ids = {t["id"]: t for t in tasks}
    assert "2.6" not in ids
    assert "2.6" in ids["2.7"]["note"]
    assert [i["id"] for i in plan["indicators"]] == ["1", "2", "3", "4", "6"]


def test_order_directives(plan):
    order = plan["sections"][0]
    assert order["id"] == "order"
    assert [t["number"] for t in order["tasks"]] == ["2.1", "2.2"] + [f"3.{n}" for n in range(1, 9)]


def test_schedule_overrides(tasks):
    overrides = {t["id"]: t["schedule"] for t in tasks if t.get("schedule")}
    # 5.3–5.5 print 2022 for the closing monitoring of the 2022–2023 school year
    for schedule in overrides.values():
        assert "2023" in schedule["phrase"]


def test_indicators(plan, source):
    for indicator in plan["indicators"]:
        assert indicator["unit"] == "%"
        targets = indicator["targets"]
        assert list(targets) == [2022, 2023, 2024]
        values = f" {CELL} ".join(str(targets[year]) for year in (2022, 2023, 2024))
        row = f"{indicator['id']} {CELL} {indicator['name']}"
        # row 4 prints no «%» after its name
        assert f"{row}, % {CELL} {values}" in source or f"{row}, {CELL} {values}" in source, (
            indicator["id"]
        )
