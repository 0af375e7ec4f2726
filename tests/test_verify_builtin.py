"""The built-in verifiers against a small git repository with a known history."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GitRepo

from stale.codebase import Codebase, build_codebase
from stale.model import Claim, ClaimKind, Finding, Outcome
from stale.verify.builtin import (
    CommandVerifier,
    ConfigVerifier,
    EndpointVerifier,
    EnvVerifier,
    FlagVerifier,
    PathVerifier,
    SymbolVerifier,
    VersionVerifier,
)
from stale.verify.interface import Verifier

DEPLOY_V1 = """
#!/usr/bin/env bash
set -euo pipefail
REGION="${REGION:-us-east-1}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -r|--region) REGION="$2"; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown $1"; exit 1 ;;
  esac
done
echo "deploying to $REGION with ${DEPLOY_TOKEN}"
"""

CLI_V1 = """
import argparse


def main() -> None:
    parser = argparse.ArgumentParser(prog="acme")
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--timeout", type=int, default=30)
    parser.add_argument("--verbose", action="store_true")
    parser.parse_args()
"""

SETTINGS_V1 = """
import os

DB_URL = os.getenv("BILLING_DB_URL", "postgres://localhost/billing")
WORKERS = int(os.getenv("WORKER_COUNT", "4"))
API_KEY = os.environ["OLD_API_KEY"]
"""

APP_YAML_V1 = """
database:
  host: localhost
  pool_size: 20
cache_ttl: 300
feature_x: true
"""

API_V1 = """
from fastapi import APIRouter, FastAPI

app = FastAPI()
router = APIRouter(prefix="/v1/users")


@app.get("/v1/invoices/{invoice_id}")
def get_invoice(invoice_id: str) -> dict:
    return {}


@router.get("/{user_id}")
def get_user(user_id: str) -> dict:
    return {}
"""

BILLING_V1 = """
class BillingClient:
    def charge(self, amount: int) -> None:
        pass


def load_config() -> dict:
    return {}
"""

MAKEFILE_V1 = """
.PHONY: build test deploy
IMAGE ?= acme/api

build:
\tdocker build -t $(IMAGE) .

test: build
\tpytest

deploy: build
\t./scripts/deploy.sh
"""

PACKAGE_JSON = """
{
  "name": "acme-web",
  "scripts": {
    "build": "vite build",
    "test": "vitest"
  },
  "engines": {
    "node": ">=18"
  }
}
"""


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> tuple[Codebase, dict[str, str]]:
    root = tmp_path_factory.mktemp("acme") / "acme"
    repo = GitRepo(root)
    repo.write("scripts/deploy.sh", DEPLOY_V1)
    repo.write("acme/__init__.py", "")
    repo.write("acme/cli.py", CLI_V1)
    repo.write("acme/settings.py", SETTINGS_V1)
    repo.write("acme/billing.py", BILLING_V1)
    repo.write("config/app.yaml", APP_YAML_V1)
    repo.write("config/other.yaml", "server:\n  port: 8080\nmetrics:\n  port: 9090\n")
    repo.write("scripts/old_backup.sh", "#!/bin/sh\necho backup\n")
    repo.write("tools_old/cleanup.sh", "#!/bin/sh\necho cleanup\n")
    repo.write("Dockerfile", 'FROM python:3.9-slim\nENV APP_PORT=8080\nCMD ["acme"]\n')
    repo.write("app/api.py", API_V1)
    repo.write("Makefile", MAKEFILE_V1)
    repo.write("package.json", PACKAGE_JSON)
    repo.write("README.md", "Run `deploy.sh --region eu`.\n")
    repo.write(".github/workflows/ci.yml", "steps:\n  - run: aws s3 cp --sse AES256 a s3://b\n")
    shas = {"c1": repo.commit("initial", "2025-01-10T09:00:00+00:00")}

    # c2: flags renamed, a script deleted, a file moved
    repo.write("scripts/deploy.sh", DEPLOY_V1.replace("-r|--region)", "-z|--zone)"))
    repo.write("acme/cli.py", CLI_V1.replace('"--region"', '"--zone"'))
    (root / "scripts/old_backup.sh").unlink()
    repo.write(".github/workflows/ci.yml", "steps:\n  - run: aws s3 cp a s3://b\n")
    (root / "tools").mkdir()
    repo.git("mv", "tools_old/cleanup.sh", "tools/cleanup.sh")
    shas["c2"] = repo.commit("rename --region to --zone", "2025-03-02T10:00:00+00:00")

    # c3: env renamed, defaults and pins changed, a key renamed
    repo.write(
        "acme/settings.py",
        SETTINGS_V1.replace("OLD_API_KEY", "ACME_API_KEY").replace('"4"', '"8"'),
    )
    repo.write(
        "config/app.yaml",
        APP_YAML_V1.replace("pool_size: 20", "pool_size: 50").replace(
            "cache_ttl: 300", "cache_ttl_seconds: 300"
        ),
    )
    repo.write("acme/cli.py", CLI_V1.replace('"--region"', '"--zone"').replace("30", "60"))
    repo.write("Dockerfile", 'FROM python:3.12-slim\nENV APP_PORT=8080\nCMD ["acme"]\n')
    shas["c3"] = repo.commit("tune defaults", "2025-04-15T11:00:00+00:00")

    # c4: endpoint to /v2, make target renamed, a method renamed
    repo.write("app/api.py", API_V1.replace("/v1/invoices", "/v2/invoices"))
    repo.write("Makefile", MAKEFILE_V1.replace("deploy", "ship"))
    repo.write("acme/billing.py", BILLING_V1.replace("def charge", "def bill"))
    shas["c4"] = repo.commit("v2 api", "2025-05-20T12:00:00+00:00")

    # an uncommitted change must not be seen: the index reads HEAD
    repo.write("acme/uncommitted.py", "def ghost():\n    pass\n")
    code = build_codebase([("acme", root)])
    return code, shas


def check(v: Verifier, code: Codebase, kind: ClaimKind, subject: str, **kw: object) -> Finding:
    claim = Claim(source="wiki", page_id="p1", kind=kind, subject=subject, **kw)  # type: ignore[arg-type]
    finding = v.verify(claim, code)
    assert finding.claim == claim
    if finding.outcome in (Outcome.CONTRADICTED, Outcome.MISSING):
        assert finding.evidence, finding
    assert finding.message
    return finding


def test_all_verifiers_satisfy_the_protocol() -> None:
    classes = [
        PathVerifier,
        SymbolVerifier,
        FlagVerifier,
        EnvVerifier,
        ConfigVerifier,
        EndpointVerifier,
        VersionVerifier,
        CommandVerifier,
    ]
    covered: set[ClaimKind] = set()
    for cls in classes:
        v = cls()
        assert isinstance(v, Verifier)
        covered |= v.kinds
    assert ClaimKind.LINK in PathVerifier.kinds
    assert covered == set(ClaimKind) - {ClaimKind.DATE, ClaimKind.MARKER}


# ------------------------------------------------------------------ paths


def test_path_exists_and_bare_name(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, _ = acme
    f = check(PathVerifier(), code, ClaimKind.PATH, "scripts/deploy.sh", context="acme")
    assert f.outcome is Outcome.CONFIRMED
    assert f.evidence[0].path == "scripts/deploy.sh"
    assert check(PathVerifier(), code, ClaimKind.PATH, "scripts").outcome is Outcome.CONFIRMED
    bare = check(PathVerifier(), code, ClaimKind.PATH, "cleanup.sh")
    assert bare.outcome is Outcome.CONFIRMED
    assert bare.evidence[0].path == "tools/cleanup.sh"


def test_path_deleted_is_missing_with_commit(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    f = check(PathVerifier(), code, ClaimKind.PATH, "scripts/old_backup.sh")
    assert f.outcome is Outcome.MISSING
    assert f.evidence[0].commit == shas["c2"]
    assert f.evidence[0].date is not None and f.evidence[0].date.startswith("2025-03-02")
    assert f.message == f"scripts/old_backup.sh was deleted in {shas['c2'][:7]} on 2025-03-02."


def test_path_moved_suggests_new_place(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    f = check(PathVerifier(), code, ClaimKind.PATH, "tools_old/cleanup.sh")
    assert f.outcome is Outcome.MISSING
    assert f.suggestion == "moved to tools/cleanup.sh"
    assert f.evidence[0].commit == shas["c2"]
    d = check(PathVerifier(), code, ClaimKind.PATH, "tools_old")
    assert d.outcome is Outcome.MISSING and d.suggestion == "moved to tools"


def test_path_never_existed_or_uncommitted_is_unverifiable(
    acme: tuple[Codebase, dict[str, str]],
) -> None:
    code, _ = acme
    f = check(PathVerifier(), code, ClaimKind.PATH, "scripts/never_there.sh")
    assert f.outcome is Outcome.UNVERIFIABLE
    assert "not found in acme or its history" in f.message
    ghost = check(PathVerifier(), code, ClaimKind.PATH, "acme/uncommitted.py")
    assert ghost.outcome is Outcome.UNVERIFIABLE


def test_link_to_unknown_repo_is_unverifiable(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, _ = acme
    other = check(PathVerifier(), code, ClaimKind.LINK, "Makefile", context="other-org/other")
    assert other.outcome is Outcome.UNVERIFIABLE
    mine = check(PathVerifier(), code, ClaimKind.LINK, "Makefile", context="acme-corp/acme")
    assert mine.outcome is Outcome.CONFIRMED


# ------------------------------------------------------------------ symbols


def test_symbol_forms_confirmed(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, _ = acme
    for subject in ("BillingClient.bill", "acme.billing.load_config", "load_config()"):
        f = check(SymbolVerifier(), code, ClaimKind.SYMBOL, subject)
        assert f.outcome is Outcome.CONFIRMED, subject
        assert f.evidence[0].path == "acme/billing.py" and f.evidence[0].line
    ghost = check(SymbolVerifier(), code, ClaimKind.SYMBOL, "ghost")
    assert ghost.outcome is Outcome.UNVERIFIABLE


def test_symbol_renamed_is_missing_with_successor(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    f = check(SymbolVerifier(), code, ClaimKind.SYMBOL, "BillingClient.charge")
    assert f.outcome is Outcome.MISSING
    assert f.evidence[0].commit == shas["c4"]
    assert f.suggestion == "renamed to `bill`"
    never = check(SymbolVerifier(), code, ClaimKind.SYMBOL, "frobnicate_everything")
    assert never.outcome is Outcome.UNVERIFIABLE


# ------------------------------------------------------------------ flags


def test_flag_in_shell_script(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    ok = check(FlagVerifier(), code, ClaimKind.FLAG, "--zone", context="scripts/deploy.sh")
    assert ok.outcome is Outcome.CONFIRMED
    assert ok.evidence[0].path == "scripts/deploy.sh" and ok.evidence[0].line == 6
    gone = check(FlagVerifier(), code, ClaimKind.FLAG, "--region", context="deploy.sh")
    assert gone.outcome is Outcome.MISSING
    assert gone.evidence[0].commit == shas["c2"]
    assert gone.suggestion == "renamed to `--zone`"
    assert gone.message == (
        f"`--region` was removed from scripts/deploy.sh in {shas['c2'][:7]} on 2025-03-02; "
        "renamed to `--zone`."
    )
    # shell flag sets are never assumed complete
    unknown = check(FlagVerifier(), code, ClaimKind.FLAG, "--force", context="deploy.sh")
    assert unknown.outcome is Outcome.UNVERIFIABLE


def test_flag_in_argparse_program(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    gone = check(FlagVerifier(), code, ClaimKind.FLAG, "--region", context="acme.cli")
    assert gone.outcome is Outcome.MISSING
    assert gone.evidence[0].path == "acme/cli.py" and gone.evidence[0].commit == shas["c2"]
    assert gone.suggestion == "renamed to `--zone`"
    never = check(FlagVerifier(), code, ClaimKind.FLAG, "--frobnicate", context="acme/cli.py")
    assert never.outcome is Outcome.MISSING  # argparse flag set is complete
    assert never.evidence[0].path == "acme/cli.py" and never.evidence[0].commit is None
    assert "--zone" in never.message
    helpflag = check(FlagVerifier(), code, ClaimKind.FLAG, "--help", context="acme/cli.py")
    assert helpflag.outcome is Outcome.CONFIRMED


def test_flag_default_changed(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    old = check(FlagVerifier(), code, ClaimKind.FLAG, "--timeout", value="30", context="cli.py")
    assert old.outcome is Outcome.CONTRADICTED
    assert old.suggestion == "60"
    assert old.evidence[0].path == "acme/cli.py" and old.evidence[0].line == 7
    assert any(e.commit == shas["c3"] for e in old.evidence)
    new = check(FlagVerifier(), code, ClaimKind.FLAG, "--timeout", value="60", context="cli.py")
    assert new.outcome is Outcome.CONFIRMED
    flag = check(FlagVerifier(), code, ClaimKind.FLAG, "--verbose", value="false")
    assert flag.outcome is Outcome.CONFIRMED


def test_flag_program_not_in_repo_or_no_context(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    ext = check(FlagVerifier(), code, ClaimKind.FLAG, "--region", context="kubectl")
    assert ext.outcome is Outcome.UNVERIFIABLE
    assert check(FlagVerifier(), code, ClaimKind.FLAG, "--zone").outcome is Outcome.CONFIRMED
    gone = check(FlagVerifier(), code, ClaimKind.FLAG, "--region")
    assert gone.outcome is Outcome.MISSING and gone.evidence[0].commit == shas["c2"]
    never = check(FlagVerifier(), code, ClaimKind.FLAG, "--never-was")
    assert never.outcome is Outcome.UNVERIFIABLE
    # dropped from a CI invocation of another tool: not a flag of this repo's programs
    passed_on = check(FlagVerifier(), code, ClaimKind.FLAG, "--sse")
    assert passed_on.outcome is Outcome.UNVERIFIABLE


# ------------------------------------------------------------------ env


def test_env_confirmed_and_default(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    f = check(EnvVerifier(), code, ClaimKind.ENV, "BILLING_DB_URL")
    assert f.outcome is Outcome.CONFIRMED and f.evidence[0].path == "acme/settings.py"
    shell = check(EnvVerifier(), code, ClaimKind.ENV, "REGION", value="us-east-1")
    assert shell.outcome is Outcome.CONFIRMED
    assert check(EnvVerifier(), code, ClaimKind.ENV, "DEPLOY_TOKEN").outcome is Outcome.CONFIRMED
    docker = check(EnvVerifier(), code, ClaimKind.ENV, "APP_PORT", value="8080")
    assert docker.outcome is Outcome.CONFIRMED and docker.evidence[0].path == "Dockerfile"
    old = check(EnvVerifier(), code, ClaimKind.ENV, "WORKER_COUNT", value="4")
    assert old.outcome is Outcome.CONTRADICTED
    assert old.suggestion == "8"
    assert old.evidence[0].path == "acme/settings.py" and old.evidence[0].line == 4
    assert any(e.commit == shas["c3"] for e in old.evidence)
    assert "page says 4" in old.message


def test_env_renamed_and_unknown(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    f = check(EnvVerifier(), code, ClaimKind.ENV, "OLD_API_KEY")
    assert f.outcome is Outcome.MISSING
    assert f.evidence[0].commit == shas["c3"] and f.evidence[0].path == "acme/settings.py"
    assert f.suggestion == "renamed to `ACME_API_KEY`"
    never = check(EnvVerifier(), code, ClaimKind.ENV, "AWS_PROFILE")
    assert never.outcome is Outcome.UNVERIFIABLE
    assert "may belong to another tool or repo" in never.message


# ------------------------------------------------------------------ config


def test_config_value_changed(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    f = check(ConfigVerifier(), code, ClaimKind.CONFIG, "database.pool_size", value="20")
    assert f.outcome is Outcome.CONTRADICTED
    assert f.suggestion == "50"
    assert (f.evidence[0].path, f.evidence[0].line) == ("config/app.yaml", 3)
    assert any(e.commit == shas["c3"] for e in f.evidence)
    assert f.message.startswith("`database.pool_size` is 50 in config/app.yaml:3 (changed in ")
    assert f.message.endswith("page says 20.")
    ok = check(ConfigVerifier(), code, ClaimKind.CONFIG, "pool_size", value="50")
    assert ok.outcome is Outcome.CONFIRMED
    ctx = check(
        ConfigVerifier(), code, ClaimKind.CONFIG, "pool_size", value="50", context="app.yaml"
    )
    assert ctx.outcome is Outcome.CONFIRMED
    assert check(ConfigVerifier(), code, ClaimKind.CONFIG, "database.host").outcome is (
        Outcome.CONFIRMED
    )
    boolean = check(ConfigVerifier(), code, ClaimKind.CONFIG, "feature_x", value="True")
    assert boolean.outcome is Outcome.CONFIRMED


def test_config_ambiguous_generic_key_is_not_contradicted(
    acme: tuple[Codebase, dict[str, str]],
) -> None:
    code, _ = acme
    amb = check(ConfigVerifier(), code, ClaimKind.CONFIG, "port", value="7000")
    assert amb.outcome is Outcome.UNVERIFIABLE
    one = check(ConfigVerifier(), code, ClaimKind.CONFIG, "port", value="9090")
    assert one.outcome is Outcome.CONFIRMED
    narrowed = check(ConfigVerifier(), code, ClaimKind.CONFIG, "server.port", value="7000")
    assert narrowed.outcome is Outcome.CONTRADICTED and narrowed.suggestion == "8080"


def test_config_key_renamed_and_unknown(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    f = check(ConfigVerifier(), code, ClaimKind.CONFIG, "cache_ttl")
    assert f.outcome is Outcome.MISSING
    assert f.evidence[0].commit == shas["c3"]
    assert f.suggestion == "renamed to `cache_ttl_seconds`"
    never = check(ConfigVerifier(), code, ClaimKind.CONFIG, "retry_budget", value="3")
    assert never.outcome is Outcome.UNVERIFIABLE


# ------------------------------------------------------------------ endpoints


def test_endpoint_moved_to_v2(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    ok = check(EndpointVerifier(), code, ClaimKind.ENDPOINT, "GET /v2/invoices/{}")
    assert ok.outcome is Outcome.CONFIRMED and ok.evidence[0].path == "app/api.py"
    assert ok.evidence[0].line == 7
    gone = check(EndpointVerifier(), code, ClaimKind.ENDPOINT, "GET /v1/invoices/{}")
    assert gone.outcome is Outcome.MISSING
    assert gone.evidence[0].commit == shas["c4"]
    assert gone.suggestion == "moved to GET /v2/invoices/{}"
    wrong_method = check(EndpointVerifier(), code, ClaimKind.ENDPOINT, "POST /v2/invoices/{}")
    assert wrong_method.outcome is Outcome.CONTRADICTED
    routed = check(EndpointVerifier(), code, ClaimKind.ENDPOINT, "/v1/users/{id}")
    assert routed.outcome is Outcome.CONFIRMED
    never = check(EndpointVerifier(), code, ClaimKind.ENDPOINT, "GET /v9/nothing")
    assert never.outcome is Outcome.UNVERIFIABLE


# ------------------------------------------------------------------ versions


def test_version_pins(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    ok = check(VersionVerifier(), code, ClaimKind.VERSION, "python", value="3.12")
    assert ok.outcome is Outcome.CONFIRMED and ok.evidence[0].path == "Dockerfile"
    old = check(VersionVerifier(), code, ClaimKind.VERSION, "Python", value="3.9")
    assert old.outcome is Outcome.CONTRADICTED
    assert (old.evidence[0].path, old.evidence[0].line) == ("Dockerfile", 1)
    assert any(e.commit == shas["c3"] for e in old.evidence)
    assert old.suggestion == "3.12-slim"
    node = check(VersionVerifier(), code, ClaimKind.VERSION, "node", value="20")
    assert node.outcome is Outcome.CONFIRMED
    node16 = check(VersionVerifier(), code, ClaimKind.VERSION, "node", value="16")
    assert node16.outcome is Outcome.CONTRADICTED
    none = check(VersionVerifier(), code, ClaimKind.VERSION, "postgres", value="15")
    assert none.outcome is Outcome.UNVERIFIABLE


# ------------------------------------------------------------------ commands


def test_make_targets(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = acme
    ok = check(CommandVerifier(), code, ClaimKind.COMMAND, "make build")
    assert ok.outcome is Outcome.CONFIRMED and ok.evidence[0].path == "Makefile"
    gone = check(CommandVerifier(), code, ClaimKind.COMMAND, "make deploy")
    assert gone.outcome is Outcome.MISSING
    assert gone.evidence[0].commit == shas["c4"]
    assert gone.suggestion == "renamed to `make ship`"
    never = check(CommandVerifier(), code, ClaimKind.COMMAND, "make publish")
    assert never.outcome is Outcome.MISSING
    assert never.evidence[0].path == "Makefile" and never.evidence[0].commit is None


def test_npm_scripts(acme: tuple[Codebase, dict[str, str]]) -> None:
    code, _ = acme
    assert check(CommandVerifier(), code, ClaimKind.COMMAND, "npm run build").outcome is (
        Outcome.CONFIRMED
    )
    assert check(CommandVerifier(), code, ClaimKind.COMMAND, "npm test").outcome is (
        Outcome.CONFIRMED
    )
    lint = check(CommandVerifier(), code, ClaimKind.COMMAND, "yarn lint")
    assert lint.outcome is Outcome.MISSING and lint.evidence[0].path == "package.json"
    for cmd in ("npm install", "cargo build", "make"):
        assert check(CommandVerifier(), code, ClaimKind.COMMAND, cmd).outcome is (
            Outcome.UNVERIFIABLE
        )


# ------------------------------------------------------------------ guards, repos


def test_historical_claims_are_checked_and_hints_are_not(
    acme: tuple[Codebase, dict[str, str]],
) -> None:
    code, _ = acme
    # Checked like any claim: the judge, not the verifier, decides that history
    # never counts against a page (and that it matching the repo's history helps).
    f = check(PathVerifier(), code, ClaimKind.PATH, "scripts/old_backup.sh", historical=True)
    assert f.outcome is Outcome.MISSING and f.evidence[0].commit
    d = check(PathVerifier(), code, ClaimKind.DATE, "last_updated", value="2020-01-01")
    assert d.outcome is Outcome.UNVERIFIABLE


def test_multiple_repos_and_plain_directory(
    acme: tuple[Codebase, dict[str, str]], tmp_path: Path
) -> None:
    code, _ = acme
    web = tmp_path / "web"
    (web / "src").mkdir(parents=True)
    (web / "src" / "server.js").write_text(
        "const port = process.env.WEB_PORT || '3000';\napp.get('/health', h);\n"
    )
    (web / "Makefile").write_text("serve:\n\tnode src/server.js\n")
    both = Codebase([*code.repos, *build_codebase([("web", web)]).repos])
    assert both.fingerprint.startswith("acme@") and ";web@dir:" in both.fingerprint
    f = check(PathVerifier(), both, ClaimKind.PATH, "src/server.js", context="web")
    assert f.outcome is Outcome.CONFIRMED and f.evidence[0].repo == "web"
    wrong_repo = check(PathVerifier(), both, ClaimKind.PATH, "scripts/deploy.sh", context="web")
    assert wrong_repo.outcome is Outcome.UNVERIFIABLE
    env = check(EnvVerifier(), both, ClaimKind.ENV, "WEB_PORT", value="3000")
    assert env.outcome is Outcome.CONFIRMED and env.evidence[0].repo == "web"
    assert check(EndpointVerifier(), both, ClaimKind.ENDPOINT, "GET /health").outcome is (
        Outcome.CONFIRMED
    )
    assert check(CommandVerifier(), both, ClaimKind.COMMAND, "make serve").outcome is (
        Outcome.CONFIRMED
    )
    # a plain directory has no history: absent things are unverifiable, never missing
    gone = check(PathVerifier(), both, ClaimKind.PATH, "src/old.js", context="web")
    assert gone.outcome is Outcome.UNVERIFIABLE
    assert "not found in web;" in gone.message


def test_precision_guards(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    files = {
        "requirements.txt": "redis==4.5.1\ndjango==4.2.1\n",
        "tests/fixtures/app.yaml": "pool_size: 5\n",
        "config/app.yaml": "pool_size: 50\n",
        "config/a.yaml": "timeout: 10\n",
        "config/b.yaml": "timeout: 20\n",
        "Dockerfile": "FROM alpine:3.19\n",
    }
    for p, t in files.items():
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_text(t)
    code = build_codebase([("svc", root)])
    # a client library pin does not contradict the server version a page means
    redis = check(VersionVerifier(), code, ClaimKind.VERSION, "redis", value="7")
    assert redis.outcome is Outcome.UNVERIFIABLE
    django = check(VersionVerifier(), code, ClaimKind.VERSION, "django", value="3.2")
    assert django.outcome is Outcome.CONTRADICTED
    assert (django.evidence[0].path, django.evidence[0].line) == ("requirements.txt", 2)
    # a fixture's value never contradicts; the product's does
    pool = check(ConfigVerifier(), code, ClaimKind.CONFIG, "pool_size", value="5")
    assert pool.outcome is Outcome.CONFIRMED  # one place agrees
    pool20 = check(ConfigVerifier(), code, ClaimKind.CONFIG, "pool_size", value="20")
    assert pool20.outcome is Outcome.CONTRADICTED
    assert [e.path for e in pool20.evidence] == ["config/app.yaml"]
    # a common key set differently in several files names no single value
    assert check(ConfigVerifier(), code, ClaimKind.CONFIG, "timeout", value="30").outcome is (
        Outcome.UNVERIFIABLE
    )
    in_file = check(
        ConfigVerifier(), code, ClaimKind.CONFIG, "timeout", value="30", context="config/b.yaml"
    )
    assert in_file.outcome is Outcome.CONTRADICTED and in_file.suggestion == "20"
    # non-comparable pins and no history: nothing negative
    alpine = check(VersionVerifier(), code, ClaimKind.VERSION, "alpine", value="3.18")
    assert alpine.outcome is Outcome.CONTRADICTED
    gone = check(EnvVerifier(), code, ClaimKind.ENV, "NOT_HERE")
    assert gone.outcome is Outcome.UNVERIFIABLE and "history" not in gone.message
