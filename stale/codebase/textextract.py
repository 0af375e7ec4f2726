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
        if "go build" in line and not line.lstrip().startswith("#"):
            sink.go_binaries.extend(go_build_binaries(line, folder.rstrip("/")))
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
        elif instr == "RUN" and "go build" in rest:
            folder = path.rsplit("/", 1)[0] if "/" in path else ""
            sink.go_binaries.extend(go_build_binaries(rest, folder))
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
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\]\s*)?((?:===|==|~=|>=|<=|!=|>|<)[^;#\s]*(?:\s*,\s*(?:===|==|~=|>=|<=|!=|>|<)[^;#\s,]*)*)"
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
)
#: a literal fallback right after the read: `|| '3100'`, `?? "y"`, `) || 5` (after
#: `Number(`/`parseInt(`), followed by the end of the expression
_JS_FALLBACK = re.compile(
    r"\s*(?:\)\s*)?(?:\|\||\?\?)\s*('[^'\\\n]*'|\"[^\"\\\n]*\"|-?\d+(?:\.\d+)?|true|false)"
    r"(?=\s*(?:[),;}\]]|$|//|\?\?|\|\|))"
)
_JS_NUM_CALL = re.compile(r"\b(?:Number|parseInt|parseFloat|String|Boolean)\(\s*$")
_JS_DESTRUCT = re.compile(r"\{([^{}]*)\}\s*=\s*process\.env\b")
_JS_DESTRUCT_ITEM = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*('[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?))?\s*$"
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
            fb = _JS_FALLBACK.match(ln, m.end())
            # `Number(process.env.X) || 5`: the `)` must close a call around the read
            if (
                fb
                and fb.group(0).lstrip().startswith(")")
                and not _JS_NUM_CALL.search(ln[: m.start()])
            ):
                fb = None
            default = fb.group(1).strip("'\"") if fb else None
            sink.env_var(m.group(1) or m.group(2), default, path, i, "read")
        for m in _JS_DESTRUCT.finditer(ln):
            for item in m.group(1).split(","):
                if im := _JS_DESTRUCT_ITEM.match(item):
                    dflt = im.group(2).strip("'\"") if im.group(2) else None
                    sink.env_var(im.group(1), dflt, path, i, "read")
        for m in _JS_ROUTE.finditer(ln):
            sink.route(m.group(2), m.group(3), m.group(3), path, i, anchored=m.group(1) != "router")


_GO_FUNC = re.compile(r"^func\s+([A-Za-z_]\w*)\s*[(\[]")
_GO_METHOD = re.compile(r"^func\s+\(\s*\w*\s*\*?\s*([A-Za-z_]\w*)[^)]*\)\s*([A-Za-z_]\w*)\s*\(")
_GO_TYPE = re.compile(r"^type\s+([A-Za-z_]\w*)\s")
_GO_ENV = re.compile(r"\bos\.(?:Getenv|LookupEnv)\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"")
_GO_FLAG_TYPES = (
    r"(?:String|Int|Int8|Int16|Int32|Int64|Uint|Uint8|Uint16|Uint32|Uint64|Bool|Duration"
    r"|Float32|Float64|StringSlice|StringArray|IntSlice|BoolSlice|Count|IP|StringToString)"
)
#: `flag.String(`, `pflag.IntVarP(`, `cmd.Flags().StringP(`, `fs.Bool(` (a flag set)
_GO_FLAG_CALL = re.compile(
    r"(?:\b([A-Za-z_]\w*)|\b(?:Persistent)?Flags\(\))\.(" + _GO_FLAG_TYPES + r")(Var)?(P)?\(\s*"
)


def go_flag_def_rx(name: str | None = None) -> re.Pattern[str]:
    """A Go flag definition whose name is its quoted first string argument, group 1
    (`"region"`: the source has no dashes): any name, or `name`."""
    nm = r"[A-Za-z0-9][\w.-]*" if name is None else re.escape(name)
    return re.compile(
        r"\.(?:" + _GO_FLAG_TYPES + r")(?:Var)?P?\(\s*(?:&[\w.\[\]]+\s*,\s*)?(\"" + nm + r"\")"
    )


GO_FLAG_DEF_RX = go_flag_def_rx()
_GO_FLAGSET = re.compile(
    r"\b([A-Za-z_]\w*)\s*:?=\s*(?:(p?flag)\.NewFlagSet\(|[\w.]+\.(?:Persistent)?Flags\(\))"
)
_GO_PFLAG_IMPORT = re.compile(r"(?:^|\s)(\w+)\s+\"github\.com/spf13/pflag\"", re.M)
_GO_DURATION = {"Nanosecond": "ns", "Microsecond": "us", "Millisecond": "ms", "Second": "s",
                "Minute": "m", "Hour": "h"}  # fmt: skip
_GO_STR = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _go_args(text: str, pos: int, count: int) -> list[str] | None:
    """The next `count` comma-separated arguments from `pos` (nesting-aware, strings
    skipped); None when the call ends first or the text is not understood."""
    args: list[str] = []
    depth = 0
    start = pos
    i = pos
    n = len(text)
    while i < n and len(args) < count:
        ch = text[i]
        if ch in "\"`'":
            end = text.find(ch, i + 1) if ch != '"' else -1
            if ch == '"':
                m = _GO_STR.match(text, i)
                if not m:
                    return None
                end = m.end() - 1
            if end < 0:
                return None
            i = end + 1
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                args.append(text[start:i].strip())
                return args if len(args) >= count else None
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
        if i - pos > 2000:
            return None
    return args if len(args) >= count else None


def _go_literal(expr: str) -> str | None:
    """A Go default as a plain value: strings, numbers, bools, `15*time.Second`."""
    e = expr.strip()
    if m := _GO_STR.fullmatch(e):
        return m.group(1).replace('\\"', '"')
    if len(e) >= 2 and e[0] == e[-1] == "`":
        return e[1:-1]
    if re.fullmatch(r"-?\d+(?:\.\d+)?", e) or e in ("true", "false"):
        return e
    num, unit = "1", ""
    if m := re.fullmatch(r"(\d+)\s*\*\s*time\.(\w+)", e):
        num, unit = m.group(1), m.group(2)
    elif m := re.fullmatch(r"time\.(\w+)\s*\*\s*(\d+)", e):
        num, unit = m.group(2), m.group(1)
    elif m := re.fullmatch(r"time\.(\w+)", e):
        unit = m.group(1)
    if unit in _GO_DURATION:
        return f"{num}{_GO_DURATION[unit]}"
    return None


def _go_dir(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else path


def extract_go(path: str, text: str, sink: FactSink) -> None:
    lines = text.splitlines()
    for i, ln in enumerate(lines, 1):
        if m := _GO_FUNC.match(ln):
            sink.symbol(None, m.group(1), "function", path, i)
        elif m := _GO_METHOD.match(ln):
            sink.symbol(None, f"{m.group(1)}.{m.group(2)}", "method", path, i)
        elif m := _GO_TYPE.match(ln):
            sink.symbol(None, m.group(1), "class", path, i)
        for m in _GO_ENV.finditer(ln):
            sink.env_var(m.group(1), None, path, i, "read")
    is_main = re.search(r"^package\s+main\s*$", text, re.M) is not None
    program = _go_dir(path)
    if is_main and "/" in path and not path.endswith("_test.go"):
        sink.go_binaries.append((program.rsplit("/", 1)[-1], program))
    if path.endswith("_test.go"):
        return  # flags a test registers are not the program's
    # comment lines out, keeping line numbers
    code = "\n".join("" if ln.lstrip().startswith("//") else ln for ln in lines)
    pflag_names = {"pflag"} | {m.group(1) for m in _GO_PFLAG_IMPORT.finditer(code)}
    flagsets: dict[str, bool] = {}  # var -> is pflag
    for m in _GO_FLAGSET.finditer(code):
        flagsets[m.group(1)] = m.group(2) is None or m.group(2) in pflag_names
    parsers: set[str] = set()
    for m in _GO_FLAG_CALL.finditer(code):
        recv = m.group(1)
        if recv is None:
            pflag = True  # cmd.Flags().X(...)
        elif recv in pflag_names:
            pflag = True
        elif recv == "flag":
            pflag = False
        elif recv in flagsets:
            pflag = flagsets[recv]
        else:
            continue
        typ, var, short = m.group(2), m.group(3), m.group(4)
        if short and not pflag:
            continue
        want = 1 + bool(var) + bool(short) + (0 if typ == "Count" else 1)
        args = _go_args(code, m.end(), want)
        if args is None:
            continue
        if var:
            args = args[1:]
        nm = _GO_STR.fullmatch(args[0])
        if not nm or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", nm.group(1)):
            continue
        name = nm.group(1)
        rest = args[1:]
        names = [f"--{name}"] if pflag else [f"-{name}", f"--{name}"]
        if short:
            sm = _GO_STR.fullmatch(rest[0]) if rest else None
            if sm and re.fullmatch(r"[A-Za-z0-9]", sm.group(1)):
                names.append(f"-{sm.group(1)}")
            rest = rest[1:]
        default = None
        if typ != "Count" and rest and not typ.endswith(("Slice", "Array")):
            default = _go_literal(rest[0])
        line = code.count("\n", 0, m.start()) + 1
        parser = "pflag" if pflag else "go-flag"
        parsers.add(parser)
        for flag_name in names:
            sink.flag(program, flag_name, default, path, line, parser)
    for parser in sorted(parsers):
        sink.program(program, None, parser, complete=False)


# ---------------------------------------------------------------- go build outputs

_GO_BUILD = re.compile(r"\bgo\s+build\b([^;&|]*)")
_CD = re.compile(r"\bcd\s+([\w./-]+)\s*&&")


def go_build_binaries(cmdline: str, base_dir: str) -> list[tuple[str, str]]:
    """(binary name, package directory) from `go build -o bin/x ./cmd/x` (relative to
    `base_dir`, after a `cd dir &&`); unresolvable forms are skipped."""
    out: list[tuple[str, str]] = []
    for m in _GO_BUILD.finditer(cmdline):
        cd = _CD.findall(cmdline[: m.start()])
        words = m.group(1).split()
        output = None
        pkgs: list[str] = []
        j = 0
        while j < len(words):
            w = words[j]
            if w == "-o" and j + 1 < len(words):
                output = words[j + 1]
                j += 2
                continue
            if w.startswith("-o="):
                output = w[3:]
            elif re.fullmatch(r"\.{1,2}(?:/[\w.-]+)*/?", w):
                pkgs.append(w)
            j += 1
        if len(pkgs) != 1 or (output and "$" in output):
            continue
        parts = [p for p in base_dir.split("/") if p]
        for seg in ([cd[-1]] if cd else []) + [pkgs[0]]:
            for piece in seg.split("/"):
                if piece in ("", "."):
                    continue
                if piece == "..":
                    if not parts:
                        break
                    parts.pop()
                else:
                    parts.append(piece)
        pkg_dir = "/".join(parts)
        if not pkg_dir:
            continue
        name = (
            (output or "").rstrip("/").rsplit("/", 1)[-1]
            if output and not output.endswith("/")
            else pkg_dir.rsplit("/", 1)[-1]
        )
        if name and re.fullmatch(r"[\w.-]+", name):
            out.append((name, pkg_dir))
    return out


# ---------------------------------------------------------------- Terraform

_TF_VARIABLE = re.compile(r'^\s*variable\s+"([A-Za-z_][\w-]*)"\s*\{(.*)$')
_TF_LOCALS = re.compile(r"^\s*locals\s*\{(.*)$")
_TF_ATTR = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=\s*(.*?)\s*$")
_TF_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_TF_HEREDOC = re.compile(r"<<-?\s*([A-Za-z_]\w*)\s*$")


def _tf_scalar(expr: str) -> tuple[bool, str | None]:
    """(is a plain scalar, its value): quoted strings without interpolation,
    numbers, booleans. Lists, maps, references and expressions are not."""
    e = expr.strip()
    if q := _TF_STRING.match(e):
        rest = e[q.end() :].strip()
        if rest and not rest.startswith(("#", "//", ",")):
            return False, None
        e = q.group(0)
    else:
        e = re.split(r"#|//", e, maxsplit=1)[0].strip().rstrip(",").strip()
    if m := re.fullmatch(r'"((?:[^"\\]|\\.)*)"', e):
        if "${" in m.group(1) or "%{" in m.group(1):
            return False, None
        return True, m.group(1).replace('\\"', '"').replace("\\\\", "\\")
    if re.fullmatch(r"-?\d+(?:\.\d+)?", e) or e in ("true", "false"):
        return True, e
    return False, None


def _tf_strip(line: str, in_block_comment: bool) -> tuple[str, bool]:
    """The line without comments and string contents (for brace counting), and
    whether a /* comment is still open."""
    out: list[str] = []
    i = 0
    n = len(line)
    while i < n:
        if in_block_comment:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i = end + 2
            in_block_comment = False
            continue
        ch = line[i]
        if ch == '"':
            j = i + 1
            while j < n and line[j] != '"':
                j += 2 if line[j] == "\\" else 1
            out.append('""')
            i = j + 1
            continue
        if ch == "#" or line.startswith("//", i):
            break
        if line.startswith("/*", i):
            in_block_comment = True
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), in_block_comment


def extract_terraform(path: str, text: str, sink: FactSink) -> None:
    """`variable "x" { default = ... }` as config key `var.x`, and the scalars of
    `locals { y = ... }` as `local.y`, by line-oriented rules (HCL is not executed)."""
    depth = 0
    block: tuple[str, str | None] | None = None  # ("var", name) | ("local", None)
    var_line = 0
    var_default_seen = False
    in_comment = False
    heredoc: str | None = None
    for i, raw in enumerate(text.splitlines(), 1):
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue
        code, in_comment = _tf_strip(raw, in_comment)
        if not code.strip():
            continue
        if hd := _TF_HEREDOC.search(code):
            heredoc = hd.group(1)
        if depth == 0:
            if m := _TF_VARIABLE.match(raw):
                block, var_line, var_default_seen = ("var", m.group(1)), i, False
                inner = m.group(2).strip()
                if inner.endswith("}") and inner.count("{") + 1 == inner.count("}"):
                    am = _TF_ATTR.match(inner[:-1])
                    if am and am.group(1) == "default":
                        ok, val = _tf_scalar(am.group(2))
                        sink.key(f"var.{m.group(1)}", val if ok else None, path, i, "terraform")
                        var_default_seen = True
            elif _TF_LOCALS.match(raw):
                block = ("local", None)
        elif depth == 1 and block is not None:
            am = _TF_ATTR.match(raw)
            if am and "{" not in code and "[" not in code:
                attr, expr = am.group(1), am.group(2)
                if block[0] == "var" and attr == "default":
                    ok, val = _tf_scalar(expr)
                    if ok:
                        sink.key(f"var.{block[1]}", val, path, i, "terraform")
                        var_default_seen = True
                elif block[0] == "local":
                    ok, val = _tf_scalar(expr)
                    if ok:
                        sink.key(f"local.{attr}", val, path, i, "terraform")
        depth += code.count("{") - code.count("}")
        if depth < 0:
            depth = 0
        if depth == 0 and block is not None:
            if block[0] == "var" and not var_default_seen:
                sink.key(f"var.{block[1]}", None, path, var_line, "terraform")
            block = None
