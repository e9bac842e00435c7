"""The Dockerfile read as a file: its stages, their instructions, what the build copies from the context."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Stage:
    base: str
    lines: list[tuple[str, str]] = field(default_factory=list)  # (instruction, arguments)

    def arguments(self, instruction: str) -> list[str]:
        return [args for name, args in self.lines if name == instruction]


def stages() -> list[Stage]:
    """The Dockerfile's stages, each with its instructions, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            found.append(Stage(args.split()[0]))
        elif found:
            found[-1].lines.append((instruction.upper(), args.strip()))
    return found


def pairs(arguments: str) -> dict[str, str]:
    """ENV and LABEL arguments, `key=value` pairs."""
    return dict(word.split("=", 1) for word in shlex.split(arguments))


def copied_into_build() -> set[str]:
    """What the build stage copies from the build context."""
    sources: set[str] = set()
    for args in stages()[0].arguments("COPY"):
        if args.startswith("--from"):
            continue  # from another stage, not from the context
        words = [w for w in args.split() if not w.startswith("--")]
        sources.update(w.rstrip("/").removeprefix("./") for w in words[:-1])
    return sources
