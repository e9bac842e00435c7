"""The config text read as YAML: `${VAR}` expansion, secret masking, and problems reported at a path."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]

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


class Problems:
    """The problems found in a config file, each at its path; `rendered` masks secrets read from `${VAR}`."""

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
        return [self._scrub(f"{dotted(loc)}: {message}" if loc else message) for loc, message in self.found]

    def _scrub(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) >= _MIN_SECRET_LENGTH:
                text = text.replace(secret, "***")
        return text


def dotted(loc: Loc) -> str:
    """`loc` written as in the file's own terms: `services.payments.integration_keys[0]`."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _plain(details: ErrorDetails) -> str:
    error = details.get("ctx", {}).get("error")
    if details["type"] == "value_error" and error is not None:
        return str(error)
    template = _PLAIN_MESSAGES.get(details["type"])
    if template is None:
        return details["msg"]
    return template.format(input=details.get("input"), **details.get("ctx", {}))


# libyaml's parser when PyYAML has it: a config of thousands of services loads several times faster, in half
# the memory, with the same safe constructor.
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
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


def load_yaml(text: str, problems: Problems) -> object:
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


def expand(value: object, loc: Loc, env: Mapping[str, str], problems: Problems) -> object:
    """`value` with `${VAR}` and `${VAR:-default}` replaced in every string it holds."""
    if isinstance(value, dict):
        return {key: expand(item, (*loc, str(key)), env, problems) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, (*loc, index), env, problems) for index, item in enumerate(value)]
    if isinstance(value, str):
        return _ENV_VAR.sub(lambda match: _variable(match, loc, env, problems), value)
    return value


def _variable(match: re.Match[str], loc: Loc, env: Mapping[str, str], problems: Problems) -> str:
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
