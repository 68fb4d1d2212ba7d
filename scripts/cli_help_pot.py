"""Add the command line's help texts (docstrings and ``help=``, Russian:
the msgids) to the message template ``pybabel extract`` wrote.

Usage (by scripts/i18n.sh): ``python scripts/cli_help_pot.py roadmap/locale/roadmap.pot``
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from roadmap.cli import main
from roadmap.cli.root import help_texts


def add_help_texts(pot: Path) -> int:
    with pot.open("rb") as handle:
        catalog = read_po(handle)
    before = len(catalog)
    for text in help_texts(main):
        if text not in catalog:
            catalog.add(text)
    tmp = pot.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False)
    tmp.replace(pot)
    return len(catalog) - before


if __name__ == "__main__":
    print(f"{add_help_texts(Path(sys.argv[1]))} help texts added to {sys.argv[1]}")  # noqa: T201
