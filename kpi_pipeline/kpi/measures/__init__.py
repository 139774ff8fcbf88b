"""Measures (施策, the Do): whether each measure moved its KPIs."""
