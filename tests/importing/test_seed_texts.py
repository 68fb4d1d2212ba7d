"""The seed documents themselves (text extractions in ``../shared/seeds``,
tables as tab-separated lines, with the order's text above them) imported
as they are. Skipped where the seeds are not beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap.plans import check_paths
from tests.fixtures import Run
from tests.importing.documents import PLANS, load_plan, table_sections

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seed documents in {SEEDS}")

TABLES = {
    "000_e3449784d90bef1b.txt": "irkutsk-city-2023-2026",
    "001_13846a7166bdb408.txt": "dzerzhinsky-2022-2023",
    "003_281dcb6361331b8a.txt": "irkutsk-oblast-2020-2024",
}
# Where the extraction broke a row across columns (the responsible cell
# «МКУ ИМЦРО,» ends and the rest ran into the result column): checked by eye.
SHIFTED = {("irkutsk-city-2023-2026", "2.5")}


@pytest.mark.parametrize("seed", sorted(TABLES))
def test_seed_text_imports_as_the_hand_made_plan(run: Run, tmp_path: Path, seed: str) -> None:
    plan_id = TABLES[seed]
    out = tmp_path / f"{plan_id}.yaml"
    result = run("import", str(SEEDS / seed), "-o", str(out),
                 "--register", str(PLANS / f"{plan_id}.yaml"), "--register", str(PLANS / "orgs"))
    assert result.exit_code == 0, result.stderr
    assert run("validate", str(out), str(PLANS / "orgs")).exit_code == 0
    catalog, _problems = check_paths([out, PLANS / "orgs"])
    got, want = catalog.plans[plan_id], load_plan(plan_id)
    assert (got.title, got.document, got.period, got.school_years) == (
        want.title, want.document, want.period, want.school_years
    )
    expected = [t for s in table_sections(want) for t in s.tasks]
    have = list(got.tasks())
    # Numbers stay as printed («1.1.»); the hand-made plans drop the end dot.
    assert [t.number.rstrip(".") if t.number else None for t in have] == [
        t.number for t in expected
    ]
    for g, w in zip(have, expected, strict=True):
        if (plan_id, w.id) in SHIFTED:
            continue
        assert (g.activity, g.deadline, g.result) == (w.activity, w.deadline, w.result), w.id
        assert set(g.responsible.parties) == set(w.responsible.parties), w.id
        co = set(g.co_responsible.parties) if g.co_responsible else set()
        assert co == (set(w.co_responsible.parties) if w.co_responsible else set()), w.id


@pytest.mark.parametrize("seed", ["002_470faa68609d21e7.txt", "004_e20e996a81b62201.txt"])
def test_seed_without_a_table_is_a_clear_error(run: Run, seed: str) -> None:
    # Glazov's extraction put every cell on its own line; Bokhan's lost the
    # table (a list remains): there is no table to find, and no guessing.
    result = run("import", str(SEEDS / seed))
    assert result.exit_code == 1
    assert "не найдена таблица плана" in result.stderr
    assert "Traceback" not in result.stderr
