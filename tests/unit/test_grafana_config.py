"""The per-service `grafana_secret` of the YAML config: read, checked, never shown."""

from __future__ import annotations

import pytest
import yaml

from bot.config import ConfigError, parse_config
from tests.unit.config_helpers import load, valid


def test_a_service_may_have_a_grafana_secret_read_from_the_environment() -> None:
    data = valid()
    data["services"]["payments"]["grafana_secret"] = "${GRAFANA_SECRET}"

    config = parse_config(yaml.safe_dump(data), "pager.yaml", {"GRAFANA_SECRET": "from-env-secret"})

    assert dict(config.grafana_secrets) == {"payments": "from-env-secret"}


def test_a_service_without_a_grafana_secret_has_none() -> None:
    assert dict(load(valid()).grafana_secrets) == {}


def test_an_empty_grafana_secret_is_refused() -> None:
    data = valid()
    data["services"]["payments"]["grafana_secret"] = ""

    with pytest.raises(ConfigError) as caught:
        load(data)

    assert caught.value.problems == ["services.payments.grafana_secret: must not be empty"]


def test_the_config_repr_does_not_show_grafana_secrets() -> None:
    data = valid()
    data["services"]["payments"]["grafana_secret"] = "grafana-shared-secret"

    assert "grafana-shared-secret" not in repr(load(data))
