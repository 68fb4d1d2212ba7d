"""Calendar export and feed server tests."""

from __future__ import annotations
