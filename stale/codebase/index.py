"""CodeIndex: every checkable fact of one repository at HEAD; Codebase: all repos."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from collections import defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
from stale.codebase.norm import has_token, key_tuple, norm_key
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
from stale.config import DEFAULT_SKIP_GLOBS, LimitsConfig

MAX_FILE_BYTES = 1024 * 1024  # the default of [limits] max_file_bytes
BINARY_SNIFF = 8192
#: Folders never indexed, whatever `[limits]` says: version control, virtual
#: environments and tool caches.
ALWAYS_SKIP_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
    }
)
#: ALWAYS_SKIP_DIRS and the vendored/built folders of the default skip globs.
SKIP_DIRS = ALWAYS_SKIP_DIRS | frozenset({"node_modules", "vendor", "dist", "build"})
#: Skip lines recorded per glob; the rest are counted in one summary line.
MAX_SKIP_RECORDS = 200
SYMLINK_HOPS = 40
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


def _in_skipped_dir(path: str, dirs: frozenset[str] = SKIP_DIRS) -> bool:
    return any(part in dirs for part in path.split("/")[:-1])


# ------------------------------------------------------------ skip globs
#
# A glob is matched against the repository-relative POSIX path: `*` and `?` never
# cross a `/`, `[...]` is a character class, `**` as a whole segment is any number
# of folders (none included). A glob without a `/` matches at any depth (like
# .gitignore); a glob that matches a folder skips everything under it. Matching
# is the two-pointer wildcard walk at both levels (segments over folders, then
# characters within a segment): O(len(path) * len(glob)), no backtracking blow-up
# whatever the path.

_STAR = "**"  # `*` within a segment, or a `**` segment (never a one-character token)


def _wild(pat: Sequence[object], items: Sequence[str], one: Callable[[object, str], bool]) -> bool:
    p = i = 0
    star_p, star_i = -1, 0
    n, m = len(items), len(pat)
    while i < n:
        if p < m and pat[p] == _STAR:
            star_p, star_i = p, i
            p += 1
        elif p < m and one(pat[p], items[i]):
            p += 1
            i += 1
        elif star_p >= 0:
            p = star_p + 1
            star_i += 1
            i = star_i
        else:
            return False
    while p < m and pat[p] == _STAR:
        p += 1
    return p == m


def _char_tokens(seg: str) -> list[object]:
    """A segment as tokens: a character, `?` (any one), a class, or _STAR."""
    out: list[object] = []
    i = 0
    while i < len(seg):
        c = seg[i]
        i += 1
        if c == "*":
            if not out or out[-1] != _STAR:
                out.append(_STAR)
        elif c == "?":
            out.append(("?",))
        elif c == "[":
            j = i + 1 if seg[i : i + 1] in ("!", "^") else i
            end = seg.find("]", j + 1)  # a "]" right after "[" is a member
            if end < 0:
                out.append("[")
                continue
            body = seg[j:end]
            ranges: list[tuple[str, str]] = []
            k = 0
            while k < len(body):
                if k + 2 < len(body) and body[k + 1] == "-":
                    ranges.append((body[k], body[k + 2]))
                    k += 3
                else:
                    ranges.append((body[k], body[k]))
                    k += 1
            out.append(("[", j > i, tuple(ranges)))
            i = end + 1
        else:
            out.append(c)
    return out


def _char_one(tok: object, ch: str) -> bool:
    if isinstance(tok, str):
        return tok == ch
    assert isinstance(tok, tuple)
    if tok[0] == "?":
        return True
    _, negate, ranges = tok
    hit = any(lo <= ch <= hi for lo, hi in ranges)
    return hit != negate


def _seg_one(tok: object, name: str) -> bool:
    assert isinstance(tok, tuple)
    literal, tokens = tok
    if literal is not None:
        return bool(name == literal)
    return _wild(tokens, name, _char_one)


def _longest_literal(glob: str) -> str | None:
    """The longest run of plain characters in a glob (None: it has none)."""
    plain = re.sub(r"\[[!^]?\]?[^\]]*\]", "/", glob)  # a class is no literal
    pieces = re.split(r"[*?\[\]/\\]", plain)
    best = max(pieces, key=len, default="")
    return best or None


class SkipGlobs:
    """Compiled `[limits]` skip globs; `match(path)` -> what is skipped and why.

    Folders are matched incrementally: each glob is a small automaton over path
    segments whose state set (a bit mask) is kept per folder, so a folder costs
    one step from its parent's state, whatever its depth."""

    def __init__(self, globs: Sequence[str]) -> None:
        self.globs = tuple(globs)
        # (glob, segment tokens, folders only): a trailing `/**` matches only
        # what is under a folder the rest of the glob names
        self._compiled: list[tuple[str, list[object], bool]] = []
        for g in self.globs:
            pat = g.strip()
            if not pat:
                continue
            if "/" not in pat.rstrip("/"):
                pat = "**/" + pat
            pat = pat.lstrip("/").rstrip("/")
            segs = [s for s in pat.split("/") if s not in ("", ".")]
            under = len(segs) > 1 and segs[-1] == "**"
            if under:
                segs = segs[:-1]
            toks: list[object] = []
            for s in segs:
                if s == "**":
                    if not toks or toks[-1] != _STAR:
                        toks.append(_STAR)
                    continue
                ctoks = _char_tokens(s)
                literal = s if all(t != _STAR and isinstance(t, str) for t in ctoks) else None
                toks.append((literal, ctoks))
            self._compiled.append((g, toks, under))
        self._start = tuple(self._closure(toks, 1) for _, toks, _ in self._compiled)
        # A path can only match a glob if it contains the glob's longest literal run
        # (`node_modules`, `.min.js`): most paths contain none, and are let through
        # by a few substring tests instead of an automaton step per glob.
        needles = [_longest_literal(g) for g, _, _ in self._compiled]
        self._needles: tuple[str, ...] | None = (
            tuple(needles) if all(needles) else None  # type: ignore[arg-type]
        )
        # folder -> (automaton states per glob, (topmost skipped folder, glob) or None)
        self._dirs: dict[str, tuple[tuple[int, ...], tuple[str, str] | None]] = {
            "": (self._start, None)
        }

    def __bool__(self) -> bool:
        return bool(self._compiled)

    @staticmethod
    def _closure(toks: Sequence[object], states: int) -> int:
        for p, t in enumerate(toks):  # a `**` may match no folder at all
            if t == _STAR and states >> p & 1:
                states |= 1 << (p + 1)
        return states

    def _step(self, states: tuple[int, ...], name: str) -> tuple[int, ...]:
        out = []
        for (_, toks, _), st in zip(self._compiled, states, strict=True):
            nxt = 0
            for p, t in enumerate(toks):
                if not st >> p & 1:
                    continue
                if t == _STAR:
                    nxt |= 1 << p
                elif _seg_one(t, name):
                    nxt |= 1 << (p + 1)
            out.append(self._closure(toks, nxt))
        return tuple(out)

    def _accepted(self, states: tuple[int, ...], is_dir: bool) -> str | None:
        for (g, toks, under), st in zip(self._compiled, states, strict=True):
            if (is_dir or not under) and st >> len(toks) & 1:
                return g
        return None

    def _dir(self, d: str) -> tuple[tuple[int, ...], tuple[str, str] | None]:
        if d in self._dirs:
            return self._dirs[d]
        todo: list[str] = []  # folders from `d` up to the first one already known
        cur = d
        while cur not in self._dirs:
            todo.append(cur)
            cut = cur.rfind("/")
            cur = cur[:cut] if cut > 0 else ""
        states, hit = self._dirs[cur]
        for folder in reversed(todo):
            states = self._step(states, folder[folder.rfind("/") + 1 :])
            if hit is None:
                g = self._accepted(states, True)
                hit = (folder, g) if g is not None else None
            self._dirs[folder] = (states, hit)
        return states, hit

    def dir_match(self, d: str) -> tuple[str, str] | None:
        """(the topmost skipped folder, the glob) when folder `d` is skipped."""
        if not d or not self._compiled:
            return None
        return self._dir(d)[1]

    def match(self, path: str) -> tuple[str, str] | None:
        """(what is skipped: the path or its topmost skipped folder, the glob)."""
        if not self._compiled:
            return None
        if self._needles is not None and not any(n in path for n in self._needles):
            return None
        cut = path.rfind("/")
        states, hit = self._dir(path[:cut] if cut > 0 else "")
        if hit is not None:
            return hit
        g = self._accepted(self._step(states, path[cut + 1 :]), False)
        return (path, g) if g is not None else None


@functools.lru_cache(maxsize=16)
def skip_globs(globs: tuple[str, ...]) -> SkipGlobs:
    """The compiled matcher for a tuple of globs (one per distinct `[limits]`)."""
    return SkipGlobs(globs)


class _SkipLog:
    """Records what the skip globs and the symlink policy leave out: one line
    per skipped folder (never one per file under it) and at most
    MAX_SKIP_RECORDS lines per glob, then one line with the count."""

    def __init__(self, sink: FactSink) -> None:
        self.sink = sink
        self.seen: set[str] = set()
        self.counts: dict[str, int] = defaultdict(int)

    def glob(self, path: str, hit: tuple[str, str]) -> None:
        what, glob = hit
        if what in self.seen:
            return
        self.seen.add(what)
        self.counts[glob] += 1
        if self.counts[glob] <= MAX_SKIP_RECORDS:
            shown = what if what == path else what + "/"
            self.sink.skip(shown, f"skipped by the [limits] skip glob {glob}")

    def finish(self) -> None:
        for glob, n in self.counts.items():
            if n > MAX_SKIP_RECORDS:
                more = n - MAX_SKIP_RECORDS
                self.sink.skip(glob, f"and {more} more paths skipped by this [limits] skip glob")


def _tree_link_inside(link: str, targets: dict[str, str]) -> bool:
    """Whether the committed symlink `link` (targets: link path -> target, for
    every symlink in the tree) resolves inside the repository, following links
    on the way as the OS would; an absolute target, a `..` above the root, or
    more than SYMLINK_HOPS links leave it. Pure path arithmetic: nothing is read."""
    cur = link.split("/")[:-1]
    queue: deque[str] = deque()
    target = targets[link]
    hops = 0
    while True:
        if not target or target.startswith("/") or len(target) > 4096:
            return False
        queue.extendleft(reversed(target.split("/")))
        while queue:
            part = queue.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if not cur:
                    return False
                cur.pop()
                continue
            cur.append(part)
            here = "/".join(cur)
            if here in targets:
                hops += 1
                if hops > SYMLINK_HOPS:
                    return False
                cur.pop()
                target = targets[here]
                break
        else:
            return True


def _read_capped(path: Path, cap: int) -> bytes | None:
    """The file's bytes, or None when it is over `cap` (read no further).
    Never follows a symlink swapped in since it was listed."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(cap + 1)
    finally:
        os.close(fd)
    return None if len(data) > cap else data


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
    # the [limits] it was built with, for grep (plain strings and ints: picklable)
    _skip_globs: tuple[str, ...] = field(default=DEFAULT_SKIP_GLOBS, repr=False)
    _max_file_bytes: int = field(default=MAX_FILE_BYTES, repr=False)
    _config_by_suffix: dict[tuple[str, ...], list[KeyValue]] | None = field(
        default=None, repr=False
    )
    _modules_by_leaf: dict[str, list[str]] | None = field(default=None, repr=False)

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
        if self._modules_by_leaf is None:
            self._modules_by_leaf = {}
            for m in self.modules:
                self._modules_by_leaf.setdefault(m.rsplit(".", 1)[-1], []).append(m)
        tail = "." + dotted
        hits = [
            self.modules[m]
            for m in self._modules_by_leaf.get(dotted.rsplit(".", 1)[-1], [])
            if m.endswith(tail)
        ]
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

    def find_config(
        self, key: str, *, with_leaf: bool = True
    ) -> tuple[list[KeyValue], list[KeyValue]]:
        """(matches on the full dotted key as a suffix, matches on the leaf only).
        The leaf-only list can hold every `pool_size` of a monorepo: pass
        `with_leaf=False` when only the full matches are wanted."""
        parts = key_tuple(key)
        if not parts:
            return [], []
        n = len(parts)
        if n == 1:
            full = list(self.config.get(parts[-1], []))
        else:
            # by the last two parts, so a unique `billing.pool_size` is not compared
            # with the thousands of other `*.pool_size`
            if self._config_by_suffix is None:
                self._config_by_suffix = {}
                for kvs in self.config.values():
                    for kv in kvs:
                        kt = key_tuple(kv.key)
                        if len(kt) >= 2:
                            self._config_by_suffix.setdefault(kt[-2:], []).append(kv)
            full = [
                kv
                for kv in self._config_by_suffix.get(parts[-2:], [])
                if key_tuple(kv.key)[-n:] == parts
            ]
        if not with_leaf:
            return full, []
        matched = {id(kv) for kv in full}
        leaf = [kv for kv in self.config.get(parts[-1], []) if id(kv) not in matched]
        return full, leaf

    def find_versions(self, name: str) -> list[VersionPin]:
        return self.versions.get(norm_tech(name), [])

    def find_commands(self, tool: str, name: str) -> list[CommandDef]:
        return self.commands.get((tool, name), [])

    def _vendored(self, path: str) -> bool:
        """Left out of the index: a tool folder or a `[limits]` skip glob."""
        return _in_skipped_dir(path, ALWAYS_SKIP_DIRS) or (
            skip_globs(tuple(self._skip_globs)).match(path) is not None
        )

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
                if code_only and (is_doc_path(path) or self._vendored(path)):
                    continue
                hits.append((self.loc(path, int(parts[1])), text.strip()))
        else:
            for path in sorted(self.files):
                if code_only and (is_doc_path(path) or self._vendored(path)):
                    continue
                try:
                    capped = _read_capped(self.root / path, self._max_file_bytes)
                except OSError:
                    continue
                if capped is None:
                    continue
                data = capped
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


def _walk(
    root: Path, prune: Callable[[str], bool] | None = None
) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of every file under `root`, sorted; folders in
    SKIP_DIRS (or, given `prune`, those it names by relative path) are not
    entered, and a symlink to a folder never is."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        base = "" if rel_dir == "." else rel_dir + "/"
        if prune is None:
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        else:
            dirnames[:] = sorted(d for d in dirnames if not prune(base + d))
        for fn in sorted(filenames):
            rel = base + fn
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


#: (path, blob sha) -> the facts read from that blob: lets an index for a new
#: commit re-read only the files that changed (stale/codebase/cache.py keeps it).
FileFacts = dict[tuple[str, str], FactSink]


def _depends_on_tree(path: str) -> bool:
    """Files whose facts depend on which other files exist (a Makefile's includes)."""
    low = path.rsplit("/", 1)[-1].lower()
    return low in ("makefile", "gnumakefile") or low.endswith(".mk")


def build_index(
    name: str,
    path: Path,
    limits: LimitsConfig | None = None,
    facts: FileFacts | None = None,
) -> CodeIndex:
    """Index one repository: the committed tree at HEAD for a git repository, the
    files on disk otherwise. Never raises for a file it cannot read or parse.

    `limits` (default: LimitsConfig()) bounds what is read: files over
    `max_file_bytes` and files matching the skip globs are listed but not read;
    a symlink is never read through, and one that leaves the repository (or any
    symlink, with `symlinks = "never"`) is not even listed. Each is recorded in
    `skipped` with the reason.

    `facts` (git repositories only) holds what earlier builds read from each blob:
    a blob found there is not read again, and on return it holds exactly the
    blobs of this tree. The index is the same either way."""
    limits = limits or LimitsConfig()
    cap = limits.max_file_bytes
    globs = skip_globs(tuple(limits.skip_globs))
    root = _check_dir(Path(path)).resolve()
    head = _git_head(root)
    sink = FactSink(name)
    log = _SkipLog(sink)
    files: set[str] = set()
    to_read: list[tuple[str, str]] = []  # (path, blob sha) for git
    never = limits.symlinks == "never"
    too_large = "too large ({} bytes, over [limits] max_file_bytes = {})"
    leaves = "symlink leaves the repository; not followed"
    no_links = 'symlink not followed ([limits] symlinks = "never")'
    if head:
        entries = ls_tree(root, head)
        if entries is None:
            raise CodebaseError(f"cannot list the tree of {root} at {head[:10]}; run git fsck")
        links: dict[str, str] = {}  # symlink path -> blob sha
        for e in entries:
            if e.kind != "blob":
                continue
            if e.mode == "120000":
                links[e.path] = e.sha
            else:
                files.add(e.path)
        if links and never:
            for p in sorted(links):
                sink.skip(p, no_links)
        elif links:
            targets: dict[str, str] = {}
            for p, data in zip(links, cat_blobs(root, list(links.values())), strict=False):
                targets[p] = "" if data is None else data.decode("utf-8", "surrogateescape")
            for p in sorted(targets):
                if _tree_link_inside(p, targets):
                    files.add(p)  # the link exists; it is never read through
                else:
                    sink.skip(p, leaves)
        for e in entries:
            if e.kind != "blob" or e.mode == "120000" or _in_skipped_dir(e.path, ALWAYS_SKIP_DIRS):
                continue
            hit = globs.match(e.path) if globs else None
            if hit is not None:
                log.glob(e.path, hit)
                continue
            if not _needs_content(e.path, files):
                continue
            if e.size is not None and e.size > cap:
                sink.skip(e.path, too_large.format(e.size, cap))
                continue
            to_read.append((e.path, e.sha))
        if facts is None:
            for (p, _sha), data in zip(
                to_read, cat_blobs(root, [sha for _, sha in to_read]), strict=False
            ):
                if data is None:
                    sink.skip(p, "unreadable blob")
                    continue
                if len(data) > cap:
                    sink.skip(p, too_large.format(len(data), cap))
                    continue
                _extract_one(p, data, sink, files)
        else:
            _read_blobs_with_facts(root, name, to_read, files, cap, sink, facts)
        index = CodeIndex(name=name, root=root, head=head, is_git=True, files=files)
        index.history = GitHistory(root, lambda: index.files)
    else:

        def prune(rel_dir: str) -> bool:
            if rel_dir.rsplit("/", 1)[-1] in ALWAYS_SKIP_DIRS:
                return True
            hit = globs.dir_match(rel_dir) if globs else None
            if hit is not None:
                log.glob(rel_dir + "/", hit)
            return hit is not None

        h = hashlib.sha1()
        regular: list[tuple[str, os.stat_result]] = []
        for rel, st in _walk(root, prune):
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
            if stat.S_ISLNK(st.st_mode):
                if never:
                    sink.skip(rel, no_links)
                    continue
                try:
                    Path(os.path.realpath(root / rel)).relative_to(root)
                except (ValueError, OSError):
                    sink.skip(rel, leaves)
                    continue
                files.add(rel)  # the link exists; it is never read through
                continue
            if not stat.S_ISREG(st.st_mode):
                sink.skip(rel, "not a regular file")
                continue
            files.add(rel)
            hit = globs.match(rel) if globs else None
            if hit is not None:
                log.glob(rel, hit)
                continue
            regular.append((rel, st))
        for rel, st in regular:
            if not _needs_content(rel, files):
                continue
            if st.st_size > cap:
                sink.skip(rel, too_large.format(st.st_size, cap))
                continue
            try:
                data = _read_capped(root / rel, cap)
            except OSError as exc:
                sink.skip(rel, f"unreadable: {exc.strerror or exc}")
                continue
            if data is None:
                sink.skip(rel, too_large.format(f"over {cap}", cap))
                continue
            _extract_one(rel, data, sink, files)
        index = CodeIndex(name=name, root=root, head="dir:" + h.hexdigest(), is_git=False)
        index.files = files
    log.finish()
    index._skip_globs = tuple(limits.skip_globs)
    index._max_file_bytes = cap
    for f in files:
        parts = f.split("/")
        for i in range(1, len(parts)):
            index.dirs.add("/".join(parts[:i]))
        index._basenames.setdefault(parts[-1], []).append(f)
    for names in index._basenames.values():
        names.sort()
    _from_sink(index, sink)
    return index


def _read_blobs_with_facts(
    root: Path,
    name: str,
    to_read: list[tuple[str, str]],
    files: set[str],
    cap: int,
    sink: FactSink,
    facts: FileFacts,
) -> None:
    """Like reading every blob in `to_read` into `sink`, in order, but blobs whose
    facts are in `facts` are not read again; `facts` is left holding this tree's."""
    misses = [(p, sha) for p, sha in to_read if (p, sha) not in facts or _depends_on_tree(p)]
    fresh: dict[tuple[str, str], FactSink] = {}
    for (p, sha), data in zip(misses, cat_blobs(root, [sha for _, sha in misses]), strict=False):
        one = FactSink(name)
        if data is None:
            one.skip(p, "unreadable blob")
            sink_key = None  # not kept: the next build tries again
        elif len(data) > cap:
            one.skip(p, f"too large ({len(data)} bytes, over [limits] max_file_bytes = {cap})")
            sink_key = (p, sha)
        else:
            _extract_one(p, data, one, files)
            sink_key = (p, sha)
        fresh[(p, sha)] = one
        if sink_key is not None and not _depends_on_tree(p):
            facts[sink_key] = one
    keep = set(to_read)
    for key in [k for k in facts if k not in keep]:
        del facts[key]
    for key in to_read:
        one_or_none = fresh.get(key) or facts.get(key)
        if one_or_none is not None:
            sink.merge(one_or_none)


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
        return [kv for r in self.repos for kv in r.find_config(key, with_leaf=False)[0]]

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
