"""The YAML config file read into the domain's catalog, with every problem reported at its path."""

from __future__ import annotations

import difflib
import hashlib
import hmac
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot import config_schema as schema
from bot.config_heartbeats import HeartbeatSpec, by_name, heartbeat
from bot.config_maintenance import maintenance_windows
from bot.config_notify import LocatedProblem
from bot.config_oncall import apply_overrides
from bot.config_rotations import rotation, spec_for
from bot.config_yaml import Loc, Problems, dotted, expand, load_yaml
from bot.durations import parse_duration
from domain.maintenance import MaintenanceWindow
from domain.model import Catalog, RotationId, ServiceId, TargetKind

__all__ = ["ConfigError", "PagerConfig", "load_config", "parse_config", "parse_duration"]

S = TypeVar("S", bound=BaseModel)
T = TypeVar("T")


class ConfigError(Exception):
    """The config file cannot be used; `problems` says why, each as `path: problem`."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


class KeyRing(Mapping[str, ServiceId]):
    """Integration keys and their services. A presented key is looked up by its SHA-256 digest, so the
    cost does not grow with the number of services, and the key found is still compared in constant time
    (as is a dummy when none is found)."""

    def __init__(self, keys: Mapping[str, ServiceId]) -> None:
        self._keys = dict(keys)
        self._by_digest = {_digest(key): (key, service) for key, service in self._keys.items()}

    def service_for(self, presented: str) -> ServiceId | None:
        key, service = self._by_digest.get(_digest(presented), ("", None))
        return service if hmac.compare_digest(key.encode(), presented.encode()) else None

    def __getitem__(self, key: str) -> ServiceId:
        return self._keys[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:  # the keys are secrets
        return f"KeyRing({len(self)} keys)"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


@dataclass(frozen=True)
class PagerConfig:
    """A checked config. A service may have no integration key: then only the API can page it."""

    catalog: Catalog
    integration_keys: KeyRing = field(repr=False)
    source: str
    grafana_secrets: Mapping[ServiceId, str] = field(default_factory=dict, repr=False)
    maintenance: tuple[MaintenanceWindow, ...] = ()  # planned windows, stored when the pager starts


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
    problems = Problems()
    config = _parse(text, source, env, problems)
    if config is None or problems.found:
        raise ConfigError(source, problems.rendered())
    return config


def _parse(text: str, source: str, env: Mapping[str, str], problems: Problems) -> PagerConfig | None:
    raw = load_yaml(text, problems)
    sections = None if raw is None else _sections(expand(raw, (), env, problems), problems)
    if sections is None:
        return None
    people = _section("people", sections.people, schema.PersonSpec, schema.person, problems)
    rotations = _section("rotations", sections.rotations, spec_for, rotation, problems)
    rotations = apply_overrides(
        sections.overrides, rotations, sections.people, problems.add, problems.add_validation
    )
    policies = _section(
        "escalation_policies", sections.escalation_policies, schema.PolicySpec, schema.policy, problems
    )
    services = _section("services", sections.services, schema.ServiceSpec, schema.service, problems)
    heartbeats = _section("heartbeats", sections.heartbeats, HeartbeatSpec, heartbeat, problems)
    _check_references(dict(sections), problems)
    windows = maintenance_windows(
        sections.maintenance, sections.services, problems.add, problems.add_validation
    )
    catalog = Catalog(
        people={person.id: person for person in people},
        policies={policy.id: policy for policy in policies},
        services={service.id: service for service in services},
        rotations={RotationId(rotation.id): rotation for rotation in rotations},
        heartbeats=by_name(heartbeats, {service.id: service for service in services}),
    )
    return PagerConfig(
        catalog,
        KeyRing(_integration_keys(dict(sections), problems)),
        source,
        grafana_secrets=MappingProxyType(_grafana_secrets(dict(sections))),
        maintenance=windows,
    )


def _sections(data: object, problems: Problems) -> schema.Sections | None:
    if not isinstance(data, dict):
        problems.add((), "expected a mapping with people, rotations, escalation_policies and services")
        return None
    try:
        return schema.Sections.model_validate(data)
    except ValidationError as exc:
        problems.add_validation(exc, ())
        return None


def _section(
    name: str,
    raw: Mapping[str, object],
    model: type[S] | Callable[[object], type[S]],
    build: Callable[[str, S], T],
    problems: Problems,
) -> list[T]:
    """The domain objects `build` makes of each entry of a section that passes its checks; `model` is the
    entries' spec, or picks one for each entry."""
    built: list[T] = []
    for key, value in raw.items():
        spec: type[S] = model if isinstance(model, type) else model(value)
        try:
            built.append(build(key, spec.model_validate(value)))
        except ValidationError as exc:
            problems.add_validation(exc, (name, key))
        except LocatedProblem as exc:
            problems.add((name, key, *exc.loc), str(exc))
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


def _check_references(sections: Mapping[str, object], problems: Problems) -> None:
    # Checked on the raw sections, so that the references of an entry with another problem are checked too.
    members = [*_at(sections, ("rotations", "*", "members", "*"))]
    members += _at(sections, ("rotations", "*", "layers", "*", "members", "*"))
    for loc, member in members:
        _check_known(loc, "person", member, sections["people"], problems)
    for loc, text in _at(sections, ("escalation_policies", "*", "levels", "*", "targets", "*")):
        try:
            target = schema.target(text)
        except ValueError:
            continue  # already reported with the policy's other problems
        known = {TargetKind.PERSON: sections["people"], TargetKind.ROTATION: sections["rotations"]}
        if target.kind in known:
            _check_known(loc, target.kind.value, target.ref, known[target.kind], problems)
    for loc, policy in _at(sections, ("services", "*", "escalation_policy")):
        _check_known(loc, "escalation policy", policy, sections["escalation_policies"], problems)
    for loc, service in _at(sections, ("heartbeats", "*", "service")):
        _check_known(loc, "service", service, sections["services"], problems)


def _check_known(loc: Loc, kind: str, ref: object, known: object, problems: Problems) -> None:
    if isinstance(ref, str) and isinstance(known, dict) and ref not in known:
        close = difflib.get_close_matches(ref, list(known), n=1)
        problems.add(loc, f"unknown {kind} {ref!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))


def _integration_keys(sections: Mapping[str, object], problems: Problems) -> dict[str, ServiceId]:
    first_use: dict[str, Loc] = {}
    for loc, key in _at(sections, ("services", "*", "integration_keys", "*")):
        if not isinstance(key, str) or not key:
            continue
        if key in first_use:  # said without the key, which is a secret
            problems.add(loc, f"integration key already used at {dotted(first_use[key])}")
        else:
            first_use[key] = loc
    return {key: ServiceId(str(loc[1])) for key, loc in first_use.items()}


def _grafana_secrets(sections: Mapping[str, object]) -> dict[ServiceId, str]:
    """Each service's shared secret for Grafana's webhook signature (checked with the other service keys)."""
    found = _at(sections, ("services", "*", "grafana_secret"))
    return {ServiceId(str(loc[1])): secret for loc, secret in found if isinstance(secret, str) and secret}
