"""Alembic migrations of the roadmap schema (run by :func:`roadmap.storage.db.ensure_schema`)."""
