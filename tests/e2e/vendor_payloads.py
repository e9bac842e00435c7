"""Notifications shaped as each tool's documentation shows them, with the parts a test varies as arguments."""

from __future__ import annotations

import copy
from typing import Any

NOT_ENDED = "0001-01-01T00:00:00Z"


def am_alert(
    fingerprint: str,
    status: str = "firing",
    summary: str | None = "BlackBox Probe Failure: https://server.example.org",
    **labels: str,
) -> dict[str, Any]:
    """One alert of an Alertmanager notification, as in its v4 webhook sample."""
    annotations = {
        "description": "Instance https://server.example.org has been down for over 5m. Job: http_checks"
    }
    if summary is not None:
        annotations["summary"] = summary
    return {
        "status": status,
        "labels": {"alertname": "ProbeFailure", "job": "http_checks", "severity": "critical", **labels},
        "annotations": annotations,
        "startsAt": "2023-02-06T13:08:45.828Z",
        "endsAt": NOT_ENDED if status == "firing" else "2023-02-06T13:20:45.828Z",
        "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&g0.tab=1",
        "fingerprint": fingerprint,
    }


def alertmanager(
    *alerts: dict[str, Any], truncated: int = 0, group_by: tuple[str, ...] = ("alertname",)
) -> dict[str, Any]:
    """An Alertmanager webhook notification (version 4) for `alerts`, grouped by `group_by`."""
    labels = [a["labels"] for a in alerts]
    common = {k: v for k, v in labels[0].items() if all(lbl.get(k) == v for lbl in labels)} if labels else {}
    group = {k: common.get(k, "") for k in group_by}
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "receiver": "pager",
        "status": "firing" if firing else "resolved",
        "alerts": list(alerts),
        "groupLabels": group,
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://prometheus.example.org:9093",
        "version": "4",
        "groupKey": "{}:{" + ", ".join(f'{k}="{v}"' for k, v in group.items()) + "}",
        "truncatedAlerts": truncated,
    }


_GRAFANA_ALERTS = [
    {
        "status": "firing",
        "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
        "annotations": {
            "description": "The system has high memory usage",
            "runbook_url": "https://myrunbook.com/runbook/1234",
            "summary": "This alert was triggered for zone us-1",
        },
        "startsAt": "2021-10-12T09:51:03.157076+02:00",
        "endsAt": NOT_ENDED,
        "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
        "fingerprint": "c6eadffa33fcdf37",
        "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2",
        "dashboardURL": "",
        "panelURL": "",
        "values": {"B": 44.23943737541908, "C": 1},
    },
    {
        "status": "firing",
        "labels": {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
        "annotations": {
            "description": "The system has high CPU usage",
            "runbook_url": "https://myrunbook.com/runbook/1234",
            "summary": "This alert was triggered for zone eu-1",
        },
        "startsAt": "2021-10-12T09:56:03.157076+02:00",
        "endsAt": NOT_ENDED,
        "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
        "fingerprint": "bc97ff14869b13e3",
        "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1",
        "dashboardURL": "",
        "panelURL": "",
        "values": {"B": 44.23943737541908, "C": 1},
    },
]


def grafana(status: str = "firing") -> dict[str, Any]:
    """The webhook contact point's documented example: two alerts of team blue, all `status`."""
    alerts = copy.deepcopy(_GRAFANA_ALERTS)
    for alert in alerts:
        alert["status"] = status
        if status == "resolved":
            alert["endsAt"] = "2021-10-12T10:11:03.157076+02:00"
    count = f"{status.upper()}:{len(alerts)}"
    return {
        "receiver": "My Super Webhook",
        "status": status,
        "orgId": 1,
        "alerts": alerts,
        "groupLabels": {},
        "commonLabels": {"team": "blue"},
        "commonAnnotations": {},
        "externalURL": "https://play.grafana.org/",
        "version": "1",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "title": f"[{count}]  (blue)",
        "state": "alerting" if status == "firing" else "ok",
        "message": f"**{status.capitalize()}**\n\nValue: B=44.23943737541908, C=1\nLabels:\n - team = blue\n",
    }


def pagerduty_trigger(routing_key: str, dedup_key: str | None = "samplekeyhere") -> dict[str, Any]:
    """The Events API v2 trigger example of PagerDuty's documentation."""
    event: dict[str, Any] = {
        "payload": {
            "summary": "Example alert on host1.example.com",
            "timestamp": "2015-07-17T08:42:58.315+0000",
            "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
            "severity": "info",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "deploy",
            "custom_details": {"ping time": "1500ms", "load avg": 0.75},
        },
        "routing_key": routing_key,
        "dedup_key": dedup_key,
        "images": [
            {
                "src": "https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png",
                "href": "https://example.com/",
                "alt": "Example text",
            }
        ],
        "links": [{"href": "https://example.com/", "text": "Link text"}],
        "event_action": "trigger",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
    }
    if dedup_key is None:
        del event["dedup_key"]
    return event


def pagerduty_followup(routing_key: str, action: str, dedup_key: str = "samplekeyhere") -> dict[str, Any]:
    """An acknowledge or resolve event, as in PagerDuty's documentation."""
    return {"routing_key": routing_key, "dedup_key": dedup_key, "event_action": action}
