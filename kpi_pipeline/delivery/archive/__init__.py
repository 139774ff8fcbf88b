"""The archive: reports/index.html listing every rendered week, with the long-view charts."""
