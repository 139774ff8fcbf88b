"""The reverse funnel (逆算): each stage's plan from a KGI, and whether KPI targets deliver it."""
