"""Every indicator of the five seed plans, with its kind and its target per
year as the source document gives it. The expected values below are
transcribed from the sources; each is also looked up in the source row it
comes from, so that a typo in the transcription fails as loudly as one in
the plan."""

from __future__ import annotations

import re
from typing import Any

import pytest

from roadmap.model import Plan
from roadmap.plans import read_catalog
from tests.plans._seedtext import PLANS, normalise, raw_source

EXPECTED: dict[str, dict[str, tuple[str, dict[int, Any]]]] = {
    # 000, «Таблица 1. Критерии и показатели …»: no years; the model's last year.
    "irkutsk-city-2023-2026": {
        "oo-normative-base": ("yes_no", {2026: 85}),
        "oo-events-regulations": ("count", {2026: 2}),
        "oo-events-held": ("count", {2026: 2}),
        "oo-events-share": ("yes_no", {2026: 85}),
        "teachers-personalised-in-oo": ("share", {2026: 70}),
        "teachers-share": ("share", {2026: 80}),
        "young-teachers-share": ("share", {2026: 80}),
        "students-trajectories-in-oo": ("share", {2026: 70}),
        "students-share": ("share", {2026: 70}),
        "new-heads-personalised": ("share", {2026: 90}),
        "new-heads-share": ("share", {2026: 90}),
        "municipal-events": ("count", {2026: 3}),
        "oo-share-in-imcro-events": ("share", {2026: 50}),
    },
    # 001, 7.7 «Показатели реализации Целевой модели наставничества».
    "dzerzhinsky-2022-2023": {
        "1": ("share", {2022: 35, 2023: 50, 2024: 70}),
        "2": ("share", {2022: 2, 2023: 6, 2024: 10}),
        "3": ("share", {2022: 50, 2023: 70, 2024: 90}),
        "4": ("level", {2022: 65, 2023: 75, 2024: 85}),
        "6": ("level", {2022: 65, 2023: 75, 2024: 85}),
    },
    # 002: the Glazov road map names no indicators.
    "glazov-2022-2024": {},
    # 003: the «Результат» column.
    "irkutsk-oblast-2020-2024": {
        "curators-trained": ("count", {2020: 100}),
        "seminars": ("count", {2020: 1, 2021: 2, 2022: 2, 2023: 2, 2024: 2}),
        "mentors-trained": ("count", {2021: 100, 2022: 100, 2023: 100, 2024: 100}),
        "forum-participants": ("count", {2021: 200, 2022: 200, 2023: 200, 2024: 200}),
        "conference-participants": ("count", {2022: 150, 2024: 150}),
        "best-practice-contest": ("count", {2021: 50, 2022: 80, 2023: 100, 2024: 150}),
        "practices-presented": ("count", {2021: 50, 2022: 50, 2023: 50, 2024: 50}),
        "mentor-of-the-year": ("count", {2021: 15, 2022: 20, 2023: 40, 2024: 50}),
        "programmes-register": ("count", {2021: 100, 2022: 200, 2023: 300, 2024: 500}),
        "mentees-register": ("count", {2021: 1500, 2022: 3000, 2023: 5000, 2024: 10000}),
        "mentors-register": ("count", {2021: 500, 2022: 1000, 2023: 1800, 2024: 3000}),
        "publications": ("count", {2021: 50, 2022: 50, 2023: 50, 2024: 50}),
    },
    # 004, the passport's «Планируемые результаты (показатели эффективности)».
    "bokhan-2022-2024": {
        "students-mentored": ("share", {2022: 35, 2023: 50, 2024: 70}),
        "young-teachers-supported": ("share", {2022: 50, 2023: 60, 2024: 70}),
        "additional-education-mentored": ("share", {2022: 35, 2023: 50, 2024: 70}),
    },
}

SEEDS = {
    "irkutsk-city-2023-2026": "000_e3449784d90bef1b.txt",
    "dzerzhinsky-2022-2023": "001_13846a7166bdb408.txt",
    "glazov-2022-2024": "002_470faa68609d21e7.txt",
    "irkutsk-oblast-2020-2024": "003_281dcb6361331b8a.txt",
    "bokhan-2022-2024": "004_e20e996a81b62201.txt",
}


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return read_catalog([PLANS]).plans


@pytest.mark.parametrize("plan_id", list(EXPECTED))
def test_every_indicator_has_its_kind_and_yearly_targets(
    plans: dict[str, Plan], plan_id: str
) -> None:
    found = {
        i.id: (i.kind, {t.year: t.value for t in i.targets}) for i in plans[plan_id].indicators
    }
    assert found == EXPECTED[plan_id]


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", text)]


@pytest.mark.parametrize("plan_id", ["dzerzhinsky-2022-2023", "bokhan-2022-2024"])
def test_yearly_columns_match_the_source_rows(plans: dict[str, Plan], plan_id: str) -> None:
    """A row of the source table: name, then the 2022, 2023, 2024 cells."""
    source = raw_source(SEEDS[plan_id])
    for ind in plans[plan_id].indicators:
        line = next(ln for ln in source.splitlines() if ind.name.rstrip(" ,%") in ln)
        cells = [c.strip().rstrip("%") for c in line.split("\t")[-3:]]
        assert [int(c) for c in cells] == list(EXPECTED[plan_id][ind.id][1].values()), ind.id


def test_the_city_targets_are_the_percents_and_counts_of_the_criteria_table(
    plans: dict[str, Plan],
) -> None:
    source = normalise(raw_source(SEEDS["irkutsk-city-2023-2026"]))
    table = source[source.index("Критерий ¦ Показатели ¦ Индикаторы"):]
    table = table[: table.index("Приложение № 1")]
    for ind in plans["irkutsk-city-2023-2026"].indicators:
        (target,) = EXPECTED["irkutsk-city-2023-2026"][ind.id][1].values()
        start = table.index(ind.name.rstrip("."))
        # The figure follows the name in its cell (or is in it: «В 85% ОО …»).
        window = table[start: start + len(ind.name) + 12]
        assert target in _numbers(window), (ind.id, window)


def test_the_oblast_targets_are_the_figures_of_the_result_column(plans: dict[str, Plan]) -> None:
    source = normalise(raw_source(SEEDS["irkutsk-oblast-2020-2024"]))
    plan = plans["irkutsk-oblast-2020-2024"]
    tasks = {t.id: t for t in plan.tasks()}
    for ind in plan.indicators:
        assert ind.activity is not None
        result = tasks[ind.activity].result or ""
        assert result in source or ind.activity in ("4.2",), ind.id  # 4.2: its cell is split
        years = dict(EXPECTED["irkutsk-oblast-2020-2024"][ind.id][1])
        stated = dict(re.findall(r"(20\d\d) г\. ?[–-] ?(\d+)", result))
        if stated:  # «2021 г. – 100 записей 2022 г. – 200 записей …»
            assert {int(y): int(v) for y, v in stated.items()} == years, ind.id
        else:  # one figure for every year: «не менее 50 практик ежегодно»
            assert set(years.values()) <= set(_numbers(result)), (ind.id, result)
