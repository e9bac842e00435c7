"""The YAML config file read into the domain's catalog, with every problem reported at its path."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
)
from pydantic_core import ErrorDetails

from bot.config_oncall import apply_overrides, hold_back, normalise_phone
from bot.durations import parse_duration
from domain.model import (
    DEFAULT_ACK_TIMEOUT,
    Catalog,
    Channel,
    Contact,
    EscalationPolicy,
    Level,
    Person,
    PersonId,
    PolicyId,
    RotationId,
    Service,
    ServiceId,
    Target,
    TargetKind,
)
from domain.rotation import Rotation

__all__ = ["ConfigError", "PagerConfig", "load_config", "parse_config", "parse_duration"]

Loc = tuple[str | int, ...]
S = TypeVar("S", bound=BaseModel)
T = TypeVar("T")

_ENV_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")
# Shorter values are too likely to be ordinary words to scrub from messages, and too short to be secrets.
_MIN_SECRET_LENGTH = 4
_PLAIN_MESSAGES = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "list_type": "expected a list",
    "string_type": "expected a text value",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
    "timezone_aware": "{input!r} needs a UTC offset, like 2026-11-30T09:00:00+01:00",
    "zoneinfo_str": "{input!r} is not an IANA time zone (like Europe/Paris or UTC)",
    "greater_than_equal": "must be {ge} or more",
}


class ConfigError(Exception):
    """The config file cannot be used; `problems` says why, each as `path: problem`."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


@dataclass(frozen=True)
class PagerConfig:
    """A checked config. A service may have no integration key: then only the API can page it."""

    catalog: Catalog
    integration_keys: Mapping[str, ServiceId] = field(repr=False)
    source: str
    grafana_secrets: Mapping[ServiceId, str] = field(default_factory=dict, repr=False)


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> PagerConfig:
    """Read and check the config file at `path`; `${VAR}` reads `env`, the process environment by default."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, ["no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [f"cannot be read: {exc}"]) from None
    return parse_config(text, source, os.environ if env is None else env)


def parse_config(text: str, source: str, env: Mapping[str, str]) -> PagerConfig:
    """Check the YAML `text` read from `source`; raises ConfigError listing every problem found."""
    problems = _Problems()
    config = _parse(text, source, env, problems)
    if config is None or problems.found:
        raise ConfigError(source, problems.rendered())
    return config


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[Loc, str]] = []
        self.secrets: set[str] = set()
        self.unexpanded: set[Loc] = set()

    def add(self, loc: Loc, message: str) -> None:
        # A value left as `${VAR}` fails every later check too; its unset variable is the one problem to fix.
        if loc not in self.unexpanded:
            self.found.append((loc, message))

    def add_validation(self, error: ValidationError, prefix: Loc) -> None:
        for details in error.errors():
            self.add((*prefix, *details["loc"]), _plain(details))

    def rendered(self) -> list[str]:
        return [self._scrub(f"{_path(loc)}: {message}" if loc else message) for loc, message in self.found]

    def _scrub(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) >= _MIN_SECRET_LENGTH:
                text = text.replace(secret, "***")
        return text


def _path(loc: Loc) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _plain(details: ErrorDetails) -> str:
    error = details.get("ctx", {}).get("error")
    if details["type"] == "value_error" and error is not None:
        return str(error)
    template = _PLAIN_MESSAGES.get(details["type"])
    if template is None:
        return details["msg"]
    return template.format(input=details.get("input"), **details.get("ctx", {}))


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys; a second `payments:` must not silently replace the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key_node.tag != "tag:yaml.org,2002:merge":
                if key in seen:
                    raise yaml.MarkedYAMLError(
                        problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep)


def _load_yaml(text: str, problems: _Problems) -> object:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problems.add((), f"{where}{exc.problem or exc.context}")
        return None
    except yaml.YAMLError as exc:
        problems.add((), f"not valid YAML: {exc}")
        return None
    if data is None:
        problems.add((), "the file is empty")
    return data


def _expand(value: object, loc: Loc, env: Mapping[str, str], problems: _Problems) -> object:
    """`value` with `${VAR}` and `${VAR:-default}` replaced in every string it holds."""
    if isinstance(value, dict):
        return {key: _expand(item, (*loc, str(key)), env, problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, (*loc, index), env, problems) for index, item in enumerate(value)]
    if isinstance(value, str):
        return _ENV_VAR.sub(lambda match: _variable(match, loc, env, problems), value)
    return value


def _variable(match: re.Match[str], loc: Loc, env: Mapping[str, str], problems: _Problems) -> str:
    name, default, value = match["name"], match["default"], env.get(match["name"])
    if value:
        problems.secrets.add(value)
        return value
    if default is not None:  # as in the shell, `:-` also stands in for a variable that is set but empty
        return default
    if value is None:
        problems.add(loc, f"environment variable {name} is not set (${{{name}:-default}} gives a default)")
        problems.unexpanded.add(loc)
        return match[0]
    return value


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


def _target(value: object) -> Target:
    text = str(value)
    kind, _, ref = text.partition(":")
    # In a flow list, YAML keeps the quotes of `sms:"+336..."` as part of the string.
    if len(ref) >= 2 and ref[0] == ref[-1] and ref[0] in "\"'":
        text = f"{kind}:{ref[1:-1]}"
    target = Target.parse(text)
    if target.kind is TargetKind.SMS:
        return Target(target.kind, normalise_phone(target.ref))
    if target.kind is TargetKind.EMAIL:
        _email(target.ref)
    return target


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


class _PersonSpec(_Spec):
    name: _NonEmptyText | None = None
    sms: Annotated[str, PlainValidator(_phone)] | None = None
    email: Annotated[str, PlainValidator(_email)] | None = None
    slack: Annotated[str, PlainValidator(_slack_user)] | None = None
    fallback: list[Channel] = []


class _RotationSpec(_Spec):
    members: Annotated[list[str], Field(min_length=1)]
    start: AwareDatetime
    shift: _Duration
    timezone: ZoneInfo


class _LevelSpec(_Spec):
    targets: Annotated[list[Annotated[Target, PlainValidator(_target)]], Field(min_length=1)]
    ack_timeout: _Duration | None = None


class _PolicySpec(_Spec):
    levels: Annotated[list[_LevelSpec], Field(min_length=1)]
    ack_timeout: _Duration = DEFAULT_ACK_TIMEOUT
    repeat: Annotated[int, Field(ge=0)] = 0


class _ServiceSpec(_Spec):
    escalation_policy: str
    name: _NonEmptyText | None = None
    integration_keys: list[_NonEmptyText] = []
    grafana_secret: _NonEmptyText | None = None


class _Sections(_Spec):
    people: _Section = {}
    rotations: _Section = {}
    escalation_policies: _Section
    services: _Section
    overrides: Annotated[list[object], BeforeValidator(lambda value: [] if value is None else value)] = []


def _parse(text: str, source: str, env: Mapping[str, str], problems: _Problems) -> PagerConfig | None:
    raw = _load_yaml(text, problems)
    sections = None if raw is None else _sections(_expand(raw, (), env, problems), problems)
    if sections is None:
        return None
    people = _section("people", sections.people, _PersonSpec, _person, problems)
    rotations = _section("rotations", sections.rotations, _RotationSpec, _rotation, problems)
    rotations = apply_overrides(
        sections.overrides, rotations, sections.people, problems.add, problems.add_validation
    )
    policies = _section("escalation_policies", sections.escalation_policies, _PolicySpec, _policy, problems)
    services = _section("services", sections.services, _ServiceSpec, _service, problems)
    _check_references(dict(sections), problems)
    catalog = Catalog(
        people={person.id: person for person in people},
        policies={policy.id: policy for policy in policies},
        services={service.id: service for service in services},
        rotations={RotationId(rotation.id): rotation for rotation in rotations},
    )
    return PagerConfig(
        catalog,
        MappingProxyType(_integration_keys(dict(sections), problems)),
        source,
        grafana_secrets=MappingProxyType(_grafana_secrets(dict(sections))),
    )


def _sections(data: object, problems: _Problems) -> _Sections | None:
    if not isinstance(data, dict):
        problems.add((), "expected a mapping with people, rotations, escalation_policies and services")
        return None
    try:
        return _Sections.model_validate(data)
    except ValidationError as exc:
        problems.add_validation(exc, ())
        return None


def _section(
    name: str, raw: Mapping[str, object], model: type[S], build: Callable[[str, S], T], problems: _Problems
) -> list[T]:
    """The domain objects `build` makes of each entry of a section that passes its checks."""
    built: list[T] = []
    for key, value in raw.items():
        try:
            built.append(build(key, model.model_validate(value)))
        except ValidationError as exc:
            problems.add_validation(exc, (name, key))
        except ValueError as exc:  # the domain's own invariants, InvalidPolicy included
            problems.add((name, key), str(exc))
    return built


def _at(value: object, pattern: Sequence[str], loc: Loc = ()) -> Iterator[tuple[Loc, object]]:
    """Each value in the raw tree whose path matches `pattern`, where `*` is any key or index."""
    if not pattern:
        yield loc, value
        return
    head, rest = pattern[0], pattern[1:]
    children: Any = ()
    if isinstance(value, dict):
        children = value.items() if head == "*" else [(head, value[head])] if head in value else ()
    elif isinstance(value, list) and head == "*":
        children = enumerate(value)
    for key, child in children:
        yield from _at(child, rest, (*loc, key))


def _check_references(sections: Mapping[str, object], problems: _Problems) -> None:
    # Checked on the raw sections, so that the references of an entry with another problem are checked too.
    for loc, member in _at(sections, ("rotations", "*", "members", "*")):
        _check_known(loc, "person", member, sections["people"], problems)
    for loc, text in _at(sections, ("escalation_policies", "*", "levels", "*", "targets", "*")):
        try:
            target = _target(text)
        except ValueError:
            continue  # already reported with the policy's other problems
        known = {TargetKind.PERSON: sections["people"], TargetKind.ROTATION: sections["rotations"]}
        if target.kind in known:
            _check_known(loc, target.kind.value, target.ref, known[target.kind], problems)
    for loc, policy in _at(sections, ("services", "*", "escalation_policy")):
        _check_known(loc, "escalation policy", policy, sections["escalation_policies"], problems)


def _check_known(loc: Loc, kind: str, ref: object, known: object, problems: _Problems) -> None:
    if isinstance(ref, str) and isinstance(known, dict) and ref not in known:
        close = difflib.get_close_matches(ref, list(known), n=1)
        problems.add(loc, f"unknown {kind} {ref!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))


def _integration_keys(sections: Mapping[str, object], problems: _Problems) -> dict[str, ServiceId]:
    first_use: dict[str, Loc] = {}
    for loc, key in _at(sections, ("services", "*", "integration_keys", "*")):
        if not isinstance(key, str) or not key:
            continue
        if key in first_use:  # said without the key, which is a secret
            problems.add(loc, f"integration key already used at {_path(first_use[key])}")
        else:
            first_use[key] = loc
    return {key: ServiceId(str(loc[1])) for key, loc in first_use.items()}


def _grafana_secrets(sections: Mapping[str, object]) -> dict[ServiceId, str]:
    """Each service's shared secret for Grafana's webhook signature (checked with the other service keys)."""
    found = _at(sections, ("services", "*", "grafana_secret"))
    return {ServiceId(str(loc[1])): secret for loc, secret in found if isinstance(secret, str) and secret}


def _person(person_id: str, spec: _PersonSpec) -> Person:
    addresses = ((Channel.SMS, spec.sms), (Channel.EMAIL, spec.email), (Channel.SLACK, spec.slack))
    contacts = tuple(Contact(channel, address) for channel, address in addresses if address)
    return hold_back(Person(PersonId(person_id), spec.name or person_id, contacts), spec.fallback)


def _rotation(rotation_id: str, spec: _RotationSpec) -> Rotation:
    # pydantic gives the start its own tzinfo class; the domain gets the standard library's.
    start = spec.start.replace(tzinfo=timezone(spec.start.utcoffset() or timedelta(0)))
    return Rotation(rotation_id, tuple(spec.members), start, spec.shift, spec.timezone)


def _policy(policy_id: str, spec: _PolicySpec) -> EscalationPolicy:
    levels = tuple(Level(tuple(lvl.targets), lvl.ack_timeout or spec.ack_timeout) for lvl in spec.levels)
    return EscalationPolicy(PolicyId(policy_id), levels, spec.repeat)


def _service(service_id: str, spec: _ServiceSpec) -> Service:
    return Service(ServiceId(service_id), spec.name or service_id, PolicyId(spec.escalation_policy))
