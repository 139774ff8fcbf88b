"""Fakes of external services for tests: a GA4 Data API server on loopback."""
