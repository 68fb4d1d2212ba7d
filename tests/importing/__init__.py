"""Tests of ``roadmap import``: documents in, draft plans out."""
