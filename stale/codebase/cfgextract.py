"""Facts from structured config: YAML, TOML, JSON, INI, .env and .properties files.

YAML is composed with the safe loader only (node marks give line numbers);
TOML/JSON lines are found by a best-effort text search.
"""

from __future__ import annotations

import bisect
import configparser
import json
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import yaml

from stale.codebase.facts import CommandFile
from stale.codebase.norm import join_route
from stale.codebase.sink import FactSink
from stale.yamlsafe import LOADER as _YAML_LOADER
from stale.yamlsafe import too_deep

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ENV_UPPER = re.compile(r"[A-Z_][A-Z0-9_]*\Z")  # mapping form: only conventional names
_INTERP = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-=]([^}$]*))?\}")
_VERSION_KEYS = {
    "python-version": "python",
    "python_version": "python",
    "node-version": "node",
    "go-version": "go",
    "java-version": "java",
    "ruby-version": "ruby",
}
_HTTP = {"get", "post", "put", "delete", "patch", "head", "options"}
_MAX_NODES = 50_000
_IMAGE = re.compile(r"[a-z0-9][a-z0-9._/-]*(?::[0-9]+/[a-z0-9._/-]+)?(?::[A-Za-z0-9_][\w.-]*)?\Z")


def parse_image(ref: str) -> tuple[str, str] | None:
    """ "python:3.11-slim" -> ("python", "3.11-slim"); registry images keep the full name.
    None without a tag carrying a digit ("alpine", "latest", no tag)."""
    ref = ref.strip().split("@", 1)[0]
    if not ref or "$" in ref or " " in ref:
        return None
    name, _, tag = ref.rpartition(":")
    if not name or "/" in tag:
        return None
    if not re.search(r"\d", tag):
        return None
    for pre in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(pre):
            name = name[len(pre) :]
    if name.startswith("library/"):
        name = name[len("library/") :]
    if not _IMAGE.match(f"{name}:{tag}".lower()):
        return None
    return name.lower(), tag


def _scalar_value(node: yaml.ScalarNode) -> str | None:
    tag = node.tag or ""
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return "true" if node.value.lower() in ("true", "yes", "on", "y") else "false"
    return str(node.value)


class _YamlWalker:
    def __init__(self, path: str, sink: FactSink) -> None:
        self.path = path
        self.sink = sink
        self.budget = _MAX_NODES
        self.compose = bool(re.search(r"(^|/)(docker-)?compose[^/]*\.ya?ml$", path))

    def walk_doc(self, root: yaml.Node) -> None:
        self.walk(root, [], set())
        if isinstance(root, yaml.MappingNode):
            self.openapi(root)

    def walk(self, node: yaml.Node, parts: list[str], stack: set[int]) -> None:
        self.budget -= 1
        if self.budget < 0 or id(node) in stack:
            return
        stack = stack | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self.walk(item, parts, stack)
            return
        if not isinstance(node, yaml.MappingNode):
            if isinstance(node, yaml.ScalarNode) and "${" in str(node.value):
                self.interpolations(str(node.value), node.start_mark.line + 1)
            return
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                continue
            key = str(knode.value)
            line = knode.start_mark.line + 1
            dotted = ".".join([*parts, key])
            if isinstance(vnode, yaml.ScalarNode):
                value = _scalar_value(vnode)
                raw = str(vnode.value) if value is not None and value != vnode.value else None
                self.sink.key(dotted, value, self.path, line, "yaml", raw)
                self.special_scalar(key, vnode, line)
            else:
                self.sink.key(dotted, None, self.path, line, "yaml")
                self.special_collection(key, vnode, line)
            self.walk(vnode, [*parts, key], stack)

    def interpolations(self, text: str, line: int) -> None:
        for m in _INTERP.finditer(text):
            default = m.group(2) if m.group(2) is not None else None
            self.sink.env_var(m.group(1), default, self.path, line, "read")

    def special_scalar(self, key: str, vnode: yaml.ScalarNode, line: int) -> None:
        lk = key.lower()
        val = str(vnode.value)
        if lk == "image":
            img = parse_image(val)
            if img:
                self.sink.version(img[0], img[1], self.path, line)
        elif lk in _VERSION_KEYS and re.search(r"\d", val) and "${{" not in val:
            self.sink.version(_VERSION_KEYS[lk], val, self.path, line)

    def special_collection(self, key: str, vnode: yaml.Node, line: int) -> None:
        lk = key.lower()
        if lk in ("env", "environment"):
            self.env_block(vnode)
        elif lk == "image" and isinstance(vnode, yaml.MappingNode):
            fields = {
                str(k.value): v
                for k, v in vnode.value
                if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)
            }
            repo_node, tag_node = fields.get("repository"), fields.get("tag")
            if repo_node is not None and tag_node is not None:
                img = parse_image(f"{repo_node.value}:{tag_node.value}")
                if img:
                    self.sink.version(img[0], img[1], self.path, tag_node.start_mark.line + 1)
        elif lk in _VERSION_KEYS and isinstance(vnode, yaml.SequenceNode):
            for item in vnode.value:
                if isinstance(item, yaml.ScalarNode) and re.search(r"\d", str(item.value)):
                    self.sink.version(
                        _VERSION_KEYS[lk], str(item.value), self.path, item.start_mark.line + 1
                    )

    def env_block(self, vnode: yaml.Node) -> None:
        if isinstance(vnode, yaml.MappingNode):
            for k, v in vnode.value:
                if isinstance(k, yaml.ScalarNode) and _ENV_UPPER.match(str(k.value)):
                    val = _scalar_value(v) if isinstance(v, yaml.ScalarNode) else None
                    self.sink.env_var(str(k.value), val, self.path, k.start_mark.line + 1, "set")
        elif isinstance(vnode, yaml.SequenceNode):
            for item in vnode.value:
                if isinstance(item, yaml.ScalarNode):  # compose: "- KEY=value" / "- KEY"
                    name, eq, val = str(item.value).partition("=")
                    if _ENV_NAME.match(name.strip()):
                        self.sink.env_var(
                            name.strip(),
                            val if eq else None,
                            self.path,
                            item.start_mark.line + 1,
                            "set",
                        )
                elif isinstance(item, yaml.MappingNode):  # k8s: "- name: X\n  value: Y"
                    fields = {
                        str(k.value): v for k, v in item.value if isinstance(k, yaml.ScalarNode)
                    }
                    n = fields.get("name")
                    if isinstance(n, yaml.ScalarNode) and _ENV_NAME.match(str(n.value)):
                        v = fields.get("value")
                        val = _scalar_value(v) if isinstance(v, yaml.ScalarNode) else None
                        self.sink.env_var(
                            str(n.value), val, self.path, n.start_mark.line + 1, "set"
                        )

    def openapi(self, root: yaml.MappingNode) -> None:
        top = {str(k.value): v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        if not ("openapi" in top or "swagger" in top):
            return
        paths = top.get("paths")
        if not isinstance(paths, yaml.MappingNode):
            return
        base_node = top.get("basePath")
        base = str(base_node.value) if isinstance(base_node, yaml.ScalarNode) else ""
        for pk, pv in paths.value:
            if not isinstance(pk, yaml.ScalarNode) or not str(pk.value).startswith("/"):
                continue
            methods = (
                [
                    (str(mk.value), mk.start_mark.line + 1)
                    for mk, _ in pv.value
                    if isinstance(mk, yaml.ScalarNode) and str(mk.value).lower() in _HTTP
                ]
                if isinstance(pv, yaml.MappingNode)
                else []
            )
            line = pk.start_mark.line + 1
            pairs: list[tuple[str | None, int]] = list(methods) or [(None, line)]
            for method, mline in pairs:
                full = join_route(base, str(pk.value))
                self.sink.route(method, full, str(pk.value), self.path, mline)


def extract_yaml(path: str, text: str, sink: FactSink) -> None:
    if "{{" in text and "/templates/" in f"/{path}":
        sink.skip(path, "template (not plain YAML)")
        return
    if too_deep(text):  # libyaml's composer recurses in C: deep nesting overflows the stack
        sink.skip(path, "yaml too deeply nested")
        return
    walker = _YamlWalker(path, sink)
    try:
        docs = list(yaml.compose_all(text, Loader=_YAML_LOADER))
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        sink.skip(path, f"yaml parse error: {first}")
        return
    except (RecursionError, MemoryError, ValueError) as exc:
        sink.skip(path, f"yaml parse error: {type(exc).__name__}")
        return
    try:
        for doc in docs:
            if doc is not None:
                walker.walk_doc(doc)
    except RecursionError:
        sink.skip(path, "yaml too deeply nested")


# ---------------------------------------------------------------- TOML / JSON


_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')
_TOML_TABLE = re.compile(r"^\s*\[+([^\]]+)\]+")
_TOML_KEY = re.compile(r"^\s*((?:[A-Za-z0-9_.-]|\"[^\"]*\"|'[^']*')+)\s*=")
_TOML_INLINE_KEY = re.compile(r"[{,]\s*([A-Za-z0-9_-]+)\s*=")


class _LineFinder:
    """Best-effort line of a nested key: each path segment is looked up after the
    line of the previous one. One pass over the text indexes where each key name
    occurs, so a lookup is a binary search (linear overall, even for big files)."""

    def __init__(self, text: str, style: str) -> None:
        self.where: dict[str, list[int]] = {}
        for i, line in enumerate(text.splitlines()):
            for key in self._keys(line, style):
                self.where.setdefault(key, []).append(i)

    @staticmethod
    def _keys(line: str, style: str) -> list[str]:
        if style == "json":
            return [m.group(1) for m in _JSON_KEY.finditer(line)]
        out: list[str] = []
        m = _TOML_TABLE.match(line)
        if m:
            out += [p.strip().strip("\"'") for p in m.group(1).split(".")]
        else:
            m = _TOML_KEY.match(line)
            if m:
                out += [p.strip().strip("\"'") for p in m.group(1).split(".")]
            out += [k.group(1) for k in _TOML_INLINE_KEY.finditer(line)]
        return out

    def find(self, parts: list[str]) -> int | None:
        start = 0
        found: int | None = None
        for part in parts:
            lines = self.where.get(part)
            if not lines:
                continue  # keep looking for deeper parts from the last anchor
            k = bisect.bisect_left(lines, start)
            if k == len(lines):
                continue
            found = start = lines[k]
        return None if found is None else found + 1


def _walk_data(data: Any, parts: list[str], depth: int = 0) -> Iterator[tuple[list[str], Any]]:
    if depth > 40:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            key = [*parts, str(k)]
            yield key, v
            yield from _walk_data(v, key, depth + 1)
    elif isinstance(data, list):
        for item in data[:1000]:
            if isinstance(item, (dict, list)):
                yield from _walk_data(item, parts, depth + 1)


def _scalar_str(v: Any) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return None


def _emit_data(path: str, text: str, data: Any, sink: FactSink, style: str) -> None:
    finder = _LineFinder(text, style)
    for count, (parts, value) in enumerate(_walk_data(data, [])):
        if count > _MAX_NODES:
            break
        sink.key(".".join(parts), _scalar_str(value), path, finder.find(parts), style)
    if isinstance(data, dict):
        _openapi_data(path, data, finder, sink)


def _openapi_data(path: str, data: dict[str, Any], finder: _LineFinder, sink: FactSink) -> None:
    if not ("openapi" in data or "swagger" in data) or not isinstance(data.get("paths"), dict):
        return
    base = data.get("basePath") if isinstance(data.get("basePath"), str) else ""
    for p, ops in data["paths"].items():
        if not isinstance(p, str) or not p.startswith("/"):
            continue
        line = finder.find(["paths", p]) or 1
        methods: list[str | None] = (
            [m for m in ops if isinstance(m, str) and m.lower() in _HTTP]
            if isinstance(ops, dict)
            else []
        )
        for m in methods or [None]:
            sink.route(m, join_route(str(base), p), p, path, line)


_REQ = re.compile(
    r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*((?:[<>=!~^]=?|===)[^;#]*)"
)


def _pep508(spec: str) -> tuple[str, str] | None:
    m = _REQ.match(spec)
    if not m or not re.search(r"\d", m.group(2)):
        return None
    return m.group(1).lower(), m.group(2).strip()


#: tomllib's time grows with the square of a dotted key's length ("a.a.a...")
_MAX_TOML_DOTS = 128


def toml_key_too_long(text: str) -> bool:
    """A key or table header with more than _MAX_TOML_DOTS parts (the part of a line
    before `=` or a quote): minutes in tomllib for a few hundred KB of `a.a.a`."""
    if text.count(".") <= _MAX_TOML_DOTS:
        return False
    for line in text.splitlines():
        head = re.split(r"[=\"']", line, maxsplit=1)[0]
        if head.count(".") > _MAX_TOML_DOTS:
            return True
    return False


def extract_toml(path: str, text: str, sink: FactSink) -> None:
    if toml_key_too_long(text):
        sink.skip(path, "toml key with too many dotted parts")
        return
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:
        sink.skip(path, f"toml parse error: {str(exc).splitlines()[0] if str(exc) else exc}")
        return
    _emit_data(path, text, data, sink, "toml")
    if path.rsplit("/", 1)[-1] != "pyproject.toml":
        return
    finder = _LineFinder(text, "toml")
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    assert isinstance(project, dict)
    rp = project.get("requires-python")
    if isinstance(rp, str):
        sink.version("python", rp, path, finder.find(["project", "requires-python"]))
    for dep in project.get("dependencies") or []:
        if isinstance(dep, str) and (pin := _pep508(dep)):
            sink.version(pin[0], pin[1], path, _find_text_line(text, dep), "dependency")
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    scripts: dict[str, Any] = {}
    if isinstance(project.get("scripts"), dict):
        scripts.update(project["scripts"])
    if isinstance(poetry, dict):
        if isinstance(poetry.get("scripts"), dict):
            scripts.update(poetry["scripts"])
        deps = poetry.get("dependencies")
        if isinstance(deps, dict) and isinstance(deps.get("python"), str):
            sink.version(
                "python",
                deps["python"],
                path,
                finder.find(["tool", "poetry", "dependencies", "python"]),
            )
    for name, target in scripts.items():
        if isinstance(target, str):
            sink.aliases[str(name)] = target.split(":", 1)[0].strip()


def _find_text_line(text: str, needle: str) -> int | None:
    idx = text.find(needle)
    return None if idx < 0 else text.count("\n", 0, idx) + 1


def extract_json(path: str, text: str, sink: FactSink) -> None:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        sink.skip(path, f"json parse error: {exc}")
        return
    _emit_data(path, text, data, sink, "json")
    if path.rsplit("/", 1)[-1] != "package.json" or not isinstance(data, dict):
        return
    finder = _LineFinder(text, "json")
    scripts = data.get("scripts")
    if isinstance(scripts, dict):
        sink.command_files.append(_cmdfile("npm", path, sink.repo, True))
        for name in scripts:
            sink.command("npm", str(name), path, finder.find(["scripts", str(name)]))
    engines = data.get("engines")
    if isinstance(engines, dict):
        for tech, ver in engines.items():
            if isinstance(ver, str):
                sink.version(str(tech), ver, path, finder.find(["engines", str(tech)]))
    for section in ("dependencies", "devDependencies", "peerDependencies"):
        deps = data.get(section)
        if isinstance(deps, dict):
            for dep, ver in deps.items():
                if isinstance(ver, str) and re.search(r"\d", ver):
                    sink.version(
                        str(dep), ver, path, finder.find([section, str(dep)]), "dependency"
                    )
    bins = data.get("bin")
    if isinstance(bins, dict):
        for name, target in bins.items():
            if isinstance(target, str):
                sink.aliases[str(name)] = target.lstrip("./")
    elif isinstance(bins, str) and isinstance(data.get("name"), str):
        sink.aliases[data["name"].split("/")[-1]] = bins.lstrip("./")


def _cmdfile(tool: str, path: str, repo: str, complete: bool) -> CommandFile:
    return CommandFile(tool, path, repo, complete)


# ---------------------------------------------------------------- INI / .env / .properties


def extract_ini(path: str, text: str, sink: FactSink) -> None:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        cp.read_string(text, source=path)
    except (configparser.Error, ValueError, UnicodeError) as exc:
        sink.skip(path, f"ini parse error: {str(exc).splitlines()[0] if str(exc) else exc}")
        return
    lines = text.splitlines()
    for section in cp.sections():
        sec_line = next((i for i, ln in enumerate(lines) if ln.strip() == f"[{section}]"), None)
        sink.key(section, None, path, None if sec_line is None else sec_line + 1, "ini")
        start = 0 if sec_line is None else sec_line + 1
        for key, value in cp.items(section, raw=True):
            pat = re.compile(rf"^\s*{re.escape(key)}\s*[=:]")
            line = next((i + 1 for i in range(start, len(lines)) if pat.match(lines[i])), None)
            sink.key(f"{section}.{key}", value.strip(), path, line, "ini")


_DOTENV = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$")


def _dotenv_value(raw: str) -> str:
    if raw[:1] in ("'", '"'):
        q = raw[0]
        end = raw.find(q, 1)
        return raw[1:end] if end > 0 else raw[1:]
    return re.split(r"\s+#", raw, maxsplit=1)[0].strip()


def extract_dotenv(path: str, text: str, sink: FactSink) -> None:
    base = path.rsplit("/", 1)[-1].lower()
    how = "example" if re.search(r"example|sample|template|dist|defaults?", base) else "set"
    for i, line in enumerate(text.splitlines(), 1):
        m = _DOTENV.match(line)
        if not m:
            continue
        value = _dotenv_value(m.group(2))
        sink.env_var(m.group(1), value, path, i, how)
        sink.key(m.group(1), value, path, i, "env")


_PROP = re.compile(r"^\s*([^#!\s=:][^=:\s]*)\s*[=:]\s*(.*?)\s*$")


def extract_properties(path: str, text: str, sink: FactSink) -> None:
    for i, line in enumerate(text.splitlines(), 1):
        m = _PROP.match(line)
        if m:
            sink.key(m.group(1), m.group(2), path, i, "properties")
