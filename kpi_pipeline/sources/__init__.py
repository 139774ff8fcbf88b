"""Where data comes from: GA4 Data API, the demo generator, the CRM CSV. All write the same raw tables."""
