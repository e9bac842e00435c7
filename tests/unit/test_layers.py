"""The hexagon's arrows point inward: bot → adapters → domain, and the domain stays pure."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPURE_STDLIB = {
    "os", "sys", "io", "socket", "smtplib", "sqlite3", "subprocess", "threading", "multiprocessing",
    "time", "random", "uuid", "secrets", "urllib", "http", "asyncio", "logging", "shutil", "tempfile",
}  # fmt: skip


def imports(package: str) -> Iterator[tuple[str, str]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield str(path.relative_to(ROOT)), name.split(".")[0]


def test_domain_imports_only_pure_standard_library_and_itself() -> None:
    allowed = (set(sys.stdlib_module_names) - IMPURE_STDLIB) | {"domain", "__future__"}
    offenders = [(where, name) for where, name in imports("domain") if name not in allowed]
    assert offenders == []


def test_domain_never_reads_the_clock_or_makes_random_ids() -> None:
    offenders = []
    for path in sorted((ROOT / "domain").rglob("*.py")):
        source = path.read_text()
        for forbidden in ("datetime.now(", "datetime.utcnow(", "date.today(", "uuid4(", "time.time("):
            if forbidden in source:
                offenders.append((path.name, forbidden))
    assert offenders == []


def test_adapters_never_import_the_driving_side() -> None:
    assert [(where, name) for where, name in imports("adapters") if name == "bot"] == []
