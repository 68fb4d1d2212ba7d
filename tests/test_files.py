"""Atomic writes: the old file or the whole new one, never a half."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from roadmap.files import FileWriteError, write_atomic


def test_text_and_bytes_replace_the_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    write_atomic(target, "старый")
    write_atomic(target, "новый отчёт")
    assert target.read_text(encoding="utf-8") == "новый отчёт"
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "calendar.ics"
    target.write_text("BEGIN:VCALENDAR", encoding="utf-8")

    def full_disk(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(FileWriteError, match="No space"):
        write_atomic(target, "BEGIN:VCALENDAR\nnew")
    assert target.read_text(encoding="utf-8") == "BEGIN:VCALENDAR"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calendar.ics"]
