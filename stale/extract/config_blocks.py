"""Config code blocks (YAML, TOML, INI, JSON, .env, properties) -> claims.

Parsing is safe (YAML through stale.yamlsafe, tomllib, json, configparser, line-based
.env) and every failure just yields no claims.
"""

from __future__ import annotations

import configparser
import datetime as _dt
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from stale.extract.patterns import env_name, is_placeholder, path_subject
from stale.extract.segments import Draft
from stale.model import ClaimKind

#: Info strings of config blocks, mapped to a parser.
CONFIG_INFOS = {
    "yaml": "yaml",
    "yml": "yaml",
    "toml": "toml",
    "ini": "ini",
    "cfg": "ini",
    "json": "json",
    "jsonc": "json",
    "env": "env",
    "dotenv": "env",
    "properties": "properties",
    "props": "properties",
}

CONFIG_EXTENSIONS: tuple[str, ...] = (
    ".yaml",
    ".yml",
    ".toml",
    ".ini",
    ".cfg",
    ".conf",
    ".json",
    ".env",
    ".properties",
    ".tfvars",
    ".hcl",
)

_MAX_LEAVES = 500
_MAX_DEPTH = 12
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_PROP_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s*(.*?)\s*$")
_COMMENT_WORD_SEP_RE = re.compile(r"[\s,()]+")
_COMMENT_LINE = re.compile(r"^\s*(?:#|//|;|--|<!--)\s*(.*?)\s*(?:-->)?\s*$")


def is_config_path(p: str) -> bool:
    base = p.rsplit("/", 1)[-1]
    return base.endswith(CONFIG_EXTENSIONS) or base.startswith(".env")


def comment_file(lines: tuple[str, ...]) -> tuple[str, int] | None:
    """A file named in the block's first non-blank line, if it is a comment."""
    for idx, line in enumerate(lines):
        if not line.strip():
            continue
        m = _COMMENT_LINE.match(line)
        if not m:
            return None
        for tok in _COMMENT_WORD_SEP_RE.split(m.group(1))[:6]:
            p = path_subject(tok.strip(":"))
            if p and is_config_path(p):
                return p, idx
        return None
    return None


def scalar_text(v: object) -> str | None:
    """Normalise a parsed scalar; None when there is nothing to claim."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, _dt.datetime | _dt.date):
        return v.isoformat()
    if isinstance(v, str):
        s = v.strip()
        if not s or "\n" in s or len(s) > 200 or is_placeholder(s):
            return ""
        return s
    return None


def _leaves(
    obj: Any, prefix: tuple[str, ...], depth: int = 0
) -> Iterator[tuple[tuple[str, ...], Any]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = str(k)
            if not _KEY_RE.match(key):
                continue
            if isinstance(v, dict):
                yield from _leaves(v, (*prefix, key), depth + 1)
            elif isinstance(v, list):
                continue  # list items are examples as often as settings
            else:
                yield (*prefix, key), v


def _find_line(lines: tuple[str, ...], parts: tuple[str, ...]) -> int:
    idx = 0
    for part in parts:
        for k in range(idx, len(lines)):
            if _key_on_line(lines[k], part):
                idx = k
                break
    return idx


#: What may follow a key: a closing quote, then `:`, `=`, `]` or the end of the line.
_KEY_END_RE = re.compile(r"[\"']?\s*(?:[:=\]]|$)")


def _key_on_line(line: str, key: str) -> bool:
    """`key` written as a key on `line`: at the start or after whitespace or one of
    `"'[{,.`, and followed by _KEY_END_RE. The same answer as searching the pattern
    (?:^|[\\s"'\\[{,.]) + re.escape(key) + _KEY_END_RE, without compiling a
    pattern for every key (thousands of keys overflow re's cache and each
    compile costs more than the search)."""
    i = line.find(key)
    while i >= 0:
        before_ok = i == 0 or line[i - 1].isspace() or line[i - 1] in "\"'[{,."
        if before_ok and _KEY_END_RE.match(line, i + len(key)):
            return True
        i = line.find(key, i + 1)
    return False


def _parse(kind: str, text: str) -> list[Any]:
    if kind == "yaml":
        plain = plain_yaml(text)
        if plain is not None:
            return plain
        from stale.yamlsafe import load_all

        return [d for d in load_all(text) if isinstance(d, dict)]
    if kind == "toml":
        import tomllib

        if any(ln.split("=", 1)[0].count(".") > 128 for ln in text.splitlines()):
            return []  # tomllib is quadratic in a dotted key's parts ("a.a.a...")
        return [tomllib.loads(text)]
    if kind == "json":
        doc = json.loads(text)
        return [doc] if isinstance(doc, dict) else []
    if kind == "ini":
        cp = configparser.ConfigParser(interpolation=None, strict=False)
        cp.read_string(text)
        return [{s: dict(cp.items(s, raw=True)) for s in cp.sections()}]
    return []


#: A line plain_yaml reads: a key (a plain word) and a colon, at some indentation,
#: then nothing (a nested mapping or null follows) or a plain word or a decimal
#: number (the value). Plain words start with a letter or "_", so YAML reads
#: none of them as a number, a date or a timestamp; the words it reads as
#: booleans or null are in _PLAIN_YAML_NOT_STR.
_PLAIN_YAML_LINE = re.compile(
    r"( *)([A-Za-z_][A-Za-z0-9_.-]*):(?: +(?:([A-Za-z_][A-Za-z0-9_.-]*)"
    r"|(0|[1-9][0-9]{0,17})|((?:0|[1-9][0-9]{0,17})\.[0-9]{1,17})))? *"
)
#: Lower-cased, every plain word YAML 1.1 (PyYAML's resolver) reads as a boolean
#: or as null (a superset: "nUll" is a string there, and is left to YAML here).
_PLAIN_YAML_NOT_STR = frozenset({"yes", "no", "true", "false", "on", "off", "null"})
#: A blank line or a comment line (printable ASCII: YAML refuses control characters
#: anywhere, and "\r", "\x85", "\u2028" would end the comment).
_PLAIN_YAML_SKIP = re.compile(r" *(?:#[ -~]*)?")


def plain_yaml(text: str) -> list[Any] | None:
    """The documents stale.yamlsafe.load_all reads from `text` (only the mappings),
    read without YAML, for the usual snippet: nested block mappings of plain
    words and decimal numbers, comment lines and blank lines. None for anything
    else (YAML decides): another line, a tab, a duplicate key, a nested mapping
    under a key with a value, an indentation that closes no open mapping, a
    first key that is indented, a long line. tests/test_extract_speed_paths.py
    checks it against YAML on random snippets.

    PyYAML builds each node in Python code: some tens of microseconds a key."""
    root: dict[str, Any] = {}
    # open mappings, innermost last: (indentation of its keys, the mapping)
    stack: list[tuple[int, dict[str, Any]]] = []
    # the key of the last entry when it had no value (a nested mapping may follow)
    pending: tuple[dict[str, Any], str] | None = None
    for line in text.split("\n"):
        if len(line) > 200:
            return None
        m = _PLAIN_YAML_LINE.fullmatch(line)
        if m is None:
            if _PLAIN_YAML_SKIP.fullmatch(line):
                continue
            return None
        indent = len(m.group(1))
        key, word, integer, decimal = m.group(2, 3, 4, 5)
        if key.lower() in _PLAIN_YAML_NOT_STR:
            return None
        if not stack:
            if indent:
                return None
            stack.append((0, root))
        elif indent > stack[-1][0]:
            if pending is None or indent > 100:
                return None
            child: dict[str, Any] = {}
            pending[0][pending[1]] = child
            stack.append((indent, child))
        else:
            while indent < stack[-1][0]:
                stack.pop()
            if indent != stack[-1][0]:
                return None
        mapping = stack[-1][1]
        if key in mapping:
            return None
        value: Any = None
        pending = None
        if word is not None:
            if word.lower() in _PLAIN_YAML_NOT_STR:
                return None
            value = word
        elif integer is not None:
            value = int(integer)
        elif decimal is not None:
            value = float(decimal)
        else:
            pending = (mapping, key)
        mapping[key] = value
    return [root] if stack else []


#: Blocks up to this many characters are memoised (the same snippet is often
#: pasted on many pages); bigger ones are parsed each time, not kept.
_MEMO_MAX_CHARS = 4096


def config_block_claims(
    kind: str, lines: tuple[str, ...], context: str | None, json_ok: bool
) -> tuple[tuple[Draft, int], ...]:
    """(draft, 0-based line index in block) for each leaf setting."""
    if sum(map(len, lines)) <= _MEMO_MAX_CHARS:
        return _memo_block_claims(kind, lines, context, json_ok)
    return tuple(_block_claims(kind, lines, context, json_ok))


@lru_cache(maxsize=1024)
def _memo_block_claims(
    kind: str, lines: tuple[str, ...], context: str | None, json_ok: bool
) -> tuple[tuple[Draft, int], ...]:
    return tuple(_block_claims(kind, lines, context, json_ok))


def _block_claims(
    kind: str, lines: tuple[str, ...], context: str | None, json_ok: bool
) -> list[tuple[Draft, int]]:
    out: list[tuple[Draft, int]] = []
    if kind in ("env", "properties"):
        for idx, line in enumerate(lines):
            if line.lstrip().startswith(("#", ";", "!")):
                continue
            m = (_ENV_LINE if kind == "env" else _PROP_LINE).match(line)
            if not m:
                continue
            key, raw = m.group(1), m.group(2)
            raw = re.sub(r"\s+#.*$", "", raw).strip().strip("\"'")
            val = scalar_text(raw) or None
            name = env_name(key)
            if name:
                out.append((Draft(ClaimKind.ENV, name, val), idx))
            elif kind == "properties" and re.match(r"^[a-z][A-Za-z0-9_.\-]*$", key):
                out.append((Draft(ClaimKind.CONFIG, key, val, context), idx))
        return out
    if kind == "json" and not json_ok:
        return out
    text = "\n".join(lines)
    try:
        docs = _parse(kind, text)
    except Exception:  # a broken or partial snippet says nothing checkable
        return out
    for doc in docs:
        for path, raw_value in _leaves(doc, ()):
            if len(out) >= _MAX_LEAVES:
                return out
            val = scalar_text(raw_value)
            if val is None:
                continue
            leaf = path[-1]
            line_idx = _find_line(lines, path)
            name = env_name(leaf)
            if name:
                out.append((Draft(ClaimKind.ENV, name, val or None), line_idx))
                continue
            if is_placeholder(".".join(path).replace("_", "-")):
                continue
            out.append((Draft(ClaimKind.CONFIG, ".".join(path), val or None, context), line_idx))
    return out
