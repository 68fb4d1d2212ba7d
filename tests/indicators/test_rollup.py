"""Reported values rolled up by kind, through the command line, on every
storage backend: a share is Σnum/Σden, a count a sum, a level a mean
(weighted by respondents when given), a yes/no the share of schools with
yes; the region shows what its child plans' schools reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roadmap.indicators import missing_values
from tests.fixtures import MakeApp, Run
from tests.indicators.conftest import CITY, REGION, TOWN, row, rows, set_value


@pytest.fixture(autouse=True)
def _loaded(loaded: Path) -> None:
    """Every test here starts with the region and its two towns loaded."""


def test_share_over_three_schools_is_the_sum_of_numerators_over_denominators(run: Run) -> None:
    # 10/100, 30/50 and 1/10: the mean of the percents would be 30 %.
    for org, num, den in (("school-1", 10, 100), ("school-2", 30, 50), ("school-3", 1, 10)):
        set_value(run, CITY, "teachers-share", "--year", "2023", "--num", str(num),
                  "--den", str(den), "--org", org)
    line = row(run, CITY, "teachers-share", 2023)
    assert line["value"] == pytest.approx(41 / 160 * 100)
    assert line["value"] != pytest.approx((10 + 60 + 10) / 3)
    assert (line["numerator"], line["denominator"]) == (41, 160)
    assert (line["reported"], line["expected"]) == (3, 3)
    assert line["target"] == 70 and line["achieved"] is False
    assert line["kind"] == "share" and line["unit"] == "%"


def test_a_count_is_summed_and_compared_with_the_target(run: Run) -> None:
    for org, value in (("school-1", "2"), ("school-2", "3")):
        set_value(run, CITY, "events", "--year", "2023", "--value", value, "--org", org)
    line = row(run, CITY, "events", 2023)
    assert line["value"] == 5 and line["target"] == 6 and line["achieved"] is False
    assert (line["reported"], line["expected"]) == (2, 3)
    set_value(run, CITY, "events", "--year", "2023", "--value", "1", "--org", "school-3")
    line = row(run, CITY, "events", 2023)
    assert line["value"] == 6 and line["achieved"] is True


def test_a_level_is_weighted_by_respondents_only_when_all_give_them(run: Run) -> None:
    set_value(run, CITY, "satisfaction", "--year", "2023", "--value", "90", "--org",
              "school-1", "--respondents", "30")
    set_value(run, CITY, "satisfaction", "--year", "2023", "--value", "60", "--org",
              "school-2", "--respondents", "10")
    assert row(run, CITY, "satisfaction", 2023)["value"] == pytest.approx(82.5)
    set_value(run, CITY, "satisfaction", "--year", "2023", "--value", "30", "--org", "school-3")
    assert row(run, CITY, "satisfaction", 2023)["value"] == pytest.approx(60)


def test_yes_no_rolls_up_as_the_share_of_schools_with_yes(run: Run) -> None:
    for org, answer in (("school-1", "да"), ("school-2", "нет"), ("school-3", "yes")):
        set_value(run, CITY, "regulation", "--year", "2023", "--value", answer, "--org", org)
    line = row(run, CITY, "regulation", 2023)
    assert line["value"] == pytest.approx(200 / 3)
    assert line["target"] == 85 and line["achieved"] is False
    assert row(run, CITY, "regulation", 2023, org="school-1")["achieved"] is True
    assert row(run, CITY, "regulation", 2023, org="school-2")["achieved"] is False


def test_a_party_reports_its_own_share_as_a_percent(run: Run) -> None:
    set_value(run, CITY, "uo-share", "--year", "2023", "--value", "55")
    line = row(run, CITY, "uo-share", 2023)
    assert line["value"] == 55 and (line["reported"], line["expected"]) == (1, 1)
    assert line["achieved"] is True


def test_a_correction_supersedes_and_both_stay_in_history(run: Run) -> None:
    set_value(run, CITY, "events", "--year", "2023", "--value", "4", "--org", "school-1")
    result = run("indicator", "set", CITY, "events", "--year", "2023", "--value", "7",
                 "--org", "school-1", "--note", "опечатка в отчёте", "--by", "ivanova")
    assert result.exit_code == 0
    assert "Заменяет значение № 1" in result.stdout
    assert row(run, CITY, "events", 2023)["value"] == 7
    history = run("history", CITY, "--indicators", "--format", "json")
    entries = [(e["id"], e["value"], e["by"], e["supersedes"], e["note"])
               for e in json.loads(history.stdout)]
    assert entries == [(1, 4, "curator", None, None), (2, 7, "ivanova", 1, "опечатка в отчёте")]
    table = run("history", CITY, "--indicators")
    assert "опечатка в отчёте" in table.stdout and "ivanova" in table.stdout


def test_the_region_shows_what_the_schools_of_its_child_plans_reported(run: Run) -> None:
    for plan_org, value in (("school-1", "40"), ("school-2", "25"), ("town-1", "15")):
        set_value(run, REGION, "mentees", "--year", "2023", "--value", value, "--org", plan_org)
    listing = rows(run, REGION, "--year", "2023")
    mentees = [(r["plan"], r["part_of"], r["value"], r["reported"], r["expected"])
               for r in listing if r["indicator"] == "mentees"]
    assert mentees == [
        (REGION, None, 80, 3, 5),
        (CITY, REGION, 65, 2, 3),
        (TOWN, REGION, 15, 1, 2),
    ]
    main = row(run, REGION, "mentees", 2023)
    assert main["target"] == 100 and main["achieved"] is False
    # The party-reported indicator has one reporter and no per-town parts.
    seminars = [r for r in listing if r["indicator"] == "seminars"]
    assert [(r["plan"], r["expected"]) for r in seminars] == [(REGION, 1)]


def test_one_organisation_sees_its_own_values(run: Run) -> None:
    set_value(run, REGION, "mentees", "--year", "2023", "--value", "40", "--org", "school-1")
    set_value(run, REGION, "mentees", "--year", "2023", "--value", "15", "--org", "town-1")
    line = row(run, REGION, "mentees", 2023, org="town-1")
    assert (line["value"], line["reported"], line["expected"], line["org"]) == (15, 1, 1, "town-1")


def test_years_without_target_or_value_are_not_listed_and_the_table_reads(run: Run) -> None:
    assert sorted({r["year"] for r in rows(run, CITY) if r["indicator"] == "teachers-share"}) == [
        2022, 2023, 2024]
    set_value(run, CITY, "teachers-share", "--year", "2023", "--num", "7", "--den", "10",
              "--org", "school-1")
    table = run("indicators", CITY, "--year", "2023")
    assert table.exit_code == 0
    line = next(ln for ln in table.stdout.splitlines() if ln.startswith("teachers-share"))
    assert "70 %" in line and "100 %" in line and "достигнуто" in line and "1/3" in line


def test_a_refused_value_leaves_nothing_behind(run: Run, data_dir: Path, tmp_path: Path) -> None:
    proof = tmp_path / "справка.pdf"
    proof.write_bytes(b"%PDF-1.4")
    result = run("indicator", "set", CITY, "teachers-share", "--year", "2023", "--num", "140",
                 "--den", "100", "--org", "school-1", "--evidence", str(proof))
    assert result.exit_code == 2 and "больше знаменателя" in result.stderr
    assert json.loads(run("history", CITY, "--indicators", "--format", "json").stdout) == []
    assert not list((data_dir / "evidence").rglob("*.pdf"))
    assert row(run, CITY, "teachers-share", 2023)["reported"] == 0


def test_a_monitoring_task_knows_which_values_are_still_missing(
    run: Run, make_app: MakeApp
) -> None:
    set_value(run, CITY, "teachers-share", "--year", "2024", "--num", "1", "--den", "2",
              "--org", "school-2")
    app = make_app()
    with app.sessions() as session:
        waiting = missing_values(session, CITY, "1.1", 2024)
        own = missing_values(session, CITY, "1.1", 2024, org="school-2")
        other_year = missing_values(session, CITY, "1.1", 2023, org="school-2")
    # Only the indicator collected by task 1.1 (its `activity`), per school.
    assert [(m.indicator, m.missing, m.expected) for m in waiting] == [
        ("teachers-share", ("school-1", "school-3"), 3)]
    assert own == []
    assert [(m.indicator, m.missing) for m in other_year] == [("teachers-share", ("school-2",))]


def test_the_coordinators_report_has_an_indicators_section(run: Run) -> None:
    set_value(run, REGION, "mentees", "--year", "2023", "--value", "40", "--org", "school-1")
    page = run("report", REGION, "--format", "html")
    assert page.exit_code == 0, page.stderr
    section = page.stdout[page.stdout.index("<h2>Показатели</h2>"):]
    assert '<tr data-indicator="mentees" data-year="2023">' in section
    assert '<tr class="part" data-indicator="mentees" data-year="2023">' in section
    assert "<td class=\"n\">40 чел.</td>" in section
    data = json.loads(run("report", REGION, "--format", "json").stdout)
    mentees = [r for r in data["indicators"] if r["indicator"] == "mentees" and r["year"] == 2023]
    assert [(r["plan"], r["value"]) for r in mentees] == [(REGION, 40), (CITY, 40), (TOWN, None)]


def test_the_history_of_one_organisation(run: Run) -> None:
    set_value(run, REGION, "mentees", "--year", "2023", "--value", "40", "--org", "school-1")
    set_value(run, REGION, "mentees", "--year", "2023", "--value", "15", "--org", "town-1")
    found = run("history", REGION, "--indicators", "--org", "town-1", "--format", "json")
    assert [(e["org"], e["value"]) for e in json.loads(found.stdout)] == [("town-1", 15)]
    unknown = run("history", REGION, "--indicators", "--org", "town-9")
    assert unknown.exit_code == 1 and "town-1" in unknown.stderr
