"""The report's view: from the loaded ReportData to the display text the templates print, one module per report section."""
