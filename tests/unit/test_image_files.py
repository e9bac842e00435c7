"""The Dockerfile and .dockerignore as files: the image carries what the package declares, and only that."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from tests.dockerfile import ROOT, Stage, copied_into_build, pairs, stages

NON_ROOT = "10001"


def declared_by_the_package() -> set[str]:
    """The files pyproject.toml names (readme, license files) and the top-level packages it includes."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project, setuptools = pyproject["project"], pyproject["tool"]["setuptools"]
    declared = {project["readme"], *project["license-files"], "pyproject.toml"}
    declared |= {pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]}
    declared |= {package.split(".")[0] for package in setuptools.get("package-data", {})}
    return declared


def final() -> Stage:
    return stages()[-1]


def final_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in final().arguments("ENV"):
        env.update(pairs(args))
    return env


def test_the_build_stage_copies_every_file_the_package_declares() -> None:
    assert declared_by_the_package() <= copied_into_build()
    assert "LICENSE" in copied_into_build()


def test_the_build_stage_copies_nothing_the_package_does_not_need() -> None:
    assert copied_into_build() <= declared_by_the_package()


def test_the_final_stage_takes_only_the_virtual_environment_from_the_build() -> None:
    copies = final().arguments("COPY")

    assert copies == ["--from=build /opt/venv /opt/venv"]
    assert final_env()["PATH"].split(":")[0] == "/opt/venv/bin"


def test_the_image_runs_as_a_fixed_numeric_user_and_group() -> None:
    (user,) = final().arguments("USER")
    (create,) = [args for args in final().arguments("RUN") if "useradd" in args]

    assert user == f"{NON_ROOT}:{NON_ROOT}"
    assert f"--uid {NON_ROOT}" in create and f"--gid {NON_ROOT}" in create


def test_the_health_check_is_the_pager_health_command() -> None:
    (check,) = final().arguments("HEALTHCHECK")
    options, _, command = check.partition(" CMD ")

    assert json.loads(command) == ["pager", "health"]
    assert "--timeout=" in options  # pager health gives up after 2 s; Docker's own timeout is a backstop


def test_the_image_listens_on_every_address_on_the_exposed_port() -> None:
    host, _, port = final_env()["PAGER_BIND"].rpartition(":")

    assert host == "0.0.0.0"
    assert final().arguments("EXPOSE") == [port]


def test_the_image_is_labelled_with_its_source_version_license_title_and_description() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    labels: dict[str, str] = {}
    for args in final().arguments("LABEL"):
        labels.update(pairs(args))
    defaults = {k: v for args in final().arguments("ARG") for k, v in [args.split("=", 1)]}

    assert {"source", "version", "licenses", "title", "description"} <= {
        key.removeprefix("org.opencontainers.image.") for key in labels
    }
    assert labels["org.opencontainers.image.licenses"] == pyproject["license"]
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    assert defaults["VERSION"] == pyproject["version"]


def test_pip_keeps_no_cache_and_both_stages_start_from_the_same_slim_base() -> None:
    build, last = stages()
    build_env: dict[str, str] = {}
    for args in build.arguments("ENV"):
        build_env.update(pairs(args))

    assert build_env["PIP_NO_CACHE_DIR"] == "1"
    assert build.base == last.base == "${PYTHON_IMAGE}"
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.\d+-slim", (ROOT / "Dockerfile").read_text())


# .dockerignore, as Docker reads it: the last pattern matching a path, or one of its parent directories, wins.


def ignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """(excludes?, pattern) in file order."""
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        excludes = not line.startswith("!")
        glob = line.lstrip("!").strip("/")
        regex = re.escape(glob).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
        patterns.append((excludes, re.compile(regex)))
    return patterns


def in_build_context(path: str) -> bool:
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for excludes, pattern in ignore_patterns():
        if any(pattern.fullmatch(candidate) for candidate in candidates):
            excluded = excludes
    return not excluded


def package_files() -> list[str]:
    """Every file of the packages the wheel is built from, as the source tree holds them."""
    files = []
    for package in ("domain", "adapters", "bot"):
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files.append(path.relative_to(ROOT).as_posix())
    return files


def test_every_file_the_build_copies_is_in_the_build_context() -> None:
    outside = [
        path
        for source in sorted(copied_into_build())
        for path in ([source] if (ROOT / source).is_file() else package_files())
        if path.startswith(source) and not in_build_context(path)
    ]

    assert package_files() and outside == []


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        ".venv/bin/python",
        ".hypothesis/examples/x",
        ".mypy_cache/3.11/x.json",
        "tests/conftest.py",
        "bench/harness.py",
        "docs/notes.md",
        "build/lib/bot/cli.py",
        "dist/pager-0.1.0-py3-none-any.whl",
        "pager.egg-info/PKG-INFO",
        "pager.db",
        "pager.db-wal",
        "bot/pager.db",
        "bot/__pycache__/cli.cpython-311.pyc",
        "deploy/pager.env",
        "deploy/kubernetes/pager.env",
    ],
)
def test_the_build_context_leaves_out(path: str) -> None:
    assert not in_build_context(path)
