"""CodeIndex: every checkable fact of one repository at HEAD; Codebase: all repos."""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from stale.codebase.cfgextract import (
    extract_dotenv,
    extract_ini,
    extract_json,
    extract_properties,
    extract_toml,
    extract_yaml,
)
from stale.codebase.facts import (
    CodebaseError,
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
from stale.codebase.gitutil import cat_blobs, ls_tree, run_git, run_git_text
from stale.codebase.history import GitHistory, is_doc_path
from stale.codebase.norm import has_token, key_parts, key_tuple, norm_key
from stale.codebase.pyextract import extract_python
from stale.codebase.sink import FactSink, norm_tech
from stale.codebase.textextract import (
    extract_dockerfile,
    extract_go,
    extract_js,
    extract_makefile,
    extract_requirements,
    extract_shell,
    extract_terraform,
    extract_version_file,
    is_shell_shebang,
)

if TYPE_CHECKING:
    from stale.config import LimitsConfig

MAX_FILE_BYTES = 1024 * 1024
BINARY_SNIFF = 8192
SKIP_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        ".venv",
        "venv",
        "vendor",
        "dist",
        "build",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
    }
)
_VERSION_FILES = frozenset(
    {
        ".python-version",
        ".nvmrc",
        ".node-version",
        ".ruby-version",
        ".go-version",
        ".tool-versions",
        "go.mod",
        "runtime.txt",
    }
)
_SKIP_JSON = frozenset({"package-lock.json", "composer.lock", "npm-shrinkwrap.json"})

Extractor = Callable[[str, str, FactSink], None]


def _extractor_for(path: str, files: set[str]) -> Extractor | None:
    """Which extractor reads this file, by name alone (None: not by name)."""
    base = path.rsplit("/", 1)[-1]
    low = base.lower()
    ext = low.rsplit(".", 1)[-1] if "." in low else ""
    if base in _VERSION_FILES:
        return extract_version_file
    if low in ("makefile", "gnumakefile") or ext == "mk":
        return lambda p, t, s: extract_makefile(p, t, s, files)
    if low.startswith(("dockerfile", "containerfile")) or ext == "dockerfile":
        return extract_dockerfile
    if low == ".env" or low.startswith(".env.") or ext == "env":
        return extract_dotenv
    if re.fullmatch(r"(requirements|constraints)[\w.-]*\.(txt|in)", low):
        return extract_requirements
    if ext == "py" or ext == "pyi":
        return extract_python
    if ext in ("yml", "yaml"):
        return extract_yaml
    if ext == "toml" or low == "pipfile":
        return extract_toml
    if ext == "json" and low not in _SKIP_JSON:
        return extract_json
    if ext in ("ini", "cfg"):
        return extract_ini
    if ext == "properties":
        return extract_properties
    if ext in ("sh", "bash", "zsh", "ksh"):
        return extract_shell
    if ext in ("js", "jsx", "ts", "tsx", "mjs", "cjs"):
        return extract_js
    if ext == "go":
        return extract_go
    if ext == "tf":
        return extract_terraform
    return None


def _needs_content(path: str, files: set[str]) -> bool:
    if _extractor_for(path, files) is not None:
        return True
    base = path.rsplit("/", 1)[-1]
    return "." not in base  # may be a script with a shebang


def _in_skipped_dir(path: str) -> bool:
    return any(part in SKIP_DIRS for part in path.split("/")[:-1])


@dataclass
class CodeIndex:
    """What one repository says at HEAD (or, for a plain directory, on disk)."""

    name: str
    root: Path
    head: str | None  # commit sha for a git repo; content hash for a plain directory
    is_git: bool
    files: set[str] = field(default_factory=set)
    dirs: set[str] = field(default_factory=set)
    modules: dict[str, str] = field(default_factory=dict)  # dotted module -> path
    symbols: dict[str, list[SymbolDef]] = field(default_factory=dict)  # by leaf name
    flags: dict[str, list[FlagDef]] = field(default_factory=dict)  # by flag name
    program_flags: dict[str, list[FlagDef]] = field(default_factory=dict)  # by program path
    programs: dict[str, Program] = field(default_factory=dict)  # by path
    aliases: dict[str, str] = field(default_factory=dict)  # console script -> module/path
    env: dict[str, list[EnvVar]] = field(default_factory=dict)
    config: dict[str, list[KeyValue]] = field(default_factory=dict)  # by normalised leaf
    routes: list[Route] = field(default_factory=list)
    versions: dict[str, list[VersionPin]] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[CommandDef]] = field(default_factory=dict)
    command_files: list[CommandFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    history: GitHistory | None = None
    _basenames: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _grep_cache: dict[str, list[tuple[Location, str]]] = field(default_factory=dict, repr=False)
    _config_cache: dict[str, tuple[tuple[KeyValue, ...], tuple[KeyValue, ...]]] = field(
        default_factory=dict, repr=False
    )

    # ------------------------------------------------------------ paths

    def has_path(self, path: str) -> bool:
        return path in self.files or path in self.dirs

    def by_basename(self, name: str) -> list[str]:
        return self._basenames.get(name, [])

    def by_suffix(self, path: str) -> list[str]:
        """Files or directories ending with "/" + path."""
        leaf = path.rsplit("/", 1)[-1]
        tail = "/" + path
        out = [f for f in self.by_basename(leaf) if f.endswith(tail)]
        out += sorted(d for d in self.dirs if d.endswith(tail))
        return out

    def loc(self, path: str, line: int | None = None) -> Location:
        return Location(self.name, path, line)

    # ------------------------------------------------------------ lookups

    def find_symbols(self, subject: str) -> list[SymbolDef]:
        """Definitions `subject` names: "name", "Class.method", "module.name",
        "module.Class.method", or a dotted suffix of the full name."""
        subject = subject.strip().removesuffix("()")
        leaf = subject.rsplit(".", 1)[-1]
        out = []
        for sym in self.symbols.get(leaf, []):
            full = sym.full_name
            if sym.qualname == subject or full == subject or full.endswith("." + subject):
                out.append(sym)
        return out

    def find_module(self, dotted: str) -> str | None:
        if dotted in self.modules:
            return self.modules[dotted]
        hits = [p for m, p in self.modules.items() if m.endswith("." + dotted)]
        return hits[0] if len(hits) == 1 else None

    def find_programs(self, context: str) -> list[str]:
        """Paths of files that `context` names: a path, a path suffix, a basename,
        a basename without extension, a module name or a console-script name."""
        ctx = context.strip().removeprefix("./").strip("/")
        if not ctx:
            return []
        for prefix in ("python -m ", "python3 -m ", "bash ", "sh ", "./"):
            if ctx.startswith(prefix):
                ctx = ctx[len(prefix) :].strip()
        if ctx in self.files or ctx in self.programs:
            return [ctx]
        if "/" in ctx:
            hits = [f for f in self.by_suffix(ctx) if f in self.files or f in self.programs]
            if hits:
                return hits
        hits = list(self.by_basename(ctx))
        if hits:
            return hits
        if ctx in self.aliases:
            target = self.aliases[ctx]
            found = self.find_module(target) or (
                target if target in self.files or target in self.programs else None
            )
            if (
                found is None
                and target in self.dirs
                and any(f.startswith(target + "/") and f.endswith(".go") for f in self.files)
            ):
                found = target  # a Go main package without flags we read
            if found:
                return [found]
        mod = self.find_module(ctx)
        if mod:
            main = mod.removesuffix("__init__.py") + "__main__.py"
            return [mod, main] if mod.endswith("__init__.py") and main in self.files else [mod]
        # "deploy" for deploy.sh / deploy.py, only among programs we parsed
        return sorted(
            p
            for p in self.programs
            if p.rsplit("/", 1)[-1].rsplit(".", 1)[0] == ctx and "." in p.rsplit("/", 1)[-1]
        )

    def find_env(self, name: str) -> list[EnvVar]:
        return self.env.get(name, [])

    def find_config(self, key: str) -> tuple[list[KeyValue], list[KeyValue]]:
        """(matches on the full dotted key as a suffix, matches on the leaf only)."""
        parts = key_parts(key)
        if not parts:
            return [], []
        memo = self._config_cache.get(key)
        if memo is not None:
            return list(memo[0]), list(memo[1])
        full: list[KeyValue] = []
        leaf: list[KeyValue] = []
        n = len(parts)
        for kv in self.config.get(parts[-1], []):
            kp = key_tuple(kv.key)
            if kp[-n:] == tuple(parts):
                full.append(kv)
            else:
                leaf.append(kv)
        if len(self._config_cache) < 50_000:
            self._config_cache[key] = (tuple(full), tuple(leaf))
        return full, leaf

    def find_versions(self, name: str) -> list[VersionPin]:
        return self.versions.get(norm_tech(name), [])

    def find_commands(self, tool: str, name: str) -> list[CommandDef]:
        return self.commands.get((tool, name), [])

    def grep(self, token: str, code_only: bool = True) -> list[tuple[Location, str]]:
        """Where `token` occurs as a whole token at HEAD (docs excluded by default)."""
        key = f"{int(code_only)}\0{token}"
        if key in self._grep_cache:
            return self._grep_cache[key]
        hits: list[tuple[Location, str]] = []
        if self.is_git:
            out = run_git(self.root, ["grep", "-n", "-I", "-F", "-z", "-e", token, "HEAD"], 60.0)
            for rec in (out or b"").decode("utf-8", "replace").split("\n"):
                parts = rec.split("\0", 2)
                if len(parts) < 3:
                    continue
                path = parts[0].removeprefix("HEAD:")
                text = parts[2]
                if not parts[1].isdigit() or not has_token(text, token):
                    continue
                if code_only and (is_doc_path(path) or _in_skipped_dir(path)):
                    continue
                hits.append((self.loc(path, int(parts[1])), text.strip()))
        else:
            for path in sorted(self.files):
                if code_only and (is_doc_path(path) or _in_skipped_dir(path)):
                    continue
                try:
                    fp = self.root / path
                    if fp.is_symlink() or fp.stat().st_size > MAX_FILE_BYTES:
                        continue
                    data = fp.read_bytes()
                except OSError:
                    continue
                if b"\0" in data[:BINARY_SNIFF] or token.encode() not in data:
                    continue
                for i, ln in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
                    if has_token(ln, token):
                        hits.append((self.loc(path, i), ln.strip()))
        self._grep_cache[key] = hits
        return hits


def _from_sink(index: CodeIndex, sink: FactSink) -> None:
    symbols: dict[str, list[SymbolDef]] = defaultdict(list)
    for s in sink.symbols:
        symbols[s.qualname.rsplit(".", 1)[-1]].append(s)
    flags: dict[str, list[FlagDef]] = defaultdict(list)
    pflags: dict[str, list[FlagDef]] = defaultdict(list)
    for f in sink.flags:
        flags[f.name].append(f)
        pflags[f.program].append(f)
    env: dict[str, list[EnvVar]] = defaultdict(list)
    for e in sink.env:
        env[e.name].append(e)
    config: dict[str, list[KeyValue]] = defaultdict(list)
    for kv in sink.config:
        config[norm_key(kv.key.rsplit(".", 1)[-1])].append(kv)
    versions: dict[str, list[VersionPin]] = defaultdict(list)
    for v in sink.versions:
        versions[v.name].append(v)
    commands: dict[tuple[str, str], list[CommandDef]] = defaultdict(list)
    for c in sink.commands:
        commands[(c.tool, c.name)].append(c)
    index.symbols = dict(symbols)
    index.modules = dict(sink.modules)
    index.flags = dict(flags)
    index.program_flags = dict(pflags)
    index.programs = dict(sink.programs)
    index.aliases = dict(sink.aliases)
    # Go binaries: `tracker` for services/tracker/cmd/tracker (a main package, or a
    # `go build -o` in a Makefile or Dockerfile); a name claimed by two packages
    # names neither
    go_dirs = {f.rsplit("/", 1)[0] for f in index.files if f.endswith(".go") and "/" in f}
    binaries: dict[str, set[str]] = defaultdict(set)
    for name, pkg_dir in sink.go_binaries:
        if pkg_dir in go_dirs:
            binaries[name].add(pkg_dir)
    for name, dirs in binaries.items():
        if len(dirs) == 1 and name not in index.aliases:
            index.aliases[name] = next(iter(dirs))
    index.env = dict(env)
    index.config = dict(config)
    index.routes = list(sink.routes)
    index.versions = dict(versions)
    index.commands = dict(commands)
    index.command_files = list(sink.command_files)
    index.skipped = list(sink.skipped)


def _extract_one(path: str, data: bytes, sink: FactSink, files: set[str]) -> None:
    if b"\0" in data[:BINARY_SNIFF]:
        if _extractor_for(path, files) is not None:
            sink.skip(path, "binary")
        return
    text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    extractor = _extractor_for(path, files)
    if extractor is None:
        first = text.split("\n", 1)[0]
        if is_shell_shebang(first):
            extractor = extract_shell
        elif first.startswith("#!") and "python" in first:
            extractor = extract_python
        else:
            return
    try:
        extractor(path, text, sink)
    except Exception as exc:  # an extractor bug must not fail the whole build
        sink.skip(path, f"extractor error: {type(exc).__name__}: {exc}")


def flags_in_text(path: str, text: str) -> list[FlagDef]:
    """The flags a program file defines, read from `text` (an old version of it
    from history) with the same extractors the index uses."""
    sink = FactSink("")
    _extract_one(path, text.encode("utf-8", "surrogatepass"), sink, set())
    return list(sink.flags)


def _git_toplevel(path: Path) -> Path | None:
    out = run_git_text(path, ["rev-parse", "--show-toplevel"], 15.0)
    if not out:
        return None
    try:
        return Path(out.strip()).resolve()
    except OSError:
        return None


def _git_head(path: Path) -> str | None:
    """HEAD commit when `path` is the top level of a git repository with commits."""
    top = _git_toplevel(path)
    if top is None or top != path.resolve():
        return None
    out = run_git_text(path, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], 15.0)
    return out.strip() if out and out.strip() else None


def _walk(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        for fn in sorted(filenames):
            rel = fn if rel_dir == "." else f"{rel_dir}/{fn}"
            try:
                st = os.lstat(os.path.join(dirpath, fn))
            except OSError:
                continue
            yield rel, st


def _dir_hash(root: Path) -> str:
    h = hashlib.sha1()
    for rel, st in _walk(root):
        h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return "dir:" + h.hexdigest()


def _check_dir(path: Path) -> Path:
    if not path.exists():
        raise CodebaseError(f"repository path {path} does not exist; fix the path in the config")
    if not path.is_dir():
        raise CodebaseError(f"repository path {path} is not a directory; point it at the repo root")
    return path


def repo_fingerprint(path: Path) -> str:
    """Cheap identity of a repository's state: the HEAD commit for a git repository,
    else a hash of relative paths, sizes and mtimes."""
    path = _check_dir(Path(path))
    head = _git_head(path)
    return head if head else _dir_hash(path)


def build_index(name: str, path: Path, limits: LimitsConfig | None = None) -> CodeIndex:
    """Index one repository: the committed tree at HEAD for a git repository, the
    files on disk otherwise. Never raises for a file it cannot read or parse."""
    root = _check_dir(Path(path)).resolve()
    head = _git_head(root)
    sink = FactSink(name)
    files: set[str] = set()
    to_read: list[tuple[str, str]] = []  # (path, blob sha) for git
    if head:
        entries = ls_tree(root, head)
        if entries is None:
            raise CodebaseError(f"cannot list the tree of {root} at {head[:10]}; run git fsck")
        for e in entries:
            if e.kind != "blob":
                continue
            files.add(e.path)
        for e in entries:
            if e.kind != "blob" or e.mode == "120000" or _in_skipped_dir(e.path):
                continue
            if not _needs_content(e.path, files):
                continue
            if e.size is not None and e.size > MAX_FILE_BYTES:
                sink.skip(e.path, f"too large ({e.size} bytes)")
                continue
            to_read.append((e.path, e.sha))
        for (p, _sha), data in zip(
            to_read, cat_blobs(root, [sha for _, sha in to_read]), strict=False
        ):
            if data is None:
                sink.skip(p, "unreadable blob")
                continue
            _extract_one(p, data, sink, files)
        index = CodeIndex(name=name, root=root, head=head, is_git=True, files=files)
        index.history = GitHistory(root, lambda: index.files)
    else:
        h = hashlib.sha1()
        stats: list[tuple[str, os.stat_result]] = []
        for rel, st in _walk(root):
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
            files.add(rel)
            stats.append((rel, st))
        for rel, st in stats:
            if os.path.islink(root / rel) or not _needs_content(rel, files):
                continue
            if st.st_size > MAX_FILE_BYTES:
                sink.skip(rel, f"too large ({st.st_size} bytes)")
                continue
            try:
                data = (root / rel).read_bytes()
            except OSError as exc:
                sink.skip(rel, f"unreadable: {exc.strerror or exc}")
                continue
            _extract_one(rel, data, sink, files)
        index = CodeIndex(name=name, root=root, head="dir:" + h.hexdigest(), is_git=False)
        index.files = files
    for f in files:
        parts = f.split("/")
        for i in range(1, len(parts)):
            index.dirs.add("/".join(parts[:i]))
        index._basenames.setdefault(parts[-1], []).append(f)
    for names in index._basenames.values():
        names.sort()
    _from_sink(index, sink)
    return index


class Codebase:
    """All repositories a scan checks claims against."""

    def __init__(self, repos: Sequence[CodeIndex]) -> None:
        self.repos: tuple[CodeIndex, ...] = tuple(repos)

    @property
    def fingerprint(self) -> str:
        return ";".join(f"{r.name}@{r.head or 'none'}" for r in self.repos)

    def repo(self, name: str) -> CodeIndex | None:
        for r in self.repos:
            if r.name == name:
                return r
        return None

    def match_repo(self, hint: str | None) -> CodeIndex | None:
        """The repo a hint names: its name, or a slug ("acme/api", a URL) ending in it."""
        if not hint:
            return None
        h = hint.strip().rstrip("/").removesuffix(".git")
        exact = self.repo(h)
        if exact is not None:
            return exact
        tail = h.rsplit("/", 1)[-1].lower()
        hits = [r for r in self.repos if r.name.lower() == tail or r.name.lower() == h.lower()]
        return hits[0] if len(hits) == 1 else None

    def select(self, hint: str | None) -> tuple[CodeIndex, ...]:
        r = self.match_repo(hint)
        return (r,) if r is not None else self.repos

    # Look-ups across every repository (each fact's Location names its repo).

    def find_symbols(self, subject: str) -> list[SymbolDef]:
        return [s for r in self.repos for s in r.find_symbols(subject)]

    def find_flags(self, name: str) -> list[FlagDef]:
        return [f for r in self.repos for f in r.flags.get(name, [])]

    def find_env(self, name: str) -> list[EnvVar]:
        return [e for r in self.repos for e in r.find_env(name)]

    def find_config(self, key: str) -> list[KeyValue]:
        """Keys matching `key` as a dotted suffix (leaf-only matches excluded)."""
        return [kv for r in self.repos for kv in r.find_config(key)[0]]

    def find_versions(self, name: str) -> list[VersionPin]:
        return [p for r in self.repos for p in r.find_versions(name)]

    def find_commands(self, tool: str, name: str) -> list[CommandDef]:
        return [c for r in self.repos for c in r.find_commands(tool, name)]

    def routes(self) -> list[Route]:
        return [rt for r in self.repos for rt in r.routes]

    def skipped(self) -> list[tuple[str, str, str]]:
        """(repo, path, reason) for every file an index could not read."""
        return [(r.name, p, why) for r in self.repos for p, why in r.skipped]

    def __repr__(self) -> str:
        return f"Codebase({self.fingerprint})"


def build_codebase(
    repos: Sequence[tuple[str, Path]], limits: LimitsConfig | None = None
) -> Codebase:
    """Index each (name, path) repository."""
    return Codebase([build_index(name, Path(path), limits) for name, path in repos])
