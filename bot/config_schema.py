"""The config file's sections as pydantic specs, their value checks, and the domain objects they build."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    model_validator,
)

from bot.config_notify import notify_step, with_notify
from bot.config_oncall import hold_back, normalise_phone
from bot.durations import parse_duration
from domain.model import (
    DEFAULT_ACK_TIMEOUT,
    Channel,
    Contact,
    EscalationPolicy,
    Level,
    Person,
    PersonId,
    PolicyId,
    Service,
    ServiceId,
    Target,
    TargetKind,
)


def _matching(pattern: str, what: str) -> Callable[[object], str]:
    """A check that the value is a string matching `pattern`, said to be `what` when it is not."""

    def check(value: object) -> str:
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


_email = _matching(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an email address")
_slack_user = _matching(r"[UW][A-Z0-9]{2,}", "a Slack member id (like U012AB3CD, in the member's profile)")


def _phone(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('quote the number ("+336..."): unquoted, YAML reads it as an integer, without +')
    return normalise_phone(value)


def target(value: object) -> Target:
    """The escalation target written as `kind:ref`; raises ValueError when it is not one."""
    text = str(value)
    kind, _, ref = text.partition(":")
    # In a flow list, YAML keeps the quotes of `sms:"+336..."` as part of the string.
    if len(ref) >= 2 and ref[0] == ref[-1] and ref[0] in "\"'":
        text = f"{kind}:{ref[1:-1]}"
    parsed = Target.parse(text)
    if parsed.kind in (TargetKind.SMS, TargetKind.VOICE):
        return Target(parsed.kind, normalise_phone(parsed.ref))
    if parsed.kind is TargetKind.EMAIL:
        _email(parsed.ref)
    return parsed


def _duration(value: object) -> timedelta:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration like 30s, 5m, 1h30m or 7d")
    return parse_duration(str(value))


_Duration = Annotated[timedelta, PlainValidator(_duration)]
_NonEmptyText = Annotated[str, Field(min_length=1)]
# A section whose entries are all commented out is empty, not an error.
_Section = Annotated[dict[str, object], BeforeValidator(lambda value: {} if value is None else value)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonSpec(_Spec):
    name: _NonEmptyText | None = None
    sms: Annotated[str, PlainValidator(_phone)] | None = None
    voice: Annotated[str, PlainValidator(_phone)] | None = None
    phone: Annotated[str, PlainValidator(_phone)] | None = None  # both sms and voice
    email: Annotated[str, PlainValidator(_email)] | None = None
    slack: Annotated[str, PlainValidator(_slack_user)] | None = None
    fallback: list[Channel] = []
    notify: list[Annotated[tuple[Channel, timedelta], PlainValidator(notify_step)]] = []

    @model_validator(mode="after")
    def _phone_or_own_numbers(self) -> PersonSpec:
        if self.phone and (self.sms or self.voice):
            raise ValueError("phone sets both sms and voice: give phone, or sms and voice, not both")
        return self


class _LevelSpec(_Spec):
    targets: Annotated[list[Annotated[Target, PlainValidator(target)]], Field(min_length=1)]
    ack_timeout: _Duration | None = None


class PolicySpec(_Spec):
    levels: Annotated[list[_LevelSpec], Field(min_length=1)]
    ack_timeout: _Duration = DEFAULT_ACK_TIMEOUT
    repeat: Annotated[int, Field(ge=0)] = 0


class ServiceSpec(_Spec):
    escalation_policy: str
    name: _NonEmptyText | None = None
    integration_keys: list[_NonEmptyText] = []
    grafana_secret: _NonEmptyText | None = None


class Sections(_Spec):
    people: _Section = {}
    rotations: _Section = {}
    escalation_policies: _Section
    services: _Section
    heartbeats: _Section = {}
    overrides: Annotated[list[object], BeforeValidator(lambda value: [] if value is None else value)] = []
    maintenance: Annotated[list[object], BeforeValidator(lambda value: [] if value is None else value)] = []


def person(person_id: str, spec: PersonSpec) -> Person:
    sms, voice = spec.sms or spec.phone, spec.voice or spec.phone
    addresses = (
        (Channel.SMS, sms), (Channel.VOICE, voice), (Channel.EMAIL, spec.email), (Channel.SLACK, spec.slack)
    )  # fmt: skip
    contacts = tuple(Contact(channel, address) for channel, address in addresses if address)
    held = hold_back(Person(PersonId(person_id), spec.name or person_id, contacts), spec.fallback)
    return with_notify(held, spec.notify) if spec.notify else held


def policy(policy_id: str, spec: PolicySpec) -> EscalationPolicy:
    levels = tuple(Level(tuple(lvl.targets), lvl.ack_timeout or spec.ack_timeout) for lvl in spec.levels)
    return EscalationPolicy(PolicyId(policy_id), levels, spec.repeat)


def service(service_id: str, spec: ServiceSpec) -> Service:
    return Service(ServiceId(service_id), spec.name or service_id, PolicyId(spec.escalation_policy))
