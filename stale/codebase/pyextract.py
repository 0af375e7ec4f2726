"""Facts from Python source, read with `ast` only (never imported or executed)."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from stale.codebase.norm import join_route
from stale.codebase.sink import FactSink

HTTP_METHODS = {"get", "post", "put", "delete", "patch", "head", "options"}
_ROUTE_ATTRS = HTTP_METHODS | {"route", "api_route"}


def module_name(path: str) -> str | None:
    """Dotted module name of a .py path ("src/acme/cli.py" -> "acme.cli")."""
    if not path.endswith(".py"):
        return None
    parts = path[:-3].split("/")
    if len(parts) > 1 and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def literal_str(node: ast.AST | None) -> str | None:
    """A literal as the string a human would write; None when not a simple literal."""
    if node is None:
        return None
    try:
        val = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(val, bool):
        return "true" if val else "false"
    if val is None:
        return None
    if isinstance(val, (int, float, str)):
        return str(val)
    return None


def _dotted(node: ast.AST) -> str:
    """ "os.environ.get" for an Attribute chain, "" for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _str_args(call: ast.Call) -> tuple[list[str], bool]:
    """String-constant positional args, and whether all positionals were such constants."""
    out: list[str] = []
    ok = True
    for a in call.args:
        if isinstance(a, ast.Constant) and isinstance(a.value, str):
            out.append(a.value)
        else:
            ok = False
    return out, ok


def _option_names(decls: list[str]) -> list[str]:
    names: list[str] = []
    for d in decls:
        for part in d.split("/"):
            part = part.strip()
            if part.startswith("-") and len(part) > 1 and " " not in part:
                names.append(part)
    return names


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, looking through if/try/with blocks."""
    for st in body:
        if isinstance(st, ast.If):
            yield from _top_level(st.body)
            yield from _top_level(st.orelse)
        elif isinstance(st, ast.Try):
            yield from _top_level(st.body)
            for h in st.handlers:
                yield from _top_level(h.body)
            yield from _top_level(st.orelse)
            yield from _top_level(st.finalbody)
        elif isinstance(st, ast.With):
            yield from _top_level(st.body)
        else:
            yield st


class _PyFile:
    def __init__(self, path: str, tree: ast.Module, sink: FactSink) -> None:
        self.path = path
        self.tree = tree
        self.sink = sink
        self.module = module_name(path)
        self.imports: set[str] = set()
        self.from_imports: dict[str, str] = {}  # local name -> "module.name"
        self.nodes: list[ast.AST] = list(ast.walk(tree))
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.imports.add(a.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.from_imports[a.asname or a.name] = f"{node.module}.{a.name}"
        self.defined_functions = {
            n.name for n in self.nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
        }

    def uses(self, module: str) -> bool:
        return module in self.imports or any(
            v.split(".")[0] == module for v in self.from_imports.values()
        )

    def resolve(self, node: ast.AST) -> str:
        """Dotted name with a from-import alias expanded ("option" -> "click.option")."""
        d = _dotted(node)
        if not d:
            return ""
        head, _, rest = d.partition(".")
        if head in self.from_imports:
            full = self.from_imports[head]
            return f"{full}.{rest}" if rest else full
        return d

    # ------------------------------------------------------------ symbols & fields

    def symbols(self) -> None:
        s = self.sink
        for st in _top_level(self.tree.body):
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                s.symbol(self.module, st.name, "function", self.path, st.lineno)
            elif isinstance(st, ast.ClassDef):
                self.klass(st, st.name)
            elif isinstance(st, (ast.Assign, ast.AnnAssign)):
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        s.symbol(self.module, t.id, "variable", self.path, st.lineno)

    def klass(self, cls: ast.ClassDef, qual: str) -> None:
        s = self.sink
        s.symbol(self.module, qual, "class", self.path, cls.lineno)
        bases = {self.resolve(b).rsplit(".", 1)[-1] for b in cls.bases}
        settings = "BaseSettings" in bases
        prefix = self._env_prefix(cls) if settings else ""
        for st in cls.body:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                s.symbol(self.module, f"{qual}.{st.name}", "method", self.path, st.lineno)
            elif isinstance(st, ast.ClassDef):
                self.klass(st, f"{qual}.{st.name}")
            elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
                name = st.target.id
                s.symbol(self.module, f"{qual}.{name}", "variable", self.path, st.lineno)
                value = self._field_default(st.value)
                if st.value is not None and name != "model_config":
                    s.key(f"{cls.name}.{name}", value, self.path, st.lineno, "python")
                if settings and not name.startswith("_") and name != "model_config":
                    s.env_var((prefix + name).upper(), value, self.path, st.lineno, "read")
            elif isinstance(st, ast.Assign):
                for t in st.targets:
                    if isinstance(t, ast.Name):
                        s.symbol(self.module, f"{qual}.{t.id}", "variable", self.path, st.lineno)

    def _field_default(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Call) and self.resolve(node.func).rsplit(".", 1)[-1] in (
            "Field",
            "field",
        ):
            d = _kw(node, "default")
            if d is None and node.args:
                d = node.args[0]
            return literal_str(d)
        return literal_str(node)

    def _env_prefix(self, cls: ast.ClassDef) -> str:
        for st in cls.body:
            if isinstance(st, ast.ClassDef) and st.name == "Config":
                for sub in st.body:
                    if (
                        isinstance(sub, ast.Assign)
                        and any(
                            isinstance(t, ast.Name) and t.id == "env_prefix" for t in sub.targets
                        )
                        and (v := literal_str(sub.value))
                    ):
                        return v
            targets: list[ast.expr] = []
            if isinstance(st, ast.Assign):
                targets = st.targets
            elif isinstance(st, ast.AnnAssign):
                targets = [st.target]
            if (
                any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets)
                and isinstance(st, (ast.Assign, ast.AnnAssign))
                and isinstance(st.value, ast.Call)
                and (v := literal_str(_kw(st.value, "env_prefix")))
            ):
                return v
        return ""

    # ------------------------------------------------------------ environment

    def _is_environ(self, node: ast.AST) -> bool:
        return self.resolve(node) in ("os.environ", "environ")

    def environment(self) -> None:
        s = self.sink
        stores: set[int] = set()
        for node in self.nodes:
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Subscript) and self._is_environ(t.value):
                        key = literal_str(t.slice)
                        if key:
                            stores.add(id(t))
                            s.env_var(key, literal_str(node.value), self.path, node.lineno, "set")
            elif isinstance(node, ast.Call):
                fn = self.resolve(node.func)
                is_get = fn in ("os.getenv", "getenv") or (
                    isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("get", "setdefault", "pop")
                    and self._is_environ(node.func.value)
                )
                if not is_get or not node.args:
                    continue
                name = literal_str(node.args[0])
                if not name:
                    continue
                default_node = node.args[1] if len(node.args) > 1 else _kw(node, "default")
                s.env_var(name, literal_str(default_node), self.path, node.lineno, "read")
            elif (
                isinstance(node, ast.Subscript)
                and id(node) not in stores
                and self._is_environ(node.value)
            ):
                key = literal_str(node.slice)
                if key:
                    s.env_var(key, None, self.path, node.lineno, "read")

    # ------------------------------------------------------------ command-line flags

    def argparse(self) -> None:
        calls = [
            n
            for n in self.nodes
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "add_argument"
        ]
        if not calls:
            return
        has_parser = False
        complete = True
        parser_vars: set[str] = set()
        for node in self.nodes:
            if isinstance(node, ast.Call):
                fn = self.resolve(node.func)
                leaf = fn.rsplit(".", 1)[-1]
                if leaf == "ArgumentParser":
                    has_parser = True
                    if _kw(node, "parents") is not None:
                        complete = False
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, (ast.Attribute, ast.Name))
            ):
                leaf = self.resolve(node.value.func).rsplit(".", 1)[-1]
                if leaf in (
                    "ArgumentParser",
                    "add_parser",
                    "add_argument_group",
                    "add_mutually_exclusive_group",
                ):
                    parser_vars.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if not has_parser:
            complete = False
        # a parser handed to a helper defined elsewhere may gain flags we cannot see
        for node in self.nodes:
            if isinstance(node, ast.Call) and any(
                isinstance(a, ast.Name) and a.id in parser_vars for a in node.args
            ):
                callee = _dotted(node.func).rsplit(".", 1)[-1]
                if callee and callee not in self.defined_functions:
                    complete = False
        found = False
        for call in calls:
            decls, ok = _str_args(call)
            if not ok:
                complete = False
            names = [d for d in decls if d.startswith("-") and len(d) > 1]
            if not names:
                continue
            found = True
            default = literal_str(_kw(call, "default"))
            action = literal_str(_kw(call, "action"))
            if default is None and action in ("store_true", "store_false"):
                default = "false" if action == "store_true" else "true"
            for name in names:
                self.sink.flag(self.path, name, default, self.path, call.lineno, "argparse")
        if found or has_parser:
            if has_parser:
                for implicit in ("-h", "--help"):
                    self.sink.flag(self.path, implicit, None, self.path, None, "argparse")
            self.sink.program(self.path, self.module, "argparse", complete)

    def click_typer(self) -> None:
        uses_click = self.uses("click")
        uses_typer = self.uses("typer")
        if not (uses_click or uses_typer):
            return
        complete = True
        found = False
        parser = "typer" if uses_typer else "click"
        run_targets = set()
        for node in self.nodes:
            if (
                isinstance(node, ast.Call)
                and self.resolve(node.func) == "typer.run"
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                run_targets.add(node.args[0].id)
        for fn in self.nodes:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            is_typer_cmd = uses_typer and fn.name in run_targets
            is_click_cmd = False
            unknown_decorator = False
            for dec in fn.decorator_list:
                call = dec if isinstance(dec, ast.Call) else None
                target = call.func if call else dec
                full = self.resolve(target)
                leaf = full.rsplit(".", 1)[-1]
                if full.startswith("click.") and leaf in ("command", "group", "option"):
                    is_click_cmd = True
                elif not full.startswith("click.") and leaf not in ("command", "callback"):
                    unknown_decorator = True  # e.g. a shared @common_options from elsewhere
                if call is not None and full in ("click.option", "click.decorators.option"):
                    decls, ok = _str_args(call)
                    complete = complete and ok
                    default = literal_str(_kw(call, "default"))
                    for name in _option_names(decls):
                        found = True
                        self.sink.flag(self.path, name, default, self.path, call.lineno, "click")
                elif full in ("click.version_option",):
                    found = True
                    self.sink.flag(self.path, "--version", None, self.path, dec.lineno, "click")
                elif (
                    uses_typer and leaf in ("command", "callback") and not full.startswith("click.")
                ):
                    is_typer_cmd = True
            if is_click_cmd and unknown_decorator:
                complete = False
            if is_typer_cmd:
                found = True
                complete = self._typer_params(fn) and complete
        if found:
            self.sink.flag(self.path, "--help", None, self.path, None, parser)
            self.sink.program(self.path, self.module, parser, complete)

    def _typer_params(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        complete = True
        args = fn.args.args + fn.args.kwonlyargs
        defaults: list[ast.expr | None] = [None] * (len(fn.args.args) - len(fn.args.defaults))
        defaults += list(fn.args.defaults) + list(fn.args.kw_defaults)
        for arg, default in zip(args, defaults, strict=False):
            info: ast.Call | None = None
            annotated = False
            ann = arg.annotation
            if (
                isinstance(ann, ast.Subscript)
                and self.resolve(ann.value).rsplit(".", 1)[-1] == "Annotated"
                and isinstance(ann.slice, ast.Tuple)
            ):
                for meta in ann.slice.elts[1:]:
                    if isinstance(meta, ast.Call):
                        info = meta
                        annotated = True
            if info is None and isinstance(default, ast.Call):
                info = default
            kind = self.resolve(info.func).rsplit(".", 1)[-1] if info is not None else ""
            if kind == "Argument":
                continue
            if info is not None and kind == "Option":
                decls, ok = _str_args(info)
                complete = complete and ok
                names = _option_names(decls)
                if annotated:
                    dflt = literal_str(default)
                else:
                    dflt = literal_str(_kw(info, "default"))
                    if (
                        dflt is None
                        and info.args
                        and not (
                            isinstance(info.args[0], ast.Constant)
                            and isinstance(info.args[0].value, str)
                            and info.args[0].value.startswith("-")
                        )
                    ):
                        dflt = literal_str(info.args[0])
            elif default is not None:
                names, dflt = [], literal_str(default)
            else:
                continue  # a positional argument
            if not names:
                base = arg.arg.replace("_", "-")
                names = [f"--{base}"]
                if isinstance(ann, ast.Name) and ann.id == "bool":
                    names.append(f"--no-{base}")
            for name in names:
                self.sink.flag(self.path, name, dflt, self.path, arg.lineno, "typer")
        return complete

    # ------------------------------------------------------------ HTTP routes

    def routes(self) -> None:
        prefixes: dict[str, tuple[str, bool]] = {}  # var -> (prefix, anchored)
        for node in self.nodes:
            if not (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                continue
            var = node.targets[0].id
            leaf = self.resolve(node.value.func).rsplit(".", 1)[-1]
            if leaf in ("FastAPI", "Flask", "Quart", "Starlette", "Sanic"):
                prefixes[var] = ("", True)
            elif leaf == "APIRouter":
                prefixes[var] = (literal_str(_kw(node.value, "prefix")) or "", False)
            elif leaf == "Blueprint":
                prefixes[var] = (literal_str(_kw(node.value, "url_prefix")) or "", False)
        # app.include_router(router, prefix="/api") / app.register_blueprint(bp, url_prefix=..)
        for node in self.nodes:
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("include_router", "register_blueprint")
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in prefixes
                and isinstance(node.func.value, ast.Name)
            ):
                outer = prefixes.get(node.func.value.id)
                inner, _ = prefixes[node.args[0].id]
                extra = literal_str(_kw(node, "prefix") or _kw(node, "url_prefix")) or ""
                if outer is not None:
                    prefixes[node.args[0].id] = (
                        join_route(outer[0], join_route(extra, inner)),
                        outer[1],
                    )
        for fn in self.nodes:
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
                    continue
                attr = dec.func.attr
                if attr not in _ROUTE_ATTRS:
                    continue
                path_node = dec.args[0] if dec.args else _kw(dec, "path") or _kw(dec, "rule")
                raw = literal_str(path_node)
                if raw is None or not (raw.startswith("/") or raw == ""):
                    continue
                owner = _dotted(dec.func.value)
                prefix, anchored = prefixes.get(owner, ("", False))
                full = join_route(prefix, raw) if raw else prefix or "/"
                methods: list[str | None]
                if attr in HTTP_METHODS:
                    methods = [attr]
                else:
                    mnode = _kw(dec, "methods")
                    if isinstance(mnode, (ast.List, ast.Tuple, ast.Set)):
                        methods = [literal_str(e) for e in mnode.elts]
                    elif attr == "route":
                        methods = ["GET"]  # Flask's default
                    else:
                        methods = [None]
                for m in methods:
                    self.sink.route(m, full, raw, self.path, dec.lineno, anchored)


def extract_python(path: str, text: str, sink: FactSink) -> None:
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        sink.skip(path, f"python parse error: {type(exc).__name__}")
        return
    f = _PyFile(path, tree, sink)
    if f.module:
        sink.modules.setdefault(f.module, path)
    for step in (f.symbols, f.environment, f.argparse, f.click_typer, f.routes):
        try:
            step()
        except RecursionError:
            sink.skip(path, f"python too deeply nested for {step.__name__}")
