"""The collector extractors write facts into while one repository is indexed."""

from __future__ import annotations

from dataclasses import dataclass, field

from stale.codebase.facts import (
    CommandDef,
    CommandFile,
    EnvVar,
    FlagDef,
    KeyValue,
    Location,
    Program,
    Route,
    SymbolDef,
    VersionPin,
)
from stale.codebase.norm import normalize_route

NAME_ALIASES = {
    "nodejs": "node",
    "node.js": "node",
    "golang": "go",
    "postgresql": "postgres",
    "python3": "python",
    "cpython": "python",
}


def norm_tech(name: str) -> str:
    n = name.strip().lower()
    return NAME_ALIASES.get(n, n)


@dataclass
class FactSink:
    repo: str
    symbols: list[SymbolDef] = field(default_factory=list)
    modules: dict[str, str] = field(default_factory=dict)
    flags: list[FlagDef] = field(default_factory=list)
    programs: dict[str, Program] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # console-script name -> module/path
    go_binaries: list[tuple[str, str]] = field(default_factory=list)  # (binary, package dir)
    env: list[EnvVar] = field(default_factory=list)
    config: list[KeyValue] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    versions: list[VersionPin] = field(default_factory=list)
    commands: list[CommandDef] = field(default_factory=list)
    command_files: list[CommandFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def loc(self, path: str, line: int | None) -> Location:
        return Location(self.repo, path, line)

    def symbol(self, module: str | None, qualname: str, kind: str, path: str, line: int) -> None:
        self.symbols.append(SymbolDef(module, qualname, kind, self.loc(path, line)))

    def flag(
        self,
        program: str,
        name: str,
        default: str | None,
        path: str,
        line: int | None,
        parser: str,
    ) -> None:
        self.flags.append(FlagDef(program, name, default, self.loc(path, line), parser))

    def program(self, path: str, module: str | None, parser: str, complete: bool) -> None:
        old = self.programs.get(path)
        if old is not None:
            complete = complete and old.complete
            parser = old.parser if old.parser == parser else f"{old.parser}+{parser}"
        self.programs[path] = Program(self.repo, path, module, parser, complete)

    def env_var(
        self, name: str, default: str | None, path: str, line: int | None, how: str = "read"
    ) -> None:
        self.env.append(EnvVar(name, default, self.loc(path, line), how))

    def key(
        self,
        key: str,
        value: str | None,
        path: str,
        line: int | None,
        source: str,
        raw: str | None = None,
    ) -> None:
        self.config.append(KeyValue(key, value, self.loc(path, line), raw, source))

    def route(
        self, method: str | None, path_: str, raw: str, path: str, line: int, anchored: bool = True
    ) -> None:
        self.routes.append(
            Route(
                method.upper() if method else None,
                normalize_route(path_),
                raw,
                self.loc(path, line),
                anchored,
            )
        )

    def version(
        self, name: str, version: str, path: str, line: int | None, source: str = "pin"
    ) -> None:
        version = version.strip()
        if not name or not version:
            return
        self.versions.append(VersionPin(norm_tech(name), version, self.loc(path, line), source))

    def command(self, tool: str, name: str, path: str, line: int | None) -> None:
        self.commands.append(CommandDef(tool, name, self.loc(path, line)))

    def skip(self, path: str, reason: str) -> None:
        self.skipped.append((path, reason))

    def merge(self, other: FactSink) -> None:
        """Add the facts of `other` (one file's, read into a sink of its own) as if
        they had been written here: lists in order, programs merged as `program`
        merges them."""
        self.symbols += other.symbols
        self.modules.update(other.modules)
        self.flags += other.flags
        for prog in other.programs.values():
            self.program(prog.path, prog.module, prog.parser, prog.complete)
        self.aliases.update(other.aliases)
        self.go_binaries += other.go_binaries
        self.env += other.env
        self.config += other.config
        self.routes += other.routes
        self.versions += other.versions
        self.commands += other.commands
        self.command_files += other.command_files
        self.skipped += other.skipped
