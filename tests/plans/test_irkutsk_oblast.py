"""Irkutsk oblast regional road map (seed 003) in plans/irkutsk-oblast-2020-2024.yaml.

The checks every plan shares are in ``test_plan_sources.py``.
"""

from __future__ import annotations

import re

PLAN = "irkutsk-oblast-2020-2024"
SEED = "003_281dcb6361331b8a.txt"


def test_source_rows(source):
    # the source numbers 25 rows «N.M» (sections are «N.»)
    numbers = re.findall(r"(?:^| )(\d\.\d)\.?(?= )", source)
    assert len(set(numbers)) == 25


def test_two_responsible_columns(plan, tasks):
    parties = {p["id"]: p for p in plan["parties"]}
    regional = {"ministry", "rikp"}
    for task in tasks:
        assert set(task["responsible"]["parties"]) <= regional, task["id"]
        assert task["responsible"]["parties"]
        if "co_responsible" in task:
            assert task["co_responsible"]["parties"] == ["oo"], task["id"]
    without_oo_column = [t["id"] for t in tasks if "co_responsible" not in t]
    assert without_oo_column == ["1.1", "1.3", "5.1"]
    # all schools of the region: no register of its own
    assert "register" not in parties["oo"]


def test_targets(tasks):
    by_id = {t["id"]: t for t in tasks}
    expected = {
        "2.2": ({2020: 1, 2021: 2, 2022: 2, 2023: 2, 2024: 2}, "семинаров"),
        "2.3": ({2021: 100, 2022: 100, 2023: 100, 2024: 100}, "чел."),
        "3.3": ({2021: 50, 2022: 80, 2023: 100, 2024: 150}, "участников"),
        "3.5": ({2021: 50, 2022: 50, 2023: 50, 2024: 50}, "практик"),
        "3.6": ({2021: 15, 2022: 20, 2023: 40, 2024: 50}, "участников"),
        "4.2": ({2021: 100, 2022: 200, 2023: 300, 2024: 500}, "записей"),
        "4.3": ({2021: 1500, 2022: 3000, 2023: 5000, 2024: 10000}, "записей"),
        "4.4": ({2021: 500, 2022: 1000, 2023: 1800, 2024: 3000}, "записей"),
        "4.7": ({2021: 50, 2022: 50, 2023: 50, 2024: 50}, "публикаций"),
    }
    for task_id, (targets, unit) in expected.items():
        task = by_id[task_id]
        assert dict(task["targets"]) == targets, task_id
        assert task["target_unit"] == unit, task_id
    assert {t["id"] for t in tasks if "targets" in t} == set(expected)


def test_explicit_yearly_targets_match_result_text(tasks):
    """Where the result spells «2021 г. – 100 записей …», targets say the same."""
    for task in tasks:
        pairs = re.findall(r"(20\d\d) г\. [–-] (\d+) (\w+)", task["result"])
        if pairs:
            assert {int(y): int(v) for y, v, _ in pairs} == dict(task["targets"]), task["id"]
            assert {u for _, _, u in pairs} == {task["target_unit"]}, task["id"]
