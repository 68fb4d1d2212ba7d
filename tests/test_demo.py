"""``scripts/demo.sh`` shows the program on its own temporary data: the
user's database (``ROADMAP_DATA_DIR``, the user data directory) is never
touched, and the picture is pinned to one «today»."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_demo_leaves_the_users_data_alone(tmp_path: Path) -> None:
    mine = tmp_path / "my-data"
    mine.mkdir()
    (mine / "roadmap.db").write_bytes(b"my real database")
    env = {
        **os.environ,
        "ROADMAP_DATA_DIR": str(mine),
        "ROADMAP_DB_URL": f"sqlite:///{mine / 'roadmap.db'}",
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "TMPDIR": str(tmp_path),
        "COLUMNS": "120",
    }
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "demo.sh")],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert (mine / "roadmap.db").read_bytes() == b"my real database"
    assert sorted(p.name for p in mine.iterdir()) == ["roadmap.db"]
    assert not (tmp_path / "xdg").exists()
    assert not list(tmp_path.glob("roadmap-demo.*"))  # its own data is removed
    out = result.stdout
    assert "сегодня: 2024-03-15" in out
    assert "Отмечено выполненным: irkutsk-city-2023-2026 1.6 (oo/school-1)" in out
    # The curator's view and the coordinator's report once each; no plan dump.
    assert out.count("Итого 15: просрочено: 13, предстоит: 2") == 1
    assert out.count("Дочерние планы") == 1
    assert "Срок: " not in out
