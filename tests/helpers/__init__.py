"""Helpers shared by the operations tests (real DuckDB files, real subprocesses)."""
