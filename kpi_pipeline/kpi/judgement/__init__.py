"""Judgement: pacing, the measure a status compares, its noise, status, progress, forecast, and warnings for targets check."""
