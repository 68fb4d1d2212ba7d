"""roadmap deadline: readable output, --json, --batch, bad --period."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from roadmap.cli import main

PERIOD = "2023-01-01..2026-12-31"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, ["--lang", "ru", "deadline", *args], input=input)


def test_json_output_is_the_contract_object() -> None:
    result = run("Ежегодно (май)", "--period", PERIOD, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"text", "occurrences", "on_demand", "parsed", "warnings", "rule"}
    assert data["occurrences"][0] == {"start": "2023-05-01", "due": "2023-05-31"}
    assert len(data["occurrences"]) == 4
    assert "Ежегодно" in result.stdout  # ensure_ascii=False


def test_readable_output() -> None:
    result = run("до 1 марта 2023 года", "--period", PERIOD)
    assert result.exit_code == 0
    assert "до 01.03.2023" in result.stdout
    result = run("По плану проекта", "--period", PERIOD)
    assert "По мере необходимости" in result.stdout
    result = run("Май 2022", "--period", PERIOD)
    assert "Внимание" in result.stdout


def test_school_years_flag() -> None:
    result = run("в течение года", "--period", "2022-09-01..2023-08-31", "--school-years", "--json")
    assert json.loads(result.stdout)["occurrences"] == [
        {"start": "2022-09-01", "due": "2023-08-31"}
    ]


def test_bad_period_names_the_form() -> None:
    for bad in ("2023-01-01", "2023-13-01..2023-12-31", "2024-01-01..2023-01-01", "вчера"):
        result = run("Май 2023", "--period", bad)
        assert result.exit_code == 2
        assert "YYYY-MM-DD..YYYY-MM-DD" in result.stderr
        assert "Traceback" not in result.stderr


def test_missing_text_or_period_is_a_usage_error() -> None:
    assert run("--period", PERIOD).exit_code == 2
    assert run("Май 2023").exit_code == 2


LINES = [
    {"text": "Май 2023 года", "period": PERIOD, "school_years": False},
    {"text": "в течение учебного года", "period": "2022-09-01..2023-08-31", "school_years": True},
    {"text": "по запросу", "period": PERIOD},
]


def test_batch_from_file(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in LINES) + "\n", "utf-8")
    result = run("--batch", str(path))
    assert result.exit_code == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["text"] for o in out] == [x["text"] for x in LINES]
    assert out[1]["occurrences"] == [{"start": "2022-09-01", "due": "2023-05-31"}]
    assert out[2]["on_demand"] is True


def test_batch_from_stdin_with_bad_lines() -> None:
    lines = [
        json.dumps(LINES[0], ensure_ascii=False),
        "{not json",
        json.dumps({"text": "Май", "period": "2023"}),
        json.dumps([1, 2]),
        json.dumps({"text": 5, "period": PERIOD}),
        json.dumps(LINES[2], ensure_ascii=False),
    ]
    result = run("--batch", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 6
    assert "error" not in out[0] and "error" not in out[5]
    assert all("error" in o for o in out[1:5])
    assert "Traceback" not in result.stdout + result.stderr


def test_python_m_roadmap_subprocess() -> None:
    env = {**os.environ, "LANG": "C.UTF-8"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "roadmap",
            "deadline",
            "Март, июнь, октябрь.",
            "--period",
            PERIOD,
            "--json",
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["occurrences"]) == 12
