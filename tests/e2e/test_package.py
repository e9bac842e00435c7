"""The package as the Dockerfile installs it: a wheel, run away from the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.dockerfile import copied_into_build
from tests.e2e.processes import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # What the Dockerfile copies, built where the build leaves no trace in the source tree.
    source = tmp_path_factory.mktemp("source")
    for name in copied_into_build():
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
    )
    (built,) = out.glob("pager-*.whl")
    return built


def test_the_wheel_carries_the_migrations_and_the_example_config(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    for needed in (
        "adapters/db/alembic.ini",
        "adapters/db/migrations/env.py",
        "adapters/db/migrations/versions/0001_initial.py",
        "bot/example-config.yaml",
        "domain/pager.py",
    ):
        assert needed in names, needed
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


def test_the_wheel_carries_the_license_file_the_package_declares(wheel: Path) -> None:
    licenses = [
        name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".dist-info/licenses/LICENSE")
    ]

    assert len(licenses) == 1
    assert zipfile.ZipFile(wheel).read(licenses[0]) == (ROOT / "LICENSE").read_bytes()


def test_the_installed_package_migrates_a_database_and_reads_its_bundled_config(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAGER_", "PYTHONPATH"))}
    env.update(PYTHONPATH=str(site), PAGER_DATABASE_URL=f"sqlite:///{home / 'pager.db'}")

    def pager(*args: str) -> subprocess.CompletedProcess[str]:
        code = "import sys; from bot.cli import main; sys.argv[0] = 'pager'; main()"
        return subprocess.run(
            [sys.executable, "-c", code, *args], cwd=home, env=env, capture_output=True, text=True, timeout=60
        )

    upgraded = pager("db", "upgrade")
    status = pager("status")

    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert (home / "pager.db").stat().st_size > 0
    assert status.returncode == 0, status.stdout + status.stderr
    assert "payments" in status.stdout  # a service of the bundled example config
    imported = subprocess.run(
        [sys.executable, "-c", "import bot; print(bot.__file__)"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
    )
    assert imported.stdout.startswith(str(site))
