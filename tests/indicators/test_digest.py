"""The daily digest of a party whose monitoring task is due soon lists the
indicator values still missing for it: which schools have not reported."""

from __future__ import annotations

import email
from email.policy import default
from pathlib import Path

from tests.fixtures import Run
from tests.indicators.conftest import CITY, set_value


def _text(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content()


def test_the_digest_of_the_monitoring_party_names_the_schools_that_have_not_reported(
    run: Run, loaded: Path, tmp_path: Path
) -> None:
    set_value(run, CITY, "teachers-share", "--year", "2024", "--num", "3", "--den", "4",
              "--org", "school-2")
    out = tmp_path / "dry"
    result = run("remind", "--today", "2024-05-25", "--dry-run", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    mails = {path: _text(path) for path in out.glob("*.eml")}
    (uo,) = [text for text in mails.values() if "Мониторинг достижения показателей" in text
             and f"[{CITY}]" in text]
    assert "Не сообщено значение: Доля педагогов, вошедших в программы наставничества (2024): " \
           "нет от 2 из 3 — school-1, school-3" in uo
    # Once every school has reported, the line goes.
    for org in ("school-1", "school-3"):
        set_value(run, CITY, "teachers-share", "--year", "2024", "--num", "1", "--den", "4",
                  "--org", org)
    again = tmp_path / "again"
    assert run("remind", "--today", "2024-05-25", "--dry-run", "--out", str(again)).exit_code == 0
    (city,) = [text for text in map(_text, again.glob("*.eml")) if f"[{CITY}]" in text]
    waiting = [ln.strip() for ln in city.splitlines() if "Не сообщено значение" in ln]
    # The overdue monitoring of 2023 still waits for every school; 2024 is complete.
    assert waiting == [
        "Не сообщено значение: Доля педагогов, вошедших в программы наставничества (2022): "
        "нет от 3 из 3 — school-1, school-2, school-3",
        "Не сообщено значение: Доля педагогов, вошедших в программы наставничества (2023): "
        "нет от 3 из 3 — school-1, school-2, school-3",
    ]
