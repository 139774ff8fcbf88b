"""Orchestration: Dagster jobs, schedules, partitions, resources and house policy, the in-process runner the CLI uses, and its event log."""
