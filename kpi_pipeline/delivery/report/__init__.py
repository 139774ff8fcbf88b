"""The weekly check report: marts loaded into a model, a view built from it in one pass, charts, and HTML/PDF rendering."""
