"""Settings from a YAML file and ROADMAP_* variables; the injectable clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from roadmap.app import Clock
from roadmap.errors import ConfigError
from roadmap.settings import SPEC, load_settings


def test_defaults_put_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings(None, {"ROADMAP_DATA_DIR": str(tmp_path)})
    assert settings.data_dir == tmp_path
    assert settings.db_url == f"sqlite:///{tmp_path / 'roadmap.db'}"
    assert settings["lookahead_days"] == 14
    assert settings["smtp.tls"] == "starttls"


def test_file_then_environment_wins(tmp_path: Path) -> None:
    config = tmp_path / "roadmap.yaml"
    config.write_text(
        "lookahead_days: 10\nreminder_time: '07:30'\nsmtp:\n  host: relay.example.org\n  port: 587\n",
        encoding="utf-8",
    )
    settings = load_settings(config, {"ROADMAP_SMTP_PORT": "2525", "ROADMAP_DB_URL": "sqlite:///x.db"})
    assert settings["lookahead_days"] == 10
    assert settings["reminder_time"] == time(7, 30)
    assert settings["smtp.host"] == "relay.example.org"
    assert settings["smtp.port"] == 2525
    assert settings.db_url == "sqlite:///x.db"


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    config = tmp_path / "roadmap.yaml"
    config.write_text("lookahead_day: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"«lookahead_day».*«lookahead_days»"):
        load_settings(config, {})


def test_bad_value_names_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ROADMAP_SMTP_TLS.*starttls, tls или none"):
        load_settings(None, {"ROADMAP_SMTP_TLS": "maybe"})
    with pytest.raises(ConfigError, match=r"часовой пояс IANA"):
        load_settings(None, {"ROADMAP_TIMEZONE": "Mars/Olympus"})


def test_password_from_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n", encoding="utf-8")
    settings = load_settings(None, {"ROADMAP_SMTP_PASSWORD_FILE": str(secret)})
    assert settings["smtp.password"] == "s3cret"


def test_every_option_has_a_documented_environment_name() -> None:
    names = {option.env for option in SPEC}
    for required in ("ROADMAP_SMTP_HOST", "ROADMAP_SMTP_PORT", "ROADMAP_SMTP_TLS", "ROADMAP_SMTP_USER",
                     "ROADMAP_SMTP_PASSWORD", "ROADMAP_SMTP_FROM", "ROADMAP_DATA_DIR", "ROADMAP_DB_URL"):
        assert required in names


def test_today_is_plan_local() -> None:
    # 23:30 UTC on 31 Dec is already 1 January in Irkutsk (UTC+8), not in Moscow.
    clock = Clock(now=lambda: datetime(2023, 12, 31, 23, 30, tzinfo=UTC))
    assert clock.today("Asia/Irkutsk") == date(2024, 1, 1)
    assert clock.today("Europe/Moscow") == date(2024, 1, 1)
    assert clock.today("Europe/London") == date(2023, 12, 31)
    assert clock.now().tzinfo is UTC


def test_fixed_today_overrides_clock() -> None:
    assert Clock(fixed_today=date(2024, 3, 1)).today("Asia/Irkutsk") == date(2024, 3, 1)
