"""Marts: SQL models in ``sql/mart`` built per site and date window, plus the metric catalogue."""
