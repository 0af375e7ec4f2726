"""State -> the files of the Northwind monorepo (path -> text)."""

from __future__ import annotations

import json
import re

from bench.corpus.history import VERSION_PATCH
from bench.corpus.model import Fact, State


def _snake(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def _py_default(v: str | None) -> str:
    if v is None:
        return "None"
    return v if v.isdigit() else json.dumps(v)


def _flag_dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def render(s: State) -> dict[str, str]:
    files: dict[str, str] = {}
    files["README.md"] = _readme(s)
    files[".gitignore"] = ".venv/\nnode_modules/\ndist/\n__pycache__/\n.env\nbin/\n"
    files["Makefile"] = _makefile(s)
    files[".tool-versions"] = "".join(
        f"{tool} {VERSION_PATCH[key][s.val('runtime/' + key)]}\n"
        for tool, key in (("python", "python"), ("nodejs", "node"), ("golang", "go"))
    )
    files[".env.example"] = _env_example(s)
    files["docker-compose.yml"] = _compose(s)
    files[".github/workflows/ci.yml"] = _ci(s)
    _dispatch(s, files)
    _tracker(s, files)
    _portal(s, files)
    _scripts(s, files)
    _deploy(s, files)
    _drift_components(s, files)
    return files


def _table_row(i: int, rev: int) -> tuple[int, float]:
    return i, ((i * 37 + rev * 53) % 89 + 11) / 100


def _drift_components(s: State, files: dict[str, str]) -> None:
    """The drift fixtures: each churn commit rewrites a tuning table, no fact changes."""
    rows = 30
    if s.has("dispatch.routing"):
        rev = s.revs.get("dispatch.routing", 0)
        table = "".join(
            f"    ({i}, {w:.2f}),\n" for i, w in (_table_row(i, rev) for i in range(rows))
        )
        funcs = [
            f"def {f.subject}(*args: object, **kwargs: object) -> object:\n"
            f'    """{f.note.capitalize()}."""\n    raise NotImplementedError\n'
            for _, f in s.of("dispatch.routing", "symbol")
        ]
        files[s.paths["dispatch.routing"]] = (
            '"""Route legs: planned stops as drivable legs."""\n\n'
            "from __future__ import annotations\n\n"
            f"# Leg weights per stop-density band (tuning revision {rev}).\n"
            "LEG_WEIGHTS = [\n" + table + "]\n\n\n" + "\n\n".join(funcs)
        )
    if s.has("tracker.replay"):
        rev = s.revs.get("tracker.replay", 0)
        table = "".join(
            f"\t{i}: {w:.2f},\n" for i, w in (_table_row(i + 7, rev) for i in range(rows))
        )
        funcs = [
            f"// {f.subject} {f.note}.\nfunc {f.subject}(day string) error {{\n\treturn nil\n}}\n"
            for _, f in s.of("tracker.replay", "symbol")
        ]
        files[s.paths["tracker.replay"]] = (
            "// Package replay re-reads archived GPS pings.\npackage replay\n\n"
            f"// readAhead per archive shard (tuning revision {rev}).\n"
            "var readAhead = map[int]float64{\n" + table + "}\n\n" + "\n".join(funcs)
        )
    if s.has("portal.invoices"):
        rev = s.revs.get("portal.invoices", 0)
        table = "".join(
            f"  [{i}, {w:.2f}],\n" for i, w in (_table_row(i + 13, rev) for i in range(rows))
        )
        funcs = [
            f"/** {f.note}. */\nexport function {f.subject}(amount: number): number {{\n"
            "  return amount;\n}\n"
            for _, f in s.of("portal.invoices", "symbol")
        ]
        files[s.paths["portal.invoices"]] = (
            f"// Rounding steps per currency band (tuning revision {rev}).\n"
            "export const ROUNDING: Array<[number, number]> = [\n"
            + table
            + "];\n\n"
            + "\n".join(funcs)
        )


# --------------------------------------------------------------------------- top level


def _readme(s: State) -> str:
    return (
        "# Northwind Logistics monorepo\n\n"
        "Services that plan, track and bill deliveries.\n\n"
        "| service | language | path |\n|---|---|---|\n"
        "| dispatch | Python (FastAPI) | services/dispatch |\n"
        "| tracker | Go | services/tracker |\n"
        "| portal | TypeScript (Express) | services/portal |\n\n"
        "Run `make test` before pushing. Deployment and runbooks live in the wiki.\n"
    )


def _makefile(s: State) -> str:
    targets = [f.subject.split(" ", 1)[1] for _, f in s.of("make", "command")]
    recipes = {
        "test": "\tcd services/dispatch && python -m pytest -q\n"
        "\tcd services/tracker && go test ./...\n\tcd services/portal && npm test\n",
        "lint": "\tcd services/dispatch && ruff check .\n\tcd services/portal && npm run lint\n",
        "build": "\tdocker compose build\n",
        "run-dispatch": "\tcd services/dispatch && python -m dispatch.cli --depot SEA1 --dry-run\n",
        "deploy": "\t./scripts/deploy.sh --env $(ENV)\n",
        "release": "\t./scripts/release.sh --env $(ENV) --tag $(TAG)\n",
        "seed-db": "\t./scripts/seed_demo.sh --orders 100\n",
        "docs": "\tmkdocs build -d site\n",
        "migrate": f"\t./{s.paths['script.migrate']} --target head\n",
        "deploy-tracker": "\thelm upgrade --install tracker deploy/helm/northwind "
        "--set image.repository=ghcr.io/northwind/tracker\n",
    }
    out = ["ENV ?= staging", "TAG ?= $(shell git rev-parse --short HEAD)", ""]
    out.append(".PHONY: " + " ".join(targets))
    out.append("")
    for t in targets:
        out.append(f"{t}:")
        out.append(recipes[t].rstrip("\n"))
        out.append("")
    return "\n".join(out)


def _env_example(s: State) -> str:
    lines = ["# Copy to .env for local development."]
    for owner in ("dispatch.settings", "tracker.main", "portal.server"):
        lines.append(f"# {owner.split('.')[0]}")
        for _, f in s.of(owner, "env"):
            example = f.value or (
                "change-me" if "SECRET" in f.subject or "KEY" in f.subject else ""
            )
            if f.subject.endswith("DATABASE_URL") or f.subject.endswith("DB_URL"):
                example = "postgresql://dispatch:dispatch@localhost:5432/northwind"
            lines.append(f"{f.subject}={example}")
    return "\n".join(lines) + "\n"


def _compose(s: State) -> str:
    pg, rd = s.val("compose/postgres"), s.val("compose/redis")
    port = s.val("dispatch.yaml/port")
    portal_port = s.val("portal.server/port")
    listen = s.val("tracker.main/listen").lstrip(":")
    db_env = s.subj("dispatch.settings/dburl")
    redis_env = s.subj("tracker.main/redis")
    redis_val = "redis:6379" if redis_env.endswith("ADDR") else "redis://redis:6379/0"
    return f"""services:
  postgres:
    image: postgres:{pg}
    environment:
      POSTGRES_DB: northwind
      POSTGRES_USER: dispatch
      POSTGRES_PASSWORD: dispatch
    ports:
      - "5432:5432"
  redis:
    image: redis:{rd}-alpine
    ports:
      - "6379:6379"
  dispatch:
    build: services/dispatch
    environment:
      {db_env}: postgresql://dispatch:dispatch@postgres:5432/northwind
    ports:
      - "{port}:{port}"
    depends_on: [postgres]
  tracker:
    build: services/tracker
    environment:
      {redis_env}: {redis_val}
    ports:
      - "{listen}:{listen}"
    depends_on: [redis]
  portal:
    build: services/portal
    ports:
      - "{portal_port}:{portal_port}"
"""


def _ci(s: State) -> str:
    py, node, go = s.val("runtime/python"), s.val("runtime/node"), s.val("runtime/go")
    return f"""name: ci
on:
  push:
    branches: [main]
  pull_request:
jobs:
  dispatch:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{py}"
      - run: pip install -e 'services/dispatch[dev]'
      - run: cd services/dispatch && python -m pytest -q
  tracker:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version: "{go}"
      - run: cd services/tracker && go test ./...
  portal:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: "{node}"
      - run: cd services/portal && npm ci && npm test
"""


# --------------------------------------------------------------------------- dispatch


def _dispatch(s: State, files: dict[str, str]) -> None:
    base = "services/dispatch"
    py = s.val("runtime/python")
    files[f"{base}/pyproject.toml"] = (
        '[project]\nname = "dispatch"\nversion = "2.4.0"\n'
        f'requires-python = ">={py}"\n'
        'dependencies = ["fastapi>=0.110", "uvicorn>=0.29", "psycopg[binary]>=3.1", "pyyaml>=6"]\n'
        "\n[project.optional-dependencies]\n"
        'dev = ["pytest>=8", "ruff>=0.5", "httpx>=0.27"]\n'
    )
    port = s.val("dispatch.yaml/port")
    files[f"{base}/Dockerfile"] = (
        f"FROM python:{py}-slim\n"
        "WORKDIR /app\nCOPY pyproject.toml .\nRUN pip install --no-cache-dir .\n"
        "COPY dispatch ./dispatch\nCOPY config ./config\n"
        f"EXPOSE {port}\n"
        f'CMD ["uvicorn", "dispatch.api:app", "--host", "0.0.0.0", "--port", "{port}"]\n'
    )
    files[f"{base}/dispatch/__init__.py"] = '"""Dispatch: route planning for Northwind depots."""\n'
    # cli.py
    args = []
    for _, f in s.of("dispatch.cli", "flag"):
        if f.subject == "--dry-run":
            args.append(
                f'    parser.add_argument("--dry-run", action="store_true", help="{f.note}")'
            )
        elif f.subject == "--depot":
            args.append(f'    parser.add_argument("--depot", required=True, help="{f.note}")')
        else:
            typ = ", type=int" if (f.value or "").isdigit() else ""
            args.append(
                f'    parser.add_argument("{f.subject}"{typ}, default={_py_default(f.value)}, '
                f'help="{f.note}")'
            )
    retries = _flag_dest(s.subj("dispatch.cli/retries"))
    batch = _flag_dest(s.subj("dispatch.cli/batch"))
    manifest = _flag_dest(s.subj("dispatch.cli/input"))
    assign = s.subj("dispatch.planner/assign")
    files[f"{base}/dispatch/cli.py"] = (
        '"""Operator command line: plan the routes of one depot and push them to drivers."""\n\n'
        "from __future__ import annotations\n\nimport argparse\nimport logging\n\n"
        f"from dispatch.planner import {assign}, plan_route, split_batches\n"
        "from dispatch.settings import load_settings\n\n\n"
        "def build_parser() -> argparse.ArgumentParser:\n"
        '    parser = argparse.ArgumentParser(prog="dispatch", description=__doc__)\n'
        + "\n".join(args)
        + "\n    return parser\n\n\n"
        "def main(argv: list[str] | None = None) -> int:\n"
        "    args = build_parser().parse_args(argv)\n"
        "    logging.basicConfig(level=args.log_level.upper())\n"
        "    settings = load_settings()\n"
        f"    for batch in split_batches(args.{manifest}, args.{batch}):\n"
        "        route = plan_route(batch, settings)\n"
        f"        {assign}(route, retries=args.{retries})\n"
        "        if not args.dry_run:\n"
        "            route.save()\n"
        "    return 0\n\n\n"
        'if __name__ == "__main__":\n    raise SystemExit(main())\n'
    )
    # settings.py
    env_lines = []
    for _, f in s.of("dispatch.settings", "env"):
        attr = _snake(f.subject.removeprefix("DISPATCH_"))
        if f.value is None:
            env_lines.append(f'        {attr}=os.environ["{f.subject}"],')
        elif f.value.isdigit():
            env_lines.append(f'        {attr}=int(os.getenv("{f.subject}", "{f.value}")),')
        else:
            env_lines.append(f'        {attr}=os.getenv("{f.subject}", "{f.value}"),')
    fields = [f"    {f.subject}: int = {f.value}" for _, f in s.of("dispatch.settings", "config")]
    pool = s.val("dispatch.yaml/pool")
    attrs = [
        _snake(f.subject.removeprefix("DISPATCH_")) for _, f in s.of("dispatch.settings", "env")
    ]
    dc_fields = "\n".join(f"    {a}: str | int" for a in attrs)
    files[f"{base}/dispatch/settings.py"] = (
        '"""Runtime settings: environment first, then config/dispatch.yaml."""\n\n'
        "from __future__ import annotations\n\nimport os\n"
        "from dataclasses import dataclass\n\n\n"
        "@dataclass(frozen=True)\nclass Settings:\n"
        f"{dc_fields}\n" + "\n".join(fields) + f"\n    pool_size: int = {pool}\n\n\n"
        "def load_settings() -> Settings:\n    return Settings(\n"
        + "\n".join(env_lines)
        + "\n    )\n"
    )
    # dispatch.yaml
    tree: dict[str, dict[str, str]] = {}
    for _, f in s.of("dispatch.yaml", "config"):
        sec, key = f.subject.split(".", 1)
        tree.setdefault(sec, {})[key] = f.value or ""
    y = ["# Dispatch service configuration. Environment variables override these."]
    for sec, kv in tree.items():
        y.append(f"{sec}:")
        y.extend(f"  {k}: {json.dumps(v) if not v.isdigit() else v}" for k, v in kv.items())
    files[s.paths["dispatch.yaml"]] = "\n".join(y) + "\n"
    # api.py
    routes = []
    for _, f in s.of("dispatch.api", "endpoint"):
        method, _path = f.subject.split(" ", 1)
        fn = _snake(f.note) or "handler"
        params = re.findall(r"\{(\w+)\}", f.shown)
        sig = ", ".join(f"{p}: str" for p in params)
        routes.append(
            f'@app.{method.lower()}("{f.shown}")\nasync def {fn}({sig}) -> dict[str, str]:\n'
            f'    """{f.note.capitalize()}."""\n    return {{"status": "ok"}}\n'
        )
    files[f"{base}/dispatch/api.py"] = (
        '"""HTTP API of the dispatch service."""\n\nfrom __future__ import annotations\n\n'
        'from fastapi import FastAPI\n\napp = FastAPI(title="dispatch")\n\n\n' + "\n\n".join(routes)
    )
    # planner.py
    funcs = []
    for _, f in s.of("dispatch.planner", "symbol"):
        funcs.append(
            f"def {f.subject}(*args: object, **kwargs: object) -> object:\n"
            f'    """{f.note.capitalize()}."""\n    raise NotImplementedError\n'
        )
    files[s.paths["dispatch.planner"]] = (
        '"""Route planning."""\n\nfrom __future__ import annotations\n\n'
        "MAX_DETOUR_KM = 8\n\n\n" + "\n\n".join(funcs)
    )
    # openapi.yaml
    paths: dict[str, list[tuple[str, str]]] = {}
    for _, f in s.of("dispatch.api", "endpoint"):
        method = f.subject.split(" ", 1)[0]
        paths.setdefault(f.shown, []).append((method.lower(), f.note))
    o = [
        "openapi: 3.0.3",
        "info:",
        "  title: Dispatch API",
        '  version: "2.4.0"',
        "paths:",
    ]
    for p, ms in paths.items():
        o.append(f"  {p}:")
        for m, note in ms:
            o.append(f"    {m}:")
            o.append(f"      summary: {note.capitalize()}")
            o.append("      responses:")
            o.append('        "200":')
            o.append("          description: OK")
    files[f"{base}/openapi.yaml"] = "\n".join(o) + "\n"
    files[f"{base}/tests/test_planner.py"] = (
        "from dispatch.planner import split_batches\n\n\n"
        "def test_split_batches_is_importable() -> None:\n    assert callable(split_batches)\n"
    )
    if s.has("dispatch.export"):
        flags = s.of("dispatch.export", "flag")
        lines = [
            f'parser.add_argument("{f.subject}", default={_py_default(f.value)}, help="{f.note}")'
            for _, f in flags
        ]
        files[s.paths["dispatch.export"]] = (
            '"""Export delivered orders to CSV for finance."""\n\nimport argparse\n\n'
            'parser = argparse.ArgumentParser(prog="export_csv")\n' + "\n".join(lines) + "\n"
        )


# --------------------------------------------------------------------------- tracker


def _tracker(s: State, files: dict[str, str]) -> None:
    base = "services/tracker"
    go = s.val("runtime/go")
    files[f"{base}/go.mod"] = (
        f"module github.com/northwind/tracker\n\ngo {go}\n\n"
        "require github.com/go-chi/chi/v5 v5.0.12\n"
    )
    files[f"{base}/Dockerfile"] = (
        f"FROM golang:{go} AS build\nWORKDIR /src\nCOPY . .\n"
        "RUN CGO_ENABLED=0 go build -o /out/tracker ./cmd/tracker\n\n"
        "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/tracker /tracker\n"
        f"EXPOSE {s.val('tracker.main/listen').lstrip(':')}\n"
        'ENTRYPOINT ["/tracker"]\n'
    )
    flag_lines = []
    for _, f in s.of("tracker.main", "flag"):
        name = f.subject.lstrip("-")
        var = re.sub(r"-(\w)", lambda m: m.group(1).upper(), name)
        if f.subject == "--debug":
            flag_lines.append(f'\t{var} := flag.Bool("{name}", false, "{f.note}")')
        elif f.subject == "--workers":
            flag_lines.append(f'\t{var} := flag.Int("{name}", {f.value}, "{f.note}")')
        elif f.subject == "--poll-interval":
            flag_lines.append(
                f'\t{var} := flag.Duration("{name}", {int((f.value or "15s")[:-1])}*time.Second, '
                f'"{f.note}")'
            )
        else:
            flag_lines.append(f'\t{var} := flag.String("{name}", "{f.value}", "{f.note}")')
    env_lines = []
    for _, f in s.of("tracker.main", "env"):
        var = _snake(f.subject.removeprefix("TRACKER_"))
        var = re.sub(r"_(\w)", lambda m: m.group(1).upper(), var)
        if f.value is None:
            env_lines.append(f'\t{var} := os.Getenv("{f.subject}")')
        else:
            env_lines.append(f'\t{var} := envOr("{f.subject}", "{f.value}")')
    flag_vars = [
        re.sub(r"-(\w)", lambda m: m.group(1).upper(), f.subject.lstrip("-"))
        for _, f in s.of("tracker.main", "flag")
    ]
    env_vars = [
        re.sub(r"_(\w)", lambda m: m.group(1).upper(), _snake(f.subject.removeprefix("TRACKER_")))
        for _, f in s.of("tracker.main", "env")
    ]
    uses = ", ".join(f"*{v}" if v != "pollInterval" else "*pollInterval" for v in flag_vars)
    files[s.paths["tracker.main"]] = (
        "// Command tracker ingests GPS pings and serves live shipment positions.\n"
        'package main\n\nimport (\n\t"flag"\n\t"log"\n\t"net/http"\n\t"os"\n\t"time"\n\n'
        '\t"github.com/northwind/tracker/internal/api"\n)\n\n'
        "func envOr(key, fallback string) string {\n"
        "\tif v, ok := os.LookupEnv(key); ok {\n\t\treturn v\n\t}\n\treturn fallback\n}\n\n"
        "func main() {\n"
        + "\n".join(flag_lines)
        + "\n\tflag.Parse()\n"
        + "\n".join(env_lines)
        + f"\n\tlog.Println({uses}, {', '.join(env_vars)})\n"
        "\t_ = time.Second\n"
        f"\tlog.Fatal(http.ListenAndServe(*{flag_vars[0]}, api.Router()))\n}}\n"
    )
    routes = []
    for _, f in s.of("tracker.api", "endpoint"):
        method = f.subject.split(" ", 1)[0]
        handler = "".join(w.capitalize() for w in _snake(f.note).split("_"))
        routes.append(f'\tr.{method.capitalize()}("{f.shown}", {handler})')
    handlers = [
        f"func {''.join(w.capitalize() for w in _snake(f.note).split('_'))}"
        "(w http.ResponseWriter, r *http.Request) {\n\tw.WriteHeader(http.StatusOK)\n}\n"
        for _, f in s.of("tracker.api", "endpoint")
    ]
    files[s.paths["tracker.api"]] = (
        "// Package api wires the HTTP routes of the tracker.\npackage api\n\n"
        'import (\n\t"net/http"\n\n\t"github.com/go-chi/chi/v5"\n)\n\n'
        "// Router returns the tracker's routes.\nfunc Router() http.Handler {\n"
        "\tr := chi.NewRouter()\n"
        '\tr.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })\n'
        + "\n".join(routes)
        + "\n\treturn r\n}\n\n"
        + "\n".join(handlers)
    )
    funcs = []
    for _, f in s.of("tracker.geo", "symbol"):
        funcs.append(
            f"// {f.subject} {f.note}.\nfunc {f.subject}(a, b float64) float64 {{\n"
            "\treturn a - b\n}\n"
        )
    files[s.paths["tracker.geo"]] = (
        "// Package geo has distance maths.\npackage geo\n\n" + "\n".join(funcs)
    )
    files[f"{base}/internal/ingest/ingest.go"] = (
        "// Package ingest reads GPS pings from the vendor feed.\npackage ingest\n\n"
        "// maxBatch is the number of pings written to Redis per pipeline call.\n"
        "const maxBatch = 8\n\n"
        "// QueueDepth is how many pings may wait before ingest applies back-pressure.\n"
        "const QueueDepth = 4096\n"
    )


# --------------------------------------------------------------------------- portal


def _portal(s: State, files: dict[str, str]) -> None:
    base = "services/portal"
    node = s.val("runtime/node")
    scripts = {
        "build": "tsc -p tsconfig.json",
        "test": "vitest run",
        "lint": "eslint src --ext .ts",
        "dev": "tsx watch src/server.ts",
        "storybook": "storybook dev -p 6006",
    }
    pkg = {
        "name": "@northwind/portal",
        "version": "3.2.0",
        "private": True,
        "type": "module",
        "engines": {"node": f">={node}"},
        "scripts": {
            f.subject.split()[-1]: scripts[f.subject.split()[-1]]
            for _, f in s.of("portal.package", "command")
        },
        "dependencies": {"express": "^4.19.2"},
        "devDependencies": {"typescript": "^5.4.5", "vitest": "^1.6.0", "tsx": "^4.11.0"},
    }
    files[s.paths["portal.package"]] = json.dumps(pkg, indent=2) + "\n"
    files[f"{base}/tsconfig.json"] = json.dumps(
        {"compilerOptions": {"target": "ES2022", "module": "NodeNext", "outDir": "dist"}},
        indent=2,
    )
    files[f"{base}/Dockerfile"] = (
        f"FROM node:{node}-alpine\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\n"
        "COPY . .\nRUN npm run build\n"
        f"EXPOSE {s.val('portal.server/port')}\n"
        'CMD ["node", "dist/server.js"]\n'
    )
    env = []
    for _, f in s.of("portal.server", "env"):
        var = re.sub(
            r"_(\w)", lambda m: m.group(1).upper(), _snake(f.subject.removeprefix("PORTAL_"))
        )
        if f.value is None:
            env.append(f"const {var} = process.env.{f.subject};")
        else:
            env.append(f"const {var} = process.env.{f.subject} || '{f.value}';")
    routes = []
    for _, f in s.of("portal.server", "endpoint"):
        method, _p = f.subject.split(" ", 1)
        path = re.sub(r"\{(\w+)\}", r":\1", f.shown)
        routes.append(
            f"app.{method.lower()}('{path}', (req, res) => {{\n"
            f"  res.json({{ ok: true }}); // {f.note}\n}});"
        )
    quote = s.subj("portal.pricing/quote")
    files[s.paths["portal.server"]] = (
        "import express from 'express';\n"
        f"import {{ {quote} }} from './lib/pricing.js';\n\n"
        + "\n".join(env)
        + "\n\nconst app = express();\napp.use(express.json());\n\n"
        + "\n\n".join(routes)
        + f"\n\napp.listen(Number(port), () => console.log(`portal on ${{port}}`, {quote}));\n"
    )
    funcs = [
        f"/** {f.note}. */\nexport function {f.subject}(amount: number): number {{\n"
        "  return Math.round(amount * 100) / 100;\n}\n"
        for _, f in s.of("portal.pricing", "symbol")
    ]
    files[s.paths["portal.pricing"]] = "\n".join(funcs)
    cfg: dict[str, dict[str, int]] = {}
    for _, f in s.of("portal.config", "config"):
        sec, key = f.subject.split(".", 1)
        cfg.setdefault(sec, {})[key] = int(f.value or 0)
    files[s.paths["portal.config"]] = json.dumps(cfg, indent=2) + "\n"


# --------------------------------------------------------------------------- scripts


def _shell_script(title: str, flags: list[Fact], body: str, env: list[Fact] = ()) -> str:  # type: ignore[assignment]
    lines = ["#!/usr/bin/env bash", f"# {title}", "set -euo pipefail", ""]
    for f in env:
        var = f.subject
        lines.append(f'{var}="${{{var}:-{f.value}}}"')
    arms = []
    for f in flags:
        var = _flag_dest(f.subject).upper()
        if f.value is not None:
            lines.append(f'{var}="{f.value}"')
        if f.subject == "--dry-run":
            arms.append("    --dry-run) DRY_RUN=1; shift ;;")
        else:
            arms.append(f'    {f.subject}) {var}="$2"; shift 2 ;;')
    if any(f.subject == "--dry-run" for f in flags):
        lines.append("DRY_RUN=0")
    lines += [
        "",
        'usage() { echo "usage: $0 [options]" >&2; }',
        "",
        "while [[ $# -gt 0 ]]; do",
        '  case "$1" in',
        *arms,
        "    -h|--help) usage; exit 0 ;;",
        '    *) echo "unknown option: $1" >&2; usage; exit 2 ;;',
        "  esac",
        "done",
        "",
        body.rstrip("\n"),
        "",
    ]
    return "\n".join(lines)


def _scripts(s: State, files: dict[str, str]) -> None:
    def fl(owner: str) -> list[Fact]:
        return [f for _, f in s.of(owner, "flag")]

    def ev(owner: str) -> list[Fact]:
        return [f for _, f in s.of(owner, "env")]

    bodies = {
        "script.deploy": (
            "Deploy one service image to an environment.",
            'ENV="${DEPLOY_ENV:-$ENV}"\n'
            'kubectl -n "northwind-$ENV" set image deployment/dispatch dispatch="ghcr.io/northwind/'
            'dispatch:$TAG"\nkubectl -n "northwind-$ENV" rollout status deployment/dispatch\n',
        ),
        "script.release": (
            "Release all services with Helm and wait for the rollout.",
            'helm upgrade --install northwind deploy/helm/northwind -n "northwind-$ENV" '
            '--set image.tag="$TAG" --wait --timeout "${WAIT}s"\n',
        ),
        "script.backup": (
            "Dump the dispatch database to S3.",
            'RETENTION_DAYS="${RETENTION_DAYS:-$BACKUP_RETENTION_DAYS}"\n'
            'pg_dump "$DISPATCH_DATABASE_URL" | gzip | aws s3 cp - '
            '"s3://$BUCKET/dispatch-$(date +%F).sql.gz"\n',
        ),
        "script.rotate": (
            "Rotate a service's KMS data key.",
            'aws kms create-grant --key-id "$KEY_ID" --grantee-principal "$SERVICE"\n',
        ),
        "script.seed": (
            "Load demo orders into a local database.",
            'python -m dispatch.cli --depot DEMO --dry-run --batch-size "${ORDERS:-100}"\n',
        ),
        "script.reindex": (
            "Rebuild a search index from the database.",
            'curl -fsS -XPOST "http://localhost:9200/$INDEX/_reindex"\n',
        ),
        "script.migrate": (
            "Apply database migrations.",
            'alembic -c services/dispatch/alembic.ini upgrade "${TARGET:-head}"\n',
        ),
        "script.loadtest": (
            "Hammer the dispatch API for a while.",
            'k6 run --vus 20 --duration "$LOAD_TEST_DURATION" -e RPS="$LOAD_TEST_RPS" '
            "load/dispatch.js\n",
        ),
        "script.tracker_deploy": (
            "Deploy the tracker to EKS.",
            'kubectl --context "$CLUSTER" apply -f deploy/k8s/tracker.yaml\n',
        ),
    }
    if s.has("script.backup"):
        bucket = _flag_dest(s.subj("script.backup/bucket")).upper()
        t, b = bodies["script.backup"]
        bodies["script.backup"] = (t, b.replace("$BUCKET", "$" + bucket))
    for comp, (title, body) in bodies.items():
        if s.has(comp):
            files[s.paths[comp]] = _shell_script(title, fl(comp), body, ev(comp))


# --------------------------------------------------------------------------- deploy


def _deploy(s: State, files: dict[str, str]) -> None:
    helm = {f.subject: f.value or "" for _, f in s.of("helm", "config")}
    hpa_key = s.subj("helm/hpamax").split(".", 1)[1]
    files[s.paths["helm"]] = (
        f"replicaCount: {helm['replicaCount']}\n\n"
        "image:\n"
        f"  repository: {helm['image.repository']}\n"
        f"  pullPolicy: {helm['image.pullPolicy']}\n"
        '  tag: ""\n\n'
        "service:\n  type: ClusterIP\n"
        f"  port: {helm['service.port']}\n\n"
        "resources:\n  limits:\n"
        f"    cpu: {helm['resources.limits.cpu']}\n"
        f"    memory: {helm['resources.limits.memory']}\n"
        "  requests:\n    cpu: 100m\n    memory: 256Mi\n\n"
        "autoscaling:\n  enabled: true\n  min: 2\n"
        f"  {hpa_key}: {helm['autoscaling.' + hpa_key]}\n"
    )
    files["deploy/helm/northwind/Chart.yaml"] = (
        "apiVersion: v2\nname: northwind\ndescription: Northwind services\n"
        "type: application\nversion: 0.9.0\n"
    )
    port = s.val("dispatch.yaml/port")
    env = "\n".join(
        f'            - name: {f.subject}\n              value: "{f.value}"'
        for _, f in s.of("dispatch.settings", "env")
        if f.value is not None
    )
    files["deploy/helm/northwind/templates/deployment.yaml"] = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-dispatch\n"
        "spec:\n  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n"
        "      containers:\n        - name: dispatch\n"
        '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n'
        f"          ports:\n            - containerPort: {port}\n"
        f"          env:\n{env}\n"
        "          resources: {{- toYaml .Values.resources | nindent 12 }}\n"
    )
    listen = s.val("tracker.main/listen")
    tenv = "\n".join(
        f'            - name: {f.subject}\n              value: "{f.value}"'
        for _, f in s.of("tracker.main", "env")
        if f.value is not None
    )
    workers = s.val("tracker.main/workers")
    files["deploy/k8s/tracker.yaml"] = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tracker\n  namespace: tracking\n"
        "spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n"
        "        - name: tracker\n          image: ghcr.io/northwind/tracker:stable\n"
        f'          args: ["--listen={listen}", "--workers={workers}"]\n'
        f"          ports:\n            - containerPort: {listen.lstrip(':')}\n"
        f"          env:\n{tenv}\n"
    )
    files["deploy/k8s/portal.yaml"] = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: portal\n  namespace: web\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: portal\n"
        "          image: ghcr.io/northwind/portal:stable\n          env:\n"
        f'            - name: PORTAL_PORT\n              value: "{s.val("portal.server/port")}"\n'
    )
    tf_blocks = []
    for _, f in s.of("tf", "config"):
        default = f.value if (f.value or "").isdigit() else json.dumps(f.value)
        typ = "number" if (f.value or "").isdigit() else "string"
        tf_blocks.append(
            f'variable "{f.subject}" {{\n  description = "{f.note}"\n  type        = {typ}\n'
            f"  default     = {default}\n}}\n"
        )
    files[s.paths["tf"]] = "\n".join(tf_blocks)
    files["infra/terraform/main.tf"] = (
        'provider "aws" {\n  region = var.region\n}\n\n'
        'resource "aws_db_instance" "dispatch" {\n'
        f"  instance_class    = var.{s.subj('tf/dbsize')}\n"
        "  allocated_storage = var.db_allocated_storage\n"
        '  engine            = "postgres"\n'
        f'  engine_version    = "{s.val("compose/postgres")}"\n}}\n'
    )
