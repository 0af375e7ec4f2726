"""Index building (what is extracted, with which line) and git history queries."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import GitRepo

from stale.codebase import (
    CodebaseError,
    CodeIndex,
    build_codebase,
    build_index,
    repo_fingerprint,
)
from stale.codebase.norm import Cmp, compare_values, normalize_route, version_matches


def index_of(tmp_path: Path, files: dict[str, str | bytes], git: bool = True) -> CodeIndex:
    root = tmp_path / "repo"
    if git:
        repo = GitRepo(root)
        for p, t in files.items():
            repo.write(p, t)
        repo.commit("c", "2025-01-01T00:00:00+00:00")
    else:
        for p, t in files.items():
            fp = root / p
            fp.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(t, bytes):
                fp.write_bytes(t)
            else:
                fp.write_text(textwrap.dedent(t).lstrip("\n"))
    return build_index("acme", root)


# ------------------------------------------------------------------ python


PY_CLI = """
import argparse
import os

import click
from fastapi import APIRouter, FastAPI
from flask import Flask
from dataclasses import dataclass

app = FastAPI()
router = APIRouter(prefix="/v1/users")
web = Flask(__name__)
TIMEOUT = int(os.environ.get("ACME_TIMEOUT", "30"))
TOKEN = os.environ["ACME_TOKEN"]
HOME = os.getenv("ACME_HOME")


@dataclass
class PoolConfig:
    pool_size: int = 20
    name: str = "main"

    def connect(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-r", "--region", default="eu-west-1")
    parser.add_argument("--retries", type=int, default=3)
    parser.parse_args()


@click.command()
@click.option("--shout/--no-shout", default=False)
@click.option("-n", "--count", default=1)
def hello(shout: bool, count: int) -> None:
    pass


@app.get("/v1/items/{item_id}")
def item(item_id: int) -> None:
    pass


@router.post("/{user_id}/disable")
def disable(user_id: int) -> None:
    pass


@web.route("/legacy/<int:id>", methods=["POST", "PUT"])
def legacy(id: int) -> None:
    pass
"""

PY_TYPER = """
from typing import Annotated

import typer

app = typer.Typer()


@app.command()
def sync(
    source: str,
    dry_run: bool = False,
    batch: Annotated[int, typer.Option("--batch-size", "-b")] = 100,
    mode: str = typer.Option("fast", "--mode"),
) -> None:
    pass
"""

PY_SETTINGS = """
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str = "sqlite://"

    class Config:
        env_prefix = "ACME_"
"""


def test_python_symbols_modules_and_src_layout(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"src/acme/cli.py": PY_CLI, "src/acme/__init__.py": ""})
    assert idx.modules["acme.cli"] == "src/acme/cli.py"
    assert idx.modules["acme"] == "src/acme/__init__.py"
    for subject in ("main", "PoolConfig.connect", "acme.cli.main", "acme.cli.PoolConfig.connect"):
        hits = idx.find_symbols(subject)
        assert hits, subject
        assert hits[0].loc.path == "src/acme/cli.py"
    assert idx.find_symbols("PoolConfig.connect")[0].loc.line == 22
    assert idx.find_symbols("cli.main")  # a dotted suffix
    assert not idx.find_symbols("other.main")
    assert idx.find_programs("acme.cli") == ["src/acme/cli.py"]
    assert idx.find_programs("cli.py") == ["src/acme/cli.py"]


def test_python_flags_env_routes_fields(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"acme/cli.py": PY_CLI})
    region = idx.flags["--region"][0]
    assert (region.program, region.default, region.loc.line, region.parser) == (
        "acme/cli.py",
        "eu-west-1",
        28,
        "argparse",
    )
    assert "-r" in idx.flags and idx.flags["--retries"][0].default == "3"
    assert {"--shout", "--no-shout", "--count", "-n"} <= set(idx.flags)
    assert idx.flags["--count"][0].default == "1"
    # argparse and click in one file: still a program; argparse parents absent -> complete
    assert idx.programs["acme/cli.py"].complete
    env = {e.name: e for e in idx.env.values() for e in e}
    assert env["ACME_TIMEOUT"].default == "30" and env["ACME_TIMEOUT"].loc.line == 12
    assert env["ACME_TOKEN"].default is None
    assert "ACME_HOME" in env
    routes = {(r.method, r.path) for r in idx.routes}
    assert ("GET", "/v1/items/{}") in routes
    assert ("POST", "/v1/users/{}/disable") in routes
    assert ("POST", "/legacy/{}") in routes and ("PUT", "/legacy/{}") in routes
    fields = {kv.key: kv for kvs in idx.config.values() for kv in kvs if kv.source == "python"}
    assert fields["PoolConfig.pool_size"].value == "20"
    assert fields["PoolConfig.pool_size"].loc.line == 19


def test_typer_options_from_parameters(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"tool.py": PY_TYPER})
    assert idx.flags["--dry-run"][0].default == "false"
    assert "--no-dry-run" in idx.flags
    assert idx.flags["--batch-size"][0].default == "100" and "-b" in idx.flags
    assert idx.flags["--mode"][0].default == "fast"
    assert "--source" not in idx.flags  # a positional argument
    assert idx.programs["tool.py"].parser == "typer"


def test_pydantic_settings_env(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"settings.py": PY_SETTINGS})
    assert idx.env["ACME_DATABASE_URL"][0].default == "sqlite://"


def test_argparse_with_parents_is_incomplete(tmp_path: Path) -> None:
    src = (
        "import argparse\nfrom common import base\n"
        "p = argparse.ArgumentParser(parents=[base])\np.add_argument('--x')\n"
    )
    idx = index_of(tmp_path, {"a.py": src})
    assert not idx.programs["a.py"].complete


# ------------------------------------------------------------------ config files


K8S = """
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          env:
            - name: LOG_LEVEL
              value: info
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: pw}
---
kind: ConfigMap
data:
  pool_size: "20"
"""

COMPOSE = """
services:
  db:
    image: postgres:15-alpine
    environment:
      - POSTGRES_DB=acme
      - PGDATA
  api:
    image: docker.io/library/python:3.11-slim
    environment:
      API_PORT: 8000
      API_HOST: ${API_HOST:-0.0.0.0}
"""


def test_yaml_keys_lines_k8s_and_compose(tmp_path: Path) -> None:
    idx = index_of(
        tmp_path,
        {
            "deploy/api.yaml": K8S,
            "docker-compose.yml": COMPOSE,
            "charts/api/values.yaml": "image:\n  repository: redis\n  tag: '7.2'\nreplicas: 2\n",
            ".github/workflows/ci.yml": (
                "jobs:\n  t:\n    strategy:\n      matrix:\n"
                "        python-version: ['3.10', '3.11']\n"
            ),
        },
    )
    full, _ = idx.find_config("data.pool_size")
    assert [(kv.value, kv.loc.path, kv.loc.line) for kv in full] == [("20", "deploy/api.yaml", 18)]
    env = {e.name: e for es in idx.env.values() for e in es}
    assert env["LOG_LEVEL"].default == "info" and env["LOG_LEVEL"].loc.line == 10
    assert env["DB_PASSWORD"].default is None
    assert env["POSTGRES_DB"].default == "acme" and "PGDATA" in env
    assert env["API_PORT"].default == "8000"
    reads = [e for e in idx.env["API_HOST"] if e.how == "read"]
    assert reads and reads[0].default == "0.0.0.0"
    pins = {(p.name, p.version) for ps in idx.versions.values() for p in ps}
    assert {
        ("ghcr.io/acme/api", "1.4.2"),
        ("postgres", "15-alpine"),
        ("python", "3.11-slim"),
        ("redis", "7.2"),
        ("python", "3.10"),
        ("python", "3.11"),
    } <= pins


def test_malformed_binary_and_oversized_files_are_skipped(tmp_path: Path) -> None:
    idx = index_of(
        tmp_path,
        {
            "bad.yaml": "a: [1, 2\nb: {\n",
            "good.yaml": "ok_key: 1\n",
            "blob.json": b'{"a": 1}\x00\x01\x02',
            "big.yaml": "k: v\n" * 300_000,
            "broken.py": "def (:\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
        },
    )
    reasons = dict(idx.skipped)
    assert reasons["bad.yaml"].startswith("yaml parse error")
    assert reasons["blob.json"] == "binary"
    assert reasons["big.yaml"].startswith("too large")
    assert reasons["broken.py"].startswith("python parse error")
    assert "logo.png" not in reasons and "logo.png" in idx.files
    assert idx.find_config("ok_key")[0][0].value == "1"


def test_toml_json_ini_env_properties(tmp_path: Path) -> None:
    pyproject = """
    [project]
    name = "acme"
    requires-python = ">=3.10"
    dependencies = ["fastapi>=0.110", "requests"]

    [project.scripts]
    acme = "acme.cli:main"

    [tool.acme.database]
    pool_size = 20
    """
    pkg = '{\n  "scripts": {"build": "vite", "test": "vitest"},\n  "engines": {"node": ">=18"}\n}\n'
    idx = index_of(
        tmp_path,
        {
            "pyproject.toml": pyproject,
            "acme/cli.py": "import sys\n",
            "web/package.json": pkg,
            "setup.cfg": "[flake8]\nmax-line-length = 100\n",
            ".env.example": "export DATABASE_URL='postgres://x'\nDEBUG=false # comment\n",
            "app.properties": "server.port=8080\n",
        },
    )
    kv = idx.find_config("database.pool_size")[0][0]
    assert (kv.value, kv.loc.path, kv.loc.line) == ("20", "pyproject.toml", 10)
    assert [p.version for p in idx.find_versions("python")] == [">=3.10"]
    assert idx.find_versions("fastapi")[0].version == ">=0.110"
    assert idx.find_programs("acme") == ["acme/cli.py"]  # console script -> module
    build = idx.find_commands("npm", "build")[0]
    assert (build.loc.path, build.loc.line) == ("web/package.json", 2)
    assert idx.find_versions("node")[0].version == ">=18"
    assert idx.find_config("flake8.max-line-length")[0][0].value == "100"
    assert idx.env["DATABASE_URL"][0].default == "postgres://x"
    assert idx.env["DEBUG"][0].default == "false" and idx.env["DEBUG"][0].how == "example"
    assert idx.find_config("server.port")[0][0].loc.line == 1


def test_openapi_paths_are_routes(tmp_path: Path) -> None:
    spec = "openapi: 3.0.0\npaths:\n  /v1/orders/{orderId}:\n    get: {}\n    delete: {}\n"
    idx = index_of(tmp_path, {"api/openapi.yaml": spec})
    assert {(r.method, r.path, r.loc.line) for r in idx.routes} == {
        ("GET", "/v1/orders/{}", 4),
        ("DELETE", "/v1/orders/{}", 5),
    }


# ------------------------------------------------------------------ make, docker, shell


MAKEFILE = """
include common.mk
.PHONY: build test
IMAGE ?= acme/api
VERSION := 1.2.3

build: deps
\tdocker build -t $(IMAGE):$(VERSION) .

test lint:
\tpytest
"""


def test_makefile_targets_vars_and_completeness(tmp_path: Path) -> None:
    idx = index_of(
        tmp_path,
        {"Makefile": MAKEFILE, "common.mk": "deps:\n\tpip install .\n", "sub/x.mk": "%.o: %.c\n"},
    )
    assert {n for (t, n) in idx.commands if t == "make"} == {"build", "test", "lint", "deps"}
    assert idx.find_commands("make", "build")[0].loc.line == 6
    assert idx.env["IMAGE"][0].default == "acme/api"
    assert "VERSION" not in idx.env  # := is not an environment override
    assert idx.find_config("VERSION")[0][0].value == "1.2.3"
    complete = {cf.path: cf.complete for cf in idx.command_files}
    assert complete == {"Makefile": True, "common.mk": True, "sub/x.mk": False}


def test_dockerfile(tmp_path: Path) -> None:
    df = (
        "ARG PY=3.11\nFROM python:${PY}-slim AS base\nFROM base AS final\n"
        "ENV APP_ENV=prod LOG_LEVEL=info\nENV LEGACY value with spaces\nEXPOSE 8080/tcp\n"
    )
    idx = index_of(tmp_path, {"docker/Dockerfile.api": df})
    assert [(p.version, p.loc.line) for p in idx.find_versions("python")] == [("3.11-slim", 2)]
    assert "base" not in idx.versions
    assert idx.env["APP_ENV"][0].default == "prod" and idx.env["LOG_LEVEL"][0].loc.line == 4
    assert idx.env["LEGACY"][0].default == "value with spaces"
    assert idx.env["PY"][0].how == "arg"
    assert idx.find_config("EXPOSE")[0][0].value == "8080"


SHELL = """
#!/usr/bin/env bash
# usage: run --region R
REGION="${REGION:-us-east-1}"
count=0
export OUT_DIR=/tmp/out
while getopts "r:hv" opt; do :; done
while [[ $# -gt 0 ]]; do
  case $1 in
    --region=*) REGION="${1#*=}"; shift ;;
    -z|--zone) ZONE="$2"; shift 2 ;;
    "--dry-run") DRY=1 ;;
    start|stop) ACTION=$1 ;;
  esac
done
if [[ "$1" == "--force" ]]; then :; fi
echo "$HOME $count $ZONE ${API_TOKEN} $CI_COMMIT ${TIMEOUT:=30}"
"""


def test_shell_flags_and_env(tmp_path: Path) -> None:
    idx = index_of(tmp_path, {"bin/run": SHELL})  # no extension: found by shebang
    flags = {f.name for f in idx.program_flags["bin/run"]}
    assert flags == {"--region", "-z", "--zone", "--dry-run", "-r", "-h", "-v", "--force"}
    assert idx.flags["--zone"][0].loc.line == 10
    assert not idx.programs["bin/run"].complete
    env = {e.name: e for es in idx.env.values() for e in es}
    assert env["REGION"].default == "us-east-1"
    assert env["TIMEOUT"].default == "30"
    assert env["OUT_DIR"].how == "set"
    assert {"API_TOKEN", "CI_COMMIT"} <= set(env)
    assert not {"HOME", "ZONE", "count", "DRY", "ACTION"} & set(env)  # specials and locals


def test_version_files(tmp_path: Path) -> None:
    idx = index_of(
        tmp_path,
        {
            ".python-version": "3.11.4\n",
            ".nvmrc": "v20.1.0\n",
            ".tool-versions": "nodejs 18.17.0\nterraform 1.5.0\n",
            "svc/go.mod": "module x\n\ngo 1.21\n",
            "runtime.txt": "python-3.11.6\n",
            "requirements.txt": "django==4.2.1\nrequests>=2.0,<3\nflask\n",
        },
    )
    assert {p.version for p in idx.find_versions("python")} == {"3.11.4", "3.11.6"}
    assert {p.version for p in idx.find_versions("node")} == {"20.1.0", "18.17.0"}
    assert idx.find_versions("go")[0].loc.line == 3
    assert idx.find_versions("terraform")[0].version == "1.5.0"
    assert idx.find_versions("django")[0].version == "==4.2.1"
    assert idx.find_versions("requests")[0].version == ">=2.0,<3"
    assert not idx.find_versions("flask")


# ------------------------------------------------------------------ repository handling


def test_index_reads_committed_tree_not_working_copy(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("a.py", "def committed():\n    pass\n")
    sha = repo.commit("c", "2025-01-01T00:00:00+00:00")
    repo.write("a.py", "def edited():\n    pass\n")
    repo.write("new.py", "def untracked():\n    pass\n")
    idx = build_index("r", repo.root)
    assert idx.head == sha and idx.is_git and idx.history is not None
    assert idx.find_symbols("committed") and not idx.find_symbols("edited")
    assert "new.py" not in idx.files
    assert repo_fingerprint(repo.root) == sha


def test_plain_directory_skips_vendor_dirs(tmp_path: Path) -> None:
    idx = index_of(
        tmp_path,
        {
            "app.py": "import os\nX = os.getenv('APP_X', '1')\n",
            "node_modules/dep/index.js": "function leaked() {}\n",
            ".venv/lib/site.py": "def leaked(): pass\n",
            "build/gen.py": "def leaked(): pass\n",
        },
        git=False,
    )
    assert not idx.is_git and idx.history is None and idx.head and idx.head.startswith("dir:")
    assert idx.files == {"app.py"}
    assert idx.env["APP_X"][0].default == "1"
    assert not idx.find_symbols("leaked")


def test_fingerprints_and_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text("x")
    fp1 = repo_fingerprint(plain)
    (plain / "a.txt").write_text("xy")
    assert repo_fingerprint(plain) != fp1
    with pytest.raises(CodebaseError, match="does not exist"):
        build_codebase([("ghost", tmp_path / "nope")])
    with pytest.raises(CodebaseError, match=str(tmp_path / "nope")):
        repo_fingerprint(tmp_path / "nope")
    repo = GitRepo(tmp_path / "g")
    repo.write("a", "1")
    repo.commit("one", "2025-01-01T00:00:00+00:00")
    code1 = build_codebase([("g", repo.root), ("plain", plain)])
    repo.write("a", "2")
    repo.commit("two", "2025-01-02T00:00:00+00:00")
    code2 = build_codebase([("g", repo.root), ("plain", plain)])
    assert code1.fingerprint != code2.fingerprint
    assert code2.fingerprint.startswith("g@") and ";plain@dir:" in code2.fingerprint


# ------------------------------------------------------------------ history


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[CodeIndex, dict[str, str]]:
    repo = GitRepo(tmp_path_factory.mktemp("h") / "h")
    filler = "".join(f"echo step {i}\n" for i in range(12))
    repo.write("a/one.sh", "#!/bin/sh\necho --alpha\n" + filler)
    repo.write("b.txt", "bee\n")
    repo.write("conf.yaml", "pool_size: 20\nname: x\n")
    repo.write("CHANGELOG.md", "- removed --beta\n")
    shas = {"c1": repo.commit("one", "2025-01-01T00:00:00+00:00")}
    (repo.root / "c").mkdir()
    repo.git("mv", "a/one.sh", "c/one.sh")
    repo.write("conf.yaml", "pool_size: 30\nname: x\n")
    shas["c2"] = repo.commit("move", "2025-02-01T00:00:00+00:00")
    repo.git("mv", "c/one.sh", "c/two.sh")
    (repo.root / "b.txt").unlink()
    repo.write("c/two.sh", "#!/bin/sh\necho --alphabet\n" + filler)
    repo.write("CHANGELOG.md", "- removed --beta\n- something\n")
    shas["c3"] = repo.commit("rename again, delete b", "2025-03-01T00:00:00+00:00")
    return build_index("h", repo.root), shas


def test_path_history(history_repo: tuple[CodeIndex, dict[str, str]]) -> None:
    idx, shas = history_repo
    h = idx.history
    assert h is not None
    deleted = h.path_history("b.txt")
    assert deleted is not None and deleted.kind == "deleted"
    assert deleted.commit.sha == shas["c3"] and deleted.commit.date.startswith("2025-03-01")
    assert deleted.commit.author == "Tester"
    moved = h.path_history("a/one.sh")
    assert moved is not None and moved.kind == "renamed"
    assert moved.commit.sha == shas["c2"]
    assert moved.new_path == "c/two.sh" and moved.new_path_exists  # follows the later rename
    assert h.path_history("never/there") is None


def test_removal_and_successor(history_repo: tuple[CodeIndex, dict[str, str]]) -> None:
    idx, shas = history_repo
    h = idx.history
    assert h is not None
    rem = h.removal_of("--alpha")
    # "--alphabet" still contains the substring: only the token-aware check sees the removal
    assert rem is not None and rem.commit.sha == shas["c3"]
    assert rem.path in ("c/one.sh", "c/two.sh")  # pickaxe sees a rename as delete + add
    from stale.codebase.history import FLAG_RX

    assert h.successor_of("--alpha", rem.commit.sha, rem.path, FLAG_RX) == "--alphabet"
    assert h.removal_of("--beta") is None  # only ever in a changelog
    assert h.removal_of("--gamma") is None
    change = h.value_change("conf.yaml", "pool_size", "20")
    assert change is not None and change.sha == shas["c2"]


# ------------------------------------------------------------------ normalisation


@pytest.mark.parametrize(
    ("claimed", "pin", "ok"),
    [
        ("3.11", "3.11.4", True),
        ("15", "15.3", True),
        ("3.9", "3.11", False),
        ("3.11", "3.11-slim-bookworm", True),
        ("3.9", ">=3.10", False),
        ("3.12", ">=3.10,<3.13", True),
        ("18", "^18.2.0", True),
        ("17", "^18.2.0", False),
        ("3.11", "~=3.11", True),
        ("1.21", "1.21.5", True),
        ("3.11", "lts/hydrogen", None),
    ],
)
def test_version_matches(claimed: str, pin: str, ok: bool | None) -> None:
    assert version_matches(claimed, pin) is ok


@pytest.mark.parametrize(
    ("a", "b", "cmp"),
    [
        ("20", "20.0", Cmp.EQUAL),
        ("'info'", "INFO", Cmp.EQUAL),
        ("True", "true", Cmp.EQUAL),
        ("yes", "false", Cmp.DIFFERENT),
        ("30s", "30", Cmp.UNCLEAR),
        ("30s", "30000ms", Cmp.EQUAL),
        ("1m", "90s", Cmp.DIFFERENT),
        ("20", "50", Cmp.DIFFERENT),
    ],
)
def test_compare_values(a: str, b: str, cmp: Cmp) -> None:
    assert compare_values(a, b) is cmp


def test_normalize_route() -> None:
    assert normalize_route("/v1/x/{id}/") == "/v1/x/{}"
    assert normalize_route("/v1/x/<int:id>") == "/v1/x/{}"
    assert normalize_route("/v1/x/:id") == "/v1/x/{}"
    assert normalize_route("v1//x") == "/v1/x"


def test_click_command_with_foreign_decorator_is_incomplete(tmp_path: Path) -> None:
    src = (
        "import click\nfrom common import common_options\n\n\n"
        "@click.command()\n@common_options\n@click.option('--name')\ndef cli(name):\n    pass\n"
    )
    idx = index_of(tmp_path, {"tool.py": src, "plain.py": src.replace("@common_options\n", "")})
    assert "--name" in idx.flags
    assert not idx.programs["tool.py"].complete
    assert idx.programs["plain.py"].complete


def test_removal_found_behind_a_substring_only_change(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write("run.sh", "case $1 in\n  --alpha) :;;\nesac\n")
    repo.commit("one", "2025-01-01T00:00:00+00:00")
    repo.write("run.sh", "case $1 in\n  --beta) :;;\nesac\n")
    removed = repo.commit("alpha -> beta", "2025-02-01T00:00:00+00:00")
    repo.write("run.sh", "case $1 in\n  --beta) :;;\n  --alphabet) :;;\nesac\n")
    repo.commit("add alphabet", "2025-03-01T00:00:00+00:00")
    idx = build_index("r", repo.root)
    assert idx.history is not None
    rem = idx.history.removal_of("--alpha")
    assert rem is not None and rem.commit.sha == removed and rem.path == "run.sh"
    assert idx.history.removal_of("--beta") is None  # still at HEAD
