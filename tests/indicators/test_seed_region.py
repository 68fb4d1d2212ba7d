"""The regional roll-up on the seed plans themselves: the Irkutsk oblast
plan shows what the schools of its child plans (Irkutsk city, Bokhan)
reported, in total and per child plan; on every storage backend."""

from __future__ import annotations

import pytest

from tests.fixtures import Run, load_plans
from tests.indicators.conftest import row, rows, set_value
from tests.plans._seedtext import PLANS, load_yaml

OBLAST = "irkutsk-oblast-2020-2024"
CITY = "irkutsk-city-2023-2026"
BOKHAN = "bokhan-2022-2024"


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {}  # the seed plans of the repository are loaded instead


def test_the_oblast_rolls_up_what_the_schools_of_its_municipalities_reported(run: Run) -> None:
    load_plans(run, PLANS)
    city_schools, bokhan_schools = _schools(CITY), _schools(BOKHAN)
    reports = [(city_schools[0], 1200), (city_schools[1], 800), (bokhan_schools[0], 300)]
    for org, value in reports:
        set_value(run, OBLAST, "mentees-register", "--year", "2023", "--value", str(value),
                  "--org", org)
    # Organisation ids repeat across registers: a bare «school-1» is ambiguous here.
    result = run("indicator", "set", OBLAST, "mentees-register", "--year", "2023",
                 "--value", "5", "--org", "school-1")
    assert result.exit_code == 2
    assert "irkutsk-city/school-1" in result.stderr and "bokhan/school-1" in result.stderr
    total = row(run, OBLAST, "mentees-register", 2023)
    assert (total["value"], total["target"], total["achieved"]) == (2300, 5000, False)
    assert total["reported"] == 3
    assert total["expected"] == len(city_schools) + len(bokhan_schools)
    parts = {r["plan"]: (r["value"], r["reported"], r["expected"])
             for r in rows(run, OBLAST, "--year", "2023")
             if r["indicator"] == "mentees-register" and r["part_of"] == OBLAST}
    assert parts == {
        CITY: (2000, 2, len(city_schools)),
        BOKHAN: (300, 1, len(bokhan_schools)),
    }
    # A municipality's own share indicator rolls up Σnum/Σden over its schools.
    set_value(run, BOKHAN, "students-mentored", "--year", "2023", "--num", "120", "--den", "200",
              "--org", bokhan_schools[0])
    set_value(run, BOKHAN, "students-mentored", "--year", "2023", "--num", "10", "--den", "100",
              "--org", bokhan_schools[1].split("/")[1])  # one register: the bare id
    share = row(run, BOKHAN, "students-mentored", 2023)
    assert share["value"] == pytest.approx(130 / 300 * 100) and share["achieved"] is False


def _schools(plan: str) -> list[str]:
    """The organisations (``register/id``) of the register a municipal plan fans out to."""
    register = next(p["register"] for p in load_yaml(PLANS / f"{plan}.yaml")["parties"]
                    if p.get("register"))
    data = load_yaml(PLANS / "orgs" / f"{register}.yaml")
    return [f"{register}/{o['id']}" for o in data["organisations"]]
