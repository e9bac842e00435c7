"""Webhooks that speak monitors' own formats: Alertmanager, Grafana alerting, PagerDuty's Events API v2."""
