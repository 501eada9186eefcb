"""Efficiency scores (绩效评估), rankings and the supervisors' dashboards (DOMAIN.md §5)."""
