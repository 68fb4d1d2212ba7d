"""Finding things: ``roadmap orgs``, ``roadmap parties``, ``--org`` by name,
and one rule for an ``--org``/``--party`` that several registers or plans
share (the real plans of ``plans/``, a real SQLite file)."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
import pytest

from tests.fixtures import Run

REPO = Path(__file__).resolve().parents[2]
CITY = "irkutsk-city-2023-2026"


@pytest.fixture
def plan_files() -> dict[str, str]:
    return {}


@pytest.fixture
def real(run: Run) -> Run:
    result = run("load", str(REPO / "plans"))
    assert result.exit_code == 0, result.stderr
    return run


def test_orgs_lists_registers_with_curators_and_plans(real: Run) -> None:
    every = json.loads(real("orgs", "--format", "json").stdout)
    assert {o["register"] for o in every} == {"bokhan", "dzerzhinsky", "glazov", "irkutsk-city"}
    city = json.loads(real("orgs", "--plan", CITY, "--format", "json").stdout)
    assert {o["register"] for o in city} == {"irkutsk-city"}
    first = next(o for o in city if o["id"] == "school-1")
    assert set(first) == {"id", "name", "register", "curator", "curator_email", "plans"}
    assert first["name"] == "МБОУ СОШ № 1 (пример)" and CITY in first["plans"]
    table = real("orgs", "--plan", CITY, COLUMNS="120")
    assert table.exit_code == 0 and "МБОУ СОШ № 1 (пример)" in table.stdout


def test_parties_lists_a_plans_parties(real: Run) -> None:
    parties = json.loads(real("parties", "glazov-2022-2024", "--format", "json").stdout)
    oo = next(p for p in parties if p["id"] == "oo")
    assert oo["register"] == "glazov" and oo["tasks"] > 0
    unknown = real("parties", "glazov")
    assert unknown.exit_code == 1 and "glazov-2022-2024" in unknown.stderr


def _orgs_of(result_stdout: str) -> set[str]:
    return {r["org"] for r in json.loads(result_stdout)}


def test_org_by_name_any_case_and_yo(real: Run) -> None:
    # «сош №1», «СОШ № 1», «Сош  №  1» all name school-1 of the plan's register.
    for text in ("сош №1", "СОШ № 1", "Сош  №  1", "мбоу сош № 1 (пример)"):
        result = real("status", "--plan", CITY, "--org", text, "--format", "json")
        assert result.exit_code == 0, (text, result.stderr)
        assert _orgs_of(result.stdout) == {"school-1"}
    # A part that several organisations share is refused with the candidates.
    refused = real("status", "--plan", CITY, "--org", "СОШ")
    assert refused.exit_code == 2
    assert "подходит к нескольким организациям" in refused.stderr
    assert "school-1 (irkutsk-city) — МБОУ СОШ № 1 (пример)" in refused.stderr
    missing = real("status", "--plan", CITY, "--org", "гимназия № 99")
    assert missing.exit_code == 1 and "roadmap orgs" in missing.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("status", "--org", "school-1"),
        ("history", CITY, "--org", "school-1"),
        ("ics", "--org", "school-1"),
        ("feed", "create", "--org", "school-1"),
    ],
)
def test_an_org_of_several_registers_needs_a_plan_everywhere(real: Run, args: tuple[str, ...]) -> None:
    if args[0] == "history":  # history always has a plan: no ambiguity there
        assert real(*args).exit_code == 0
        return
    result = real(*args)
    assert result.exit_code == 2, result.stdout
    assert "есть в нескольких реестрах (bokhan, dzerzhinsky, glazov, irkutsk-city)" in result.stderr
    assert "--plan" in result.stderr and "Traceback" not in result.stderr


def test_a_party_of_several_plans_needs_a_plan_for_calendars(real: Run) -> None:
    for args in (("ics", "--party", "uo"), ("feed", "create", "--party", "uo")):
        result = real(*args)
        assert result.exit_code == 2
        assert "Сторона «uo» есть в нескольких планах" in result.stderr
    upper = real("ics", "--party", "UO", "--plan", "glazov-2022-2024")
    assert upper.exit_code == 0, upper.stderr
    assert "Управление образования" in upper.stdout


def test_a_calendar_names_the_organisation_of_the_plans_register(real: Run) -> None:
    glazov = json.loads(real("orgs", "--plan", "glazov-2022-2024", "--format", "json").stdout)
    bokhan = json.loads(real("orgs", "--plan", "bokhan-2022-2024", "--format", "json").stdout)
    name = next(o["name"] for o in glazov if o["id"] == "dod-1")
    other = next(o["name"] for o in bokhan if o["id"] == "dod-1")
    assert name != other
    result = real("ics", "--org", "dod-1", "--plan", "glazov-2022-2024")
    assert result.exit_code == 0, result.stderr
    calendar = icalendar.Calendar.from_ical(result.stdout)
    names = {str(calendar.get(k)) for k in ("X-WR-CALNAME", "NAME") if calendar.get(k)}
    assert names and all(name in n for n in names), names
    assert other not in result.stdout.replace("\n ", "")


@pytest.mark.parametrize(("command", "path"), [("feed", "/feeds/"), ("link", "/l/")])
def test_a_secret_link_warns_about_the_default_base_url(real: Run, command: str, path: str) -> None:
    default = real(command, "create", "--plan", CITY)
    assert default.exit_code == 0, default.stderr
    assert "Внимание: адрес http://127.0.0.1:8080 — по умолчанию" in default.stderr
    assert "feed_base_url" in default.stderr
    public = real(command, "create", "--plan", CITY,
                  ROADMAP_FEED_BASE_URL="https://roadmap.example.org")
    assert public.exit_code == 0, public.stderr
    urls = [line for line in public.stdout.splitlines() if "://" in line]
    assert urls[0].startswith("https://roadmap.example.org" + path)
    assert "Внимание" not in public.stderr
