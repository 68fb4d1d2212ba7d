"""Glazov road map (seed 002) encoded in plans/glazov-2022-2024.yaml.

The checks every plan shares are in ``test_plan_sources.py``.
"""

from __future__ import annotations

PLAN = "glazov-2022-2024"
SEED = "002_470faa68609d21e7.txt"


def test_number_3_2_used_twice(tasks):
    rows = [t for t in tasks if t.get("number") == "3.2"]
    assert [t["id"] for t in rows] == ["3.2", "3.2-bis"]
    assert all(t.get("note") for t in rows)
    assert rows[0]["deadline"] == "Январь-февраль2023 г."
    assert rows[1]["deadline"] == "Октябрь-ноябрь 2024"
