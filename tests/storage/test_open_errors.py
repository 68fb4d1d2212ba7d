"""A database that cannot be opened is a clear message, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from roadmap.cli import main
from roadmap.errors import StorageError
from roadmap.storage.db import open_engine


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nonsense://x", "Неверный адрес базы данных «nonsense://x»"),
        ("not a url at all", "ожидается sqlite:///путь/к/файлу.db"),
    ],
)
def test_malformed_url_names_accepted_forms(url: str, expected: str) -> None:
    with pytest.raises(StorageError, match=expected):
        open_engine(url)


def test_unreachable_server_hides_the_password() -> None:
    url = f"postgresql+psycopg://roadmap:s3cret@127.0.0.1:{closed_port()}/x"
    with pytest.raises(StorageError) as caught:
        open_engine(url)
    message = str(caught.value)
    assert "Не удаётся открыть базу данных" in message and "***" in message
    assert "s3cret" not in message


def test_unusable_data_dir_through_the_cli(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--lang", "ru", "plans"], env={"ROADMAP_DATA_DIR": str(blocker / "data"), "ROADMAP_DB_URL": None}
    )
    assert result.exit_code == 1
    assert "Каталог данных недоступен" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
