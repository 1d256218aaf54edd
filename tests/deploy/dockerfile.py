"""A small Dockerfile reader for the deploy tests: stages, instructions, ARG/ENV values.

It handles what deploy/Dockerfile uses (comments, backslash continuations, ARG
before FROM, `KEY=value` ENV pairs, JSON-form CMD/HEALTHCHECK), not every
corner of the Dockerfile grammar.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    args: str  # the rest, continuation lines joined with spaces
    line: int  # where it starts (1-based)


@dataclass
class Stage:
    base: str  # the image, with ${ARG}s resolved
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """The stage's ENV settings (later ones win)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in shlex.split(instruction.args):
                key, sep, value = word.partition("=")
                assert sep, f"line {instruction.line}: use ENV KEY=value, not {word!r}"
                values[key] = value
        return values

    def workdir(self, before: Instruction | None = None) -> str:
        """The WORKDIR in force at `before` (or at the end of the stage)."""
        current = "/"
        for instruction in self.instructions:
            if instruction is before:
                break
            if instruction.keyword == "WORKDIR":
                current = instruction.args.strip()
        return current


@dataclass
class Dockerfile:
    global_args: dict[str, str]
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"no stage named {name!r}")

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def instructions(text: str) -> list[Instruction]:
    out: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not parts):
            continue  # comments may sit inside a continuation too
        if not parts:
            start = number
        continued = stripped.endswith("\\")
        parts.append(stripped[:-1].strip() if continued else stripped)
        if not continued:
            joined = " ".join(p for p in parts if p)
            keyword, _, args = joined.partition(" ")
            out.append(Instruction(keyword.upper(), args.strip(), start))
            parts = []
    assert not parts, "the Dockerfile ends inside a continuation line"
    return out


def _substitute(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, "")

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", one, text)


def parse(path: Path) -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in instructions(path.read_text(encoding="utf-8")):
        if instruction.keyword == "ARG" and not stages:
            name, _, default = instruction.args.partition("=")
            global_args[name.strip()] = default.strip()
        elif instruction.keyword == "FROM":
            words = instruction.args.split()
            words = [w for w in words if not w.startswith("--platform")]
            base = _substitute(words[0], global_args)
            alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=alias))
        else:
            assert stages, f"line {instruction.line}: {instruction.keyword} before the first FROM"
            stages[-1].instructions.append(instruction)
    return Dockerfile(global_args, stages)


def exec_form(args: str) -> list[str]:
    """A JSON-form CMD/ENTRYPOINT/HEALTHCHECK CMD argument list."""
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return list(value)


def healthcheck_command(instruction: Instruction) -> list[str]:
    """The exec-form command of `HEALTHCHECK [--options] CMD [...]`."""
    options, sep, command = instruction.args.partition("CMD ")
    assert sep, f"line {instruction.line}: HEALTHCHECK without CMD"
    assert all(o.startswith("--") for o in options.split()), options
    return exec_form(command.strip())


def copy_args(instruction: Instruction) -> tuple[dict[str, str], list[str], str]:
    """`COPY [--flag=value ...] SRC... DEST` → (flags, sources, destination)."""
    words = shlex.split(instruction.args)
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    assert len(words) >= 2, f"line {instruction.line}: COPY needs a source and a destination"
    return flags, words[:-1], words[-1]
