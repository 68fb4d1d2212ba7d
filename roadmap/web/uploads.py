"""Evidence uploads: a multipart form streamed to staging files, counting
bytes against the evidence size limit, so a file over it is refused without
being kept (and without the whole body in memory).

A staged file then goes to :meth:`roadmap.evidence.EvidenceStore.put` under
its original name, with the store's own checks, and is removed either way.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import BodyPartReader, web

CHUNK = 64 * 1024
MAX_FIELDS = 100
MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 20
MAX_NAME = 200


@dataclass(frozen=True)
class Upload:
    """A staged file: where it is, the name the browser gave, its size."""

    path: Path
    name: str
    size: int


class UploadError(Exception):
    """The form is refused (a file over the limit, too many parts …); nothing
    was kept. ``args[0]`` says what, for the message."""

    def __init__(self, what: str, size: int = 0) -> None:
        super().__init__(what)
        self.what = what
        self.size = size


_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def clean_name(raw: str | None) -> str:
    """The file name a browser sent, reduced to a plain name: no folders
    (``C:\\fakepath\\`` or ``../``), no control characters, at most
    ``MAX_NAME`` characters (keeping the extension)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("", unicodedata.normalize("NFC", name)).strip().lstrip(".")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 20 else name[:MAX_NAME]
    return name or "document"


async def _text(part: BodyPartReader) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > MAX_FIELD_BYTES:
            raise UploadError("field")
    return data.decode(part.get_charset(default="utf-8"), errors="replace")


async def _stage(part: BodyPartReader, staging: Path, max_bytes: int) -> Upload | None:
    staging.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=staging, prefix="upload-", suffix=".part")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await part.read_chunk(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError("size", size)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0 and not part.filename:
        path.unlink(missing_ok=True)  # the file input was left empty
        return None
    return Upload(path, clean_name(part.filename), size)


async def read_multipart(
    request: web.Request,
    staging: Path,
    max_bytes: int,
    *,
    before_files: Callable[[str | None], None],
) -> tuple[dict[str, str], list[Upload]]:
    """Text fields and staged files of a ``multipart/form-data`` POST.
    ``before_files(csrf)`` runs before the first file is read (the form puts
    its CSRF field first), so a forged form stores nothing."""
    fields: dict[str, str] = {}
    uploads: list[Upload] = []
    checked = False
    count = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            count += 1
            if count > MAX_FIELDS or not isinstance(part, BodyPartReader):
                raise UploadError("parts")
            if part.filename is not None:
                if not checked:
                    before_files(fields.get("csrf"))
                    checked = True
                if len(uploads) >= MAX_FILES:
                    raise UploadError("files")
                upload = await _stage(part, staging, max_bytes)
                if upload is not None:
                    uploads.append(upload)
            elif part.name:
                fields[part.name] = await _text(part)
    except BaseException:
        for upload in uploads:
            upload.path.unlink(missing_ok=True)
        raise
    return fields, uploads


__all__ = ["Upload", "UploadError", "clean_name", "read_multipart"]
