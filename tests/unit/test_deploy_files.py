"""deploy/: Compose and Kubernetes files that parse, set only variables the pager reads, probe its routes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.config import load_config
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
PAGER_SERVICES = ("pager-1", "pager-2")
NON_ROOT = 10001
DEFAULT_PORT = int(Settings().bind.rpartition(":")[2])
# What the postgres image reads (its documented variables).
POSTGRES_IMAGE_READS = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PGDATA"}


class Reads(dict[str, str]):
    """An environment that remembers every variable looked up in it."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        super().__init__(values or {})
        self.names: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.names.add(key)
        return super().get(key, default)


def read_by_the_settings() -> set[str]:
    env = Reads()
    Settings.from_env(env)
    return env.names


def env_file(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def filled(values: dict[str, str]) -> dict[str, str]:
    """The example with every blank filled in, as a user fills it."""
    return {name: value or f"{name.lower()}-0123456789abcdef" for name, value in values.items()}


def read_by_the_config(config: Path, env: dict[str, str]) -> set[str]:
    recorder = Reads(filled(env))
    load_config(config, env=recorder)
    return recorder.names


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def manifests() -> dict[str, dict[str, Any]]:
    """The Kubernetes objects kustomization.yaml lists, by kind."""
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    found = {}
    for resource in kustomization["resources"]:
        for doc in yaml.safe_load_all((KUBERNETES / resource).read_text()):
            found[doc["kind"]] = doc
    return found


def pod_spec() -> dict[str, Any]:
    spec: dict[str, Any] = manifests()["Deployment"]["spec"]["template"]["spec"]
    return spec


def container() -> dict[str, Any]:
    (only,) = pod_spec()["containers"]
    assert isinstance(only, dict)
    return only


def container_env() -> dict[str, str]:
    return {item["name"]: item["value"] for item in container()["env"]}


def port_of(bind: str) -> int:
    return int(bind.rpartition(":")[2])


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.yaml")), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_deploy_file_parses_as_yaml(path: Path) -> None:
    assert [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.mark.parametrize("config", [DEPLOY / "pager.yaml", KUBERNETES / "pager.yaml"], ids=str)
def test_the_example_config_passes_the_pager_checks_once_its_env_file_is_filled(config: Path) -> None:
    env = filled(env_file(config.parent / "pager.env.example"))

    loaded = load_config(config, env=env)

    assert loaded.catalog.services and set(loaded.integration_keys) <= set(env.values())


def test_compose_sets_only_variables_the_pager_or_its_config_reads() -> None:
    example = env_file(DEPLOY / "pager.env.example")
    known = read_by_the_settings() | read_by_the_config(DEPLOY / "pager.yaml", example)
    interpolated = set(re.findall(r"\$\{(\w+)", (DEPLOY / "compose.yaml").read_text()))

    for name in PAGER_SERVICES:
        service = compose()["services"][name]
        assert service["env_file"] == ["pager.env"]
        assert set(service["environment"]) - known == set(), name
    assert set(example) - known - interpolated == set()
    assert set(compose()["services"]["postgres"]["environment"]) <= POSTGRES_IMAGE_READS


def test_kubernetes_sets_only_variables_the_pager_or_its_config_reads() -> None:
    example = env_file(KUBERNETES / "pager.env.example")
    known = read_by_the_settings() | read_by_the_config(KUBERNETES / "pager.yaml", example)

    assert set(container_env()) - known == set()
    assert set(example) - known == set()


@pytest.mark.parametrize("env_example", [DEPLOY, KUBERNETES], ids=["compose", "kubernetes"])
def test_the_example_env_files_as_shipped_are_valid_settings(env_example: Path) -> None:
    env = env_file(env_example / "pager.env.example")
    if env_example == DEPLOY:
        env.update({k: str(v) for k, v in compose()["services"]["pager-1"]["environment"].items()})

    settings = Settings.from_env(env)

    assert make_url(settings.database_url).get_backend_name() == "postgresql"


def test_compose_runs_two_replicas_on_a_healthy_pinned_postgres() -> None:
    services = compose()["services"]
    postgres = services["postgres"]

    assert re.fullmatch(r"postgres:\d+\.\d+[\w.-]*", postgres["image"])
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    for name in PAGER_SERVICES:
        pager = services[name]
        assert pager["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert pager["healthcheck"]["test"] == ["CMD", "pager", "health"]
        assert (
            pager["build"]["context"] == ".." and (DEPLOY / pager["build"]["context"] / "Dockerfile").exists()
        )
        assert "@postgres:5432/" in pager["environment"]["PAGER_DATABASE_URL"]


def test_compose_replicas_publish_the_port_they_listen_on_and_read_the_config_read_only() -> None:
    for name in PAGER_SERVICES:
        pager = compose()["services"][name]
        environment = pager["environment"]
        (published,) = pager["ports"]
        (mount,) = pager["volumes"]
        source, target, mode = mount.split(":")

        assert int(published.rpartition(":")[2]) == port_of(environment["PAGER_BIND"]) == DEFAULT_PORT
        assert (DEPLOY / source).resolve() == DEPLOY / "pager.yaml"
        assert target == environment["PAGER_CONFIG"] and mode == "ro"
        assert pager["read_only"] is True and pager["cap_drop"] == ["ALL"]


def test_kubernetes_probes_ask_the_app_routes_on_the_port_the_pager_listens_on() -> None:
    ports = {p["name"]: p["containerPort"] for p in container()["ports"]}
    probes = {
        kind: container()[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe", "startupProbe")
    }

    assert probes["livenessProbe"]["path"] == probes["startupProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert {ports[p["port"]] for p in probes.values()} == {port_of(container_env()["PAGER_BIND"])}
    assert port_of(container_env()["PAGER_BIND"]) == DEFAULT_PORT
    assert ports[manifests()["Service"]["spec"]["ports"][0]["targetPort"]] == DEFAULT_PORT


def test_kubernetes_runs_two_replicas_a_disruption_budget_of_one_and_a_service_selecting_them() -> None:
    objects = manifests()
    deployment = objects["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]

    assert deployment["spec"]["replicas"] == 2
    assert objects["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    assert objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert objects["Service"]["spec"]["selector"].items() <= labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_kubernetes_pods_run_as_the_image_user_without_privileges_on_a_read_only_root() -> None:
    pod, own = pod_spec()["securityContext"], container()["securityContext"]

    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == pod["runAsGroup"] == pod["fsGroup"] == NON_ROOT
    assert own["allowPrivilegeEscalation"] is False and own["readOnlyRootFilesystem"] is True
    assert own["capabilities"]["drop"] == ["ALL"]
    assert {"requests", "limits"} <= set(container()["resources"])
    assert "/tmp" in {mount["mountPath"] for mount in container()["volumeMounts"]}


def test_kubernetes_mounts_the_config_where_PAGER_CONFIG_points_and_reads_the_generated_secret() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    (config_map,) = kustomization["configMapGenerator"]
    (secret,) = kustomization["secretGenerator"]
    volumes = {v["name"]: v for v in pod_spec()["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container()["volumeMounts"]}
    (config_volume,) = [name for name, v in volumes.items() if "configMap" in v]

    assert volumes[config_volume]["configMap"]["name"] == config_map["name"]
    assert f"{mounts[config_volume]}/{config_map['files'][0]}" == container_env()["PAGER_CONFIG"]
    assert container()["envFrom"] == [{"secretRef": {"name": secret["name"]}}]
    assert [f"{name}.example" for name in secret["envs"]] == ["pager.env.example"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_the_manifests_once_the_env_file_is_made(tmp_path: Path) -> None:
    copy = shutil.copytree(KUBERNETES, tmp_path / "kubernetes")
    shutil.copy(copy / "pager.env.example", copy / "pager.env")

    built = subprocess.run(
        ["kubectl", "kustomize", str(copy)], capture_output=True, text=True, timeout=60, check=True
    )

    kinds = {doc["kind"] for doc in yaml.safe_load_all(built.stdout)}
    assert kinds == {"ConfigMap", "Secret", "Service", "Deployment", "PodDisruptionBudget"}
