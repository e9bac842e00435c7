"""Opsgenie services into Pager services: each with its team's route and a key per integration feeding it.

Opsgenie has no link from a service to an escalation. An integration hands its alerts to its owner team, and
the team's routing rules pick the escalation or schedule to notify, the default rule catching what no other
matches (https://support.atlassian.com/opsgenie/docs/configure-a-team-dashboard/,
https://docs.opsgenie.com/docs/team-routing-rule-api); a service belongs to a team (`teamId`,
https://docs.opsgenie.com/docs/service-api). So a Pager service pages what its team's default rule
notifies, and takes the integrations of its team (those naming it, the rest going to the team's first).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from bot.importers.api import Api, ident, reading
from bot.importers.opsgenie_data import Policies, Schedules, detail, listed, who
from bot.importers.plan import Plan

# Integrations that bring no alerts over HTTP: https://docs.opsgenie.com/docs/integration-api
_NOT_INCOMING = {
    "Email": "receives alerts by email, Pager over HTTP: not carried over",
    "Webhook": "sends Opsgenie's alerts elsewhere: not carried over",
}


@dataclass
class _Routes:
    """Which policy each team's default routing rule comes to, worked out once per team."""

    api: Api
    plan: Plan
    policies: Policies
    schedules: Schedules
    team_names: dict[str, str] = field(default_factory=dict)
    by_team: dict[str, str | None] = field(default_factory=dict)
    by_schedule: dict[str, str] = field(default_factory=dict)

    def team(self, team: str) -> str:
        """How notes name a team: by its name when the team list has it."""
        return f"team {self.team_names.get(team, team)}"

    def policy_for(self, team: str) -> str | None:
        if team not in self.by_team:
            self.by_team[team] = self._route(team) if team else None
        return self.by_team[team]

    def _route(self, team: str) -> str | None:
        rules = listed(self.api, f"/v2/teams/{team}/routing-rules")
        default = next((r for r in rules if r.get("isDefault")), rules[-1] if rules else None)
        for rule in rules:
            if rule is not default:
                self.plan.note(
                    f"{self.team(team)} routing rule {rule.get('name')!r}",
                    f"sends some alerts to {who(rule.get('notify'))}: not carried over, the default route "
                    "takes all",
                )
        notify = default.get("notify") if default else None
        kind, ref = (notify.get("type"), str(notify.get("id"))) if isinstance(notify, dict) else (None, "")
        if kind == "escalation" and ref in self.policies:
            return self.policies[ref]
        if kind == "schedule" and ref in self.schedules:
            return self._schedule_policy(team, ref)
        self.plan.note(self.team(team), f"its default route notifies {who(notify)}, which Pager cannot page")
        return None

    def _schedule_policy(self, team: str, schedule: str) -> str:
        """A one-level policy paging everyone on call in the schedule, for a team routed straight to it."""
        if schedule not in self.by_schedule:
            found = self.schedules[schedule]
            policy_id = self.plan.new_id("escalation_policies", f"{found.name}-policy")
            self.plan.escalation_policies[policy_id] = {"levels": [{"targets": found.targets()}]}
            self.plan.note(
                self.team(team),
                f"routes alerts straight to schedule {found.name}: "
                f"escalation_policies.{policy_id} pages it once",
            )
            self.by_schedule[schedule] = policy_id
        return self.by_schedule[schedule]


def import_services(api: Api, plan: Plan, policies: Policies, schedules: Schedules) -> None:
    """Every service whose team routes to something Pager has, with the keys of its team's integrations."""
    routes = _Routes(api, plan, policies, schedules)
    # Team names, for the notes: https://docs.opsgenie.com/docs/team-api
    routes.team_names = {str(t.get("id")): str(t.get("name")) for t in listed(api, "/v2/teams")}
    by_team: dict[str, list[str]] = {}
    services = api.items("/v1/services", "data")
    for service in sorted(services, key=lambda s: str(s.get("name") or "").casefold()):
        with reading(f"Opsgenie service {ident(service, 'name')}"):
            name = str(service.get("name") or service.get("id"))
            team = str(service.get("teamId") or "")
            policy = routes.policy_for(team)
            if policy is None:
                plan.note(f"service {name}", "its team routes alerts to nothing Pager has: not carried over")
                continue
            service_id = plan.new_id("services", name)
            plan.services[service_id] = {"name": name, "escalation_policy": policy}
            plan.mapped(f"Opsgenie service {name} ({service.get('id')})", f"services.{service_id}")
            by_team.setdefault(team, []).append(service_id)
    _integrations(api, plan, by_team)
    for service_id, spec in plan.services.items():
        if not spec.get("integration_keys"):
            plan.note(
                f"service {spec['name']}",
                f"no integration feeds services.{service_id}: only the API pages it",
            )


def _integrations(api: Api, plan: Plan, by_team: dict[str, list[str]]) -> None:
    for integration in listed(api, "/v2/integrations"):
        with reading(f"Opsgenie integration {ident(integration)}"):
            name, kind = str(integration.get("name")), str(integration.get("type"))
            source = f"integration {name} ({kind}, {integration.get('id')})"
            team = str(integration.get("teamId") or "")
            if integration.get("enabled") is False:
                plan.note(source, "disabled in Opsgenie: not carried over")
            elif kind in _NOT_INCOMING:
                plan.note(source, _NOT_INCOMING[kind])
            elif team not in by_team:
                plan.note(source, "belongs to no team with a service carried over: not carried over")
            else:
                service_id = _service_for(plan, name, by_team[team], source)
                keys = plan.services[service_id].setdefault("integration_keys", [])
                keys.append(_key(api, plan, integration, f"services.{service_id}", source))
                plan.mapped(f"Opsgenie {source}", f"services.{service_id}.integration_keys[{len(keys) - 1}]")


def _service_for(plan: Plan, integration: str, candidates: list[str], source: str) -> str:
    named = [s for s in candidates if str(plan.services[s]["name"]).casefold() in integration.casefold()]
    if named:
        return max(named, key=lambda s: len(str(plan.services[s]["name"])))
    if len(candidates) > 1:
        plan.note(
            source,
            f"Opsgenie ties integrations to teams, not services: its key went to services.{candidates[0]}",
        )
    return candidates[0]


def _key(api: Api, plan: Plan, integration: dict[str, Any], target: str, source: str) -> str:
    """The integration's own key when the API shows it; Opsgenie shows it only in the answer creating the
    integration (https://docs.opsgenie.com/docs/integration-api), so usually a new one."""
    found = detail(api, f"/v2/integrations/{integration.get('id')}").get("apiKey")
    if isinstance(found, str) and found:
        return found
    plan.note(source, f"Opsgenie does not show its API key: {target} has a new one, give it to the sender")
    return secrets.token_urlsafe(24)
