"""Road maps in: a Word, Excel, CSV or PDF document → a draft plan YAML.

The core reads files and returns text; ``roadmap import`` (roadmap/cli)
writes it. See :func:`import_document` and ``docs/import.md``.
"""

from __future__ import annotations

from roadmap.importing.draft import ImportOptions, ImportResult, ImportSummary, import_document
from roadmap.importing.known import parties_from_database, parties_from_files
from roadmap.importing.sources import ImportError_

__all__ = [
    "ImportError_",
    "ImportOptions",
    "ImportResult",
    "ImportSummary",
    "import_document",
    "parties_from_database",
    "parties_from_files",
]
