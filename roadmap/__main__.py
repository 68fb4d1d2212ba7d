"""``python -m roadmap`` behaves like the ``roadmap`` command."""

from __future__ import annotations

from roadmap.cli import main

if __name__ == "__main__":
    main(prog_name="roadmap")
