"""Plain, typed facts extracted from a repository: where each one lives and what it says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from stale.model import Evidence


class CodebaseError(Exception):
    """A repository cannot be indexed (missing path, unreadable tree)."""


@dataclass(frozen=True)
class Location:
    """A place in a repository: repo name, repo-relative POSIX path, 1-based line."""

    repo: str
    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def evidence(
        self, text: str | None = None, commit: str | None = None, date: str | None = None
    ) -> Evidence:
        return Evidence(
            repo=self.repo, path=self.path, line=self.line, commit=commit, date=date, text=text
        )


@dataclass(frozen=True)
class SymbolDef:
    """A definition: `qualname` is "name" or "Class.method" inside `module`."""

    module: str | None
    qualname: str
    kind: str  # "function" | "class" | "method" | "variable"
    loc: Location

    @property
    def full_name(self) -> str:
        return f"{self.module}.{self.qualname}" if self.module else self.qualname


@dataclass(frozen=True)
class FlagDef:
    """A command-line option `name` ("--region", "-r") accepted by `program` (a file path)."""

    program: str
    name: str
    default: str | None
    loc: Location
    parser: str = ""  # argparse | click | typer | shell | getopts


@dataclass(frozen=True)
class Program:
    """A file that parses command-line flags. `complete` is True when every flag
    definition in it was read from literals (so a flag absent from it is absent)."""

    repo: str
    path: str
    module: str | None
    parser: str
    complete: bool


@dataclass(frozen=True)
class EnvVar:
    """An environment variable read or set. `how`: "read" (code reads it; default is the
    fallback), "set" (a value is assigned: Dockerfile ENV, compose, k8s, .env, export),
    "example" (.env.example-like files), "arg" (Dockerfile ARG)."""

    name: str
    default: str | None
    loc: Location
    how: str = "read"


@dataclass(frozen=True)
class KeyValue:
    """A configuration key (dotted path) and its scalar value (None for a mapping or a list)."""

    key: str
    value: str | None
    loc: Location
    raw: str | None = None  # the scalar as written, when it differs from `value`
    source: str = ""  # yaml | toml | json | ini | env | properties | python | make | docker


@dataclass(frozen=True)
class Route:
    """An HTTP route. `path` is normalised (params -> "{}"); `method` is None when unknown.
    `anchored` is False when a router prefix could not be resolved (path may be a suffix)."""

    method: str | None
    path: str
    raw: str
    loc: Location
    anchored: bool = True


@dataclass(frozen=True)
class VersionPin:
    """A pinned or constrained version of a technology, image or package."""

    name: str
    version: str  # as written: "3.11-slim", ">=3.10", "^18.2.0", "1.21"
    loc: Location
    source: str = "pin"  # "pin" (images, runtimes, toolchains) | "dependency" (a library)


@dataclass(frozen=True)
class CommandDef:
    """A runnable target: tool "make" (Makefile target) or "npm" (package.json script)."""

    tool: str
    name: str
    loc: Location


@dataclass(frozen=True)
class CommandFile:
    """A Makefile or package.json. `complete` is False when targets may be generated
    (pattern rules, variable targets, includes of files we cannot see)."""

    tool: str
    path: str
    repo: str
    complete: bool


@dataclass(frozen=True)
class CommitRef:
    """A commit as evidence: full sha, ISO 8601 date, author name."""

    sha: str
    date: str
    author: str = ""

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def ts(self) -> float:
        """POSIX time, for ordering commits whose dates carry different offsets."""
        try:
            return datetime.fromisoformat(self.date).timestamp()
        except ValueError:
            return 0.0

    @property
    def day(self) -> str:
        return self.date[:10]


@dataclass(frozen=True)
class PathEvent:
    """The last thing history did to a path that is gone now."""

    kind: str  # "deleted" | "renamed"
    path: str
    commit: CommitRef
    new_path: str | None = None  # for renamed: where it went (following later renames)
    new_path_exists: bool = False  # whether `new_path` exists at HEAD
    replaced_by: str | None = None  # deleted: a file added in the same commit that is at HEAD


@dataclass(frozen=True)
class Removal:
    """The most recent commit after which `token` no longer occurs in `path`."""

    token: str
    path: str
    commit: CommitRef
