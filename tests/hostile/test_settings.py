"""Settings that would break a later command are refused when read
(issue 18, item 8): ranges, the file's encoding, one-line addresses."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadmap.errors import ConfigError
from roadmap.settings import load_settings


@pytest.mark.parametrize(
    ("key", "value", "accepts"),
    [
        ("lookahead_days", "3000000", "от 0 до 366"),
        ("lookahead_days", "-1", "от 0 до 366"),
        ("escalate_after_days", "0", "от 1 до 365"),
        ("escalate_after_days", "3000000", "от 1 до 365"),
        ("smtp.port", "70000", "от 1 до 65535"),
        ("smtp.timeout", "-5", "от 1 до 3600"),
    ],
)
def test_numbers_out_of_range_are_refused(key: str, value: str, accepts: str) -> None:
    env = {"ROADMAP_" + key.replace(".", "_").upper(): value}
    with pytest.raises(ConfigError, match=f"«{key}» = '{value}': ожидается .*{accepts}"):
        load_settings(None, environ=env)


def test_edges_of_the_ranges_are_accepted() -> None:
    env = {"ROADMAP_LOOKAHEAD_DAYS": "366", "ROADMAP_ESCALATE_AFTER_DAYS": "1"}
    settings = load_settings(None, environ=env)
    assert (settings["lookahead_days"], settings["escalate_after_days"]) == (366, 1)


def test_sender_with_a_line_break_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "roadmap.yaml"
    config.write_text('smtp:\n  from: "a@b.org\\r\\nBcc: all@b.org"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"«smtp\.from».*адрес электронной почты в одну строку"):
        load_settings(config, environ={})
    config.write_text('smtp:\n  from: "Roadmap <roadmap@b.org>"\n', encoding="utf-8")
    assert load_settings(config, environ={})["smtp.from"] == "Roadmap <roadmap@b.org>"


def test_config_not_in_utf8_is_a_clean_error(tmp_path: Path) -> None:
    config = tmp_path / "roadmap.yaml"
    config.write_bytes("lookahead_days: 10\n# комментарий\n".encode("cp1251"))
    with pytest.raises(ConfigError, match=r"roadmap.yaml: строка 2: файл не в кодировке UTF-8"):
        load_settings(config, environ={})
