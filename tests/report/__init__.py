"""Tests of the coordinator's report (``roadmap report``)."""

from __future__ import annotations
