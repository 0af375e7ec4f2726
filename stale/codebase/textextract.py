"""Facts from line-oriented text: Makefiles, Dockerfiles, shell scripts, version files,
requirements, and light regex reads of JS/TS and Go sources.

Every regex here is linear: no nested quantifiers over overlapping classes.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from stale.codebase.cfgextract import parse_image
from stale.codebase.facts import CommandFile
from stale.codebase.sink import FactSink


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, line) with backslash continuations joined."""
    buf: list[str] = []
    start = 0
    for i, line in enumerate(text.splitlines(), 1):
        if not buf:
            start = i
        if line.endswith("\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        yield start, " ".join(buf)
        buf = []
    if buf:
        yield start, " ".join(buf)


# ---------------------------------------------------------------- Makefile

_MAKE_VAR = re.compile(
    r"^\s*(export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?=|::=|:=|\+=|!=|=)\s*(.*)$"
)
_MAKE_EXPORT = re.compile(r"^\s*export\s+([A-Za-z_][A-Za-z0-9_ ]*)$")
_MAKE_INCLUDE = re.compile(r"^\s*-?s?include\s+(.+)$")
_TARGET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./+-]*\Z")


def extract_makefile(path: str, text: str, sink: FactSink, files: set[str]) -> None:
    complete = True
    folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    for line_no, line in _logical_lines(text):
        if line.startswith("\t") or not line.strip() or line.lstrip().startswith("#"):
            continue
        code = line.split("#", 1)[0].rstrip()
        if m := _MAKE_INCLUDE.match(code):
            for inc in m.group(1).split():
                if "$" in inc or (inc not in files and folder + inc not in files):
                    complete = False
            continue
        if m := _MAKE_EXPORT.match(code):
            for name in m.group(1).split():
                sink.env_var(name, None, path, line_no, "set")
            continue
        if m := _MAKE_VAR.match(code):
            name, op, value = m.group(2), m.group(3), m.group(4).strip()
            sink.key(name, value, path, line_no, "make")
            if op == "?=":
                sink.env_var(name, value, path, line_no, "read")
            elif m.group(1) and m.group(1).strip() == "export":
                sink.env_var(name, value, path, line_no, "set")
            continue
        idx = code.find(":")
        if idx <= 0 or code[idx + 1 : idx + 2] == "=" or "=" in code[:idx]:
            continue
        for target in code[:idx].split():
            if "$" in target or "%" in target:
                complete = False
                continue
            if target.startswith(".") or not _TARGET_NAME.match(target):
                continue
            sink.command("make", target, path, line_no)
    sink.command_files.append(CommandFile("make", path, sink.repo, complete))


# ---------------------------------------------------------------- Dockerfile

_DOCKER_INSTR = re.compile(r"^\s*([A-Za-z]+)\s+(.*)$")
_VAR_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def _split_words(s: str) -> list[str]:
    try:
        return shlex.split(s, comments=False, posix=True)
    except ValueError:
        return s.split()


def extract_dockerfile(path: str, text: str, sink: FactSink) -> None:
    args: dict[str, str] = {}
    stages: set[str] = set()

    def subst(s: str) -> str:
        def rep(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(3)
            if name in args:
                return args[name]
            if m.group(2) is not None:
                return m.group(2)
            return m.group(0)

        return _VAR_REF.sub(rep, s)

    for line_no, line in _logical_lines(text):
        if line.lstrip().startswith("#"):
            continue
        m = _DOCKER_INSTR.match(line)
        if not m:
            continue
        instr, rest = m.group(1).upper(), m.group(2).strip()
        if instr == "ARG":
            for word in _split_words(rest):
                name, eq, val = word.partition("=")
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    continue
                if eq:
                    args[name] = val
                sink.key(name, val if eq else None, path, line_no, "docker")
                sink.env_var(name, val if eq else None, path, line_no, "arg")
        elif instr == "ENV":
            words = _split_words(rest)
            if words and "=" not in words[0] and len(words) >= 2:  # legacy "ENV KEY value"
                sink.env_var(words[0], " ".join(words[1:]), path, line_no, "set")
            else:
                for word in words:
                    name, eq, val = word.partition("=")
                    if eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                        sink.env_var(name, val, path, line_no, "set")
        elif instr == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            if not words:
                continue
            if len(words) >= 3 and words[1].lower() == "as":
                stages.add(words[2].lower())
            image = subst(words[0])
            if image.lower() in stages:
                continue
            img = parse_image(image)
            if img:
                sink.version(img[0], img[1], path, line_no)
        elif instr == "EXPOSE":
            for port in rest.split():
                sink.key("EXPOSE", port.split("/")[0], path, line_no, "docker")


# ---------------------------------------------------------------- shell scripts

_SHELL_SPECIAL = {
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "IFS",
    "PS1",
    "PS2",
    "PS4",
    "RANDOM",
    "LINENO",
    "SECONDS",
    "OPTARG",
    "OPTIND",
    "OPTERR",
    "BASH_SOURCE",
    "BASH_REMATCH",
    "BASH_VERSION",
    "BASHPID",
    "FUNCNAME",
    "PIPESTATUS",
    "PPID",
    "UID",
    "EUID",
    "SHELL",
    "SHLVL",
    "HOSTNAME",
    "USER",
    "TERM",
    "REPLY",
    "EPOCHSECONDS",
    "TMPDIR",
}
_SH_ASSIGN = re.compile(
    r"(?:^\s*|[;&|()]\s*|\b(?:then|do|else|local|declare|typeset|readonly|export)\s+"
    r"(?:-[A-Za-z]+\s+)*)"
    r"([A-Za-z_][A-Za-z0-9_]*)\+?="
)
_SH_DECL = re.compile(
    r"^\s*(?:local|declare|typeset|readonly)\s+(?:-[A-Za-z]+\s+)*([A-Za-z_ ][A-Za-z0-9_ ]*)$"
)
_SH_FOR = re.compile(r"\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b")
_SH_READ = re.compile(r"\bread\s+((?:-[A-Za-z]+\s+)*)([A-Za-z_][A-Za-z0-9_ ]*)")
_SH_EXPORT = re.compile(r"^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(\S*)")
_SH_BRACED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=?+])([^}]*))?\}")
_SH_PLAIN = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_SH_GETOPTS = re.compile(r"\bgetopts\s+[\"']?:?([A-Za-z0-9:]+)[\"']?")
_SH_CASE = re.compile(r"^\s*case\s.*\sin(\s|$)")
_SH_ESAC = re.compile(r"(^|\s|;)esac\b")
_SH_FLAG = re.compile(r"-{1,2}[A-Za-z0-9][A-Za-z0-9_-]*")
_SH_WORD = re.compile(r"[A-Za-z0-9_*?.-]+")
_SH_TEST_FLAG = re.compile(r"\$\{?[1@*]\}?[\"']?\s*==?\s*[\"']?(-{1,2}[A-Za-z0-9][A-Za-z0-9_-]*)")
_ENV_UPPER = re.compile(r"[A-Z][A-Z0-9_]*\Z")


def is_shell_shebang(first_line: str) -> bool:
    if not first_line.startswith("#!"):
        return False
    return re.search(r"\b(ba|z|k|da)?sh\b", first_line) is not None


def _strip_comment(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    m = re.search(r"(?:^|\s)#", line)
    return line[: m.start()] if m else line


def _case_arm_flags(line: str) -> list[str]:
    stripped = line.strip().lstrip("(").strip()
    if ")" not in stripped:
        return []
    pattern = stripped.split(")", 1)[0]
    flags: list[str] = []
    for alt in pattern.split("|"):
        alt = alt.strip().strip("\"'")
        if alt.endswith("=*"):
            alt = alt[:-2]
        elif alt.endswith("*") and alt.startswith("-"):
            alt = alt[:-1]
        if _SH_FLAG.fullmatch(alt):
            flags.append(alt)
        elif not _SH_WORD.fullmatch(alt):
            return []
    return flags


def extract_shell(path: str, text: str, sink: FactSink) -> None:
    lines = [_strip_comment(ln) for ln in text.splitlines()]
    assigned: set[str] = set()
    for ln in lines:
        assigned.update(m.group(1) for m in _SH_ASSIGN.finditer(ln))
        if m := _SH_DECL.match(ln):
            assigned.update(m.group(1).split())
        assigned.update(m.group(1) for m in _SH_FOR.finditer(ln))
        if m := _SH_READ.search(ln):
            assigned.update(m.group(2).split())
    flags: list[tuple[str, int]] = []
    case_depth = 0
    seen_reads: set[tuple[str, str | None]] = set()
    for i, ln in enumerate(lines, 1):
        if not ln.strip():
            continue
        if _SH_CASE.match(ln):
            case_depth += 1
        elif case_depth:
            flags.extend((f, i) for f in _case_arm_flags(ln))
        if _SH_ESAC.search(ln) and case_depth:
            case_depth -= 1
        if m := _SH_GETOPTS.search(ln):
            flags.extend((f"-{c}", i) for c in m.group(1) if c != ":")
        flags.extend((m.group(1), i) for m in _SH_TEST_FLAG.finditer(ln))
        if m := _SH_EXPORT.match(ln):
            val = m.group(2).strip("\"'")
            sink.env_var(m.group(1), None if "$" in val else val, path, i, "set")
        for m in _SH_BRACED.finditer(ln):
            name, op, default = m.group(1), m.group(2), m.group(3)
            if name in _SHELL_SPECIAL or not _ENV_UPPER.match(name):
                continue
            if op in (":-", "-", ":=", "="):
                dflt = None if default is None or "$" in default else default.strip("\"'")
                if (name, dflt) not in seen_reads:
                    seen_reads.add((name, dflt))
                    sink.env_var(name, dflt, path, i, "read")
            elif name not in assigned and (name, None) not in seen_reads:
                seen_reads.add((name, None))
                sink.env_var(name, None, path, i, "read")
        for m in _SH_PLAIN.finditer(ln):
            name = m.group(1)
            if (
                name in _SHELL_SPECIAL
                or name in assigned
                or not _ENV_UPPER.match(name)
                or (name, None) in seen_reads
            ):
                continue
            seen_reads.add((name, None))
            sink.env_var(name, None, path, i, "read")
    seen: set[str] = set()
    for flag, line in flags:
        if flag not in seen:
            seen.add(flag)
            sink.flag(path, flag, None, path, line, "shell")
    if flags:
        sink.program(path, None, "shell", complete=False)


# ---------------------------------------------------------------- version files

_TOOL_ALIASES = {"nodejs": "node", "golang": "go"}


def extract_version_file(path: str, text: str, sink: FactSink) -> None:
    base = path.rsplit("/", 1)[-1]
    lines = text.splitlines()
    if base == ".tool-versions":
        for i, ln in enumerate(lines, 1):
            parts = ln.split("#", 1)[0].split()
            if len(parts) >= 2:
                name = _TOOL_ALIASES.get(parts[0].lower(), parts[0].lower())
                for v in parts[1:]:
                    if re.search(r"\d", v):
                        sink.version(name, v, path, i)
        return
    if base == "go.mod":
        for i, ln in enumerate(lines, 1):
            gm = re.match(r"^\s*go\s+(\d+(?:\.\d+)*)\s*$", ln)
            gm = gm or re.match(r"^\s*toolchain\s+go(\d+(?:\.\d+)*)", ln)
            if gm:
                sink.version("go", gm.group(1), path, i)
        return
    tool = {
        ".python-version": "python",
        ".nvmrc": "node",
        ".node-version": "node",
        ".ruby-version": "ruby",
        ".go-version": "go",
        "runtime.txt": "python",
    }.get(base)
    if tool is None:
        return
    for i, ln in enumerate(lines, 1):
        v = ln.split("#", 1)[0].strip()
        if base == "runtime.txt":
            m = re.match(r"^([a-z]+)-(\d[\w.]*)$", v)
            if m:
                sink.version(m.group(1), m.group(2), path, i)
            continue
        if re.match(r"^v?\d", v):
            sink.version(tool, v.lstrip("v"), path, i)


_REQ_LINE = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*((?:===|==|~=|>=|<=|!=|>|<)[^;#\s]*(?:\s*,\s*(?:===|==|~=|>=|<=|!=|>|<)[^;#\s,]*)*)"
)


def extract_requirements(path: str, text: str, sink: FactSink) -> None:
    for i, ln in enumerate(text.splitlines(), 1):
        m = _REQ_LINE.match(ln)
        if m and re.search(r"\d", m.group(2)):
            sink.version(m.group(1).lower(), m.group(2).replace(" ", ""), path, i, "dependency")


# ---------------------------------------------------------------- JS / TS / Go (light)

_JS_FUNC = re.compile(
    r"^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)"
)
_JS_CLASS = re.compile(
    r"^\s*(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)"
)
_JS_CONST = re.compile(r"^\s*export\s+(?:const|let|var)\s+([A-Za-z_$][\w$]*)")
_JS_ENV = re.compile(
    r"process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\s*\])"
    r"(?:\s*(?:\|\||\?\?)\s*(['\"][^'\"]*['\"]|\d+))?"
)
_JS_ROUTE = re.compile(
    r"\b(app|router|server|api)\.(get|post|put|delete|patch)\(\s*['\"`](/[^'\"`]*)['\"`]"
)


def extract_js(path: str, text: str, sink: FactSink) -> None:
    for i, ln in enumerate(text.splitlines(), 1):
        for rx, kind in ((_JS_FUNC, "function"), (_JS_CLASS, "class"), (_JS_CONST, "variable")):
            if m := rx.match(ln):
                sink.symbol(None, m.group(1), kind, path, i)
        for m in _JS_ENV.finditer(ln):
            default = m.group(3).strip("'\"") if m.group(3) else None
            sink.env_var(m.group(1) or m.group(2), default, path, i, "read")
        for m in _JS_ROUTE.finditer(ln):
            sink.route(m.group(2), m.group(3), m.group(3), path, i, anchored=m.group(1) != "router")


_GO_FUNC = re.compile(r"^func\s+([A-Za-z_]\w*)\s*[(\[]")
_GO_METHOD = re.compile(r"^func\s+\(\s*\w*\s*\*?\s*([A-Za-z_]\w*)[^)]*\)\s*([A-Za-z_]\w*)\s*\(")
_GO_TYPE = re.compile(r"^type\s+([A-Za-z_]\w*)\s")
_GO_ENV = re.compile(r"\bos\.(?:Getenv|LookupEnv)\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"")
_GO_FLAG = re.compile(
    r"\bflag\.(?:String|Int|Int64|Uint|Uint64|Bool|Duration|Float64)(?:Var)?\("
    r"(?:\s*&?[\w.]+\s*,)?\s*\"([A-Za-z0-9][\w.-]*)\"\s*,\s*(\"[^\"]*\"|[\w.]+)"
)


def extract_go(path: str, text: str, sink: FactSink) -> None:
    found = False
    for i, ln in enumerate(text.splitlines(), 1):
        if m := _GO_FUNC.match(ln):
            sink.symbol(None, m.group(1), "function", path, i)
        elif m := _GO_METHOD.match(ln):
            sink.symbol(None, f"{m.group(1)}.{m.group(2)}", "method", path, i)
        elif m := _GO_TYPE.match(ln):
            sink.symbol(None, m.group(1), "class", path, i)
        for m in _GO_ENV.finditer(ln):
            sink.env_var(m.group(1), None, path, i, "read")
        for m in _GO_FLAG.finditer(ln):
            found = True
            default = m.group(2).strip('"')
            for name in (f"-{m.group(1)}", f"--{m.group(1)}"):
                sink.flag(path, name, default, path, i, "go-flag")
    if found:
        sink.program(path, None, "go-flag", complete=False)
