"""The analyst copy: a snapshot of the warehouse that analysts open without ever locking it."""

from kpi_pipeline.publish.snapshot import PublishResult, publish_snapshot

__all__ = ["PublishResult", "publish_snapshot"]
