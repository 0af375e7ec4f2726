"""Verifier and index gaps found by the quality benchmark: nested config paths,
Terraform variables, deleted scripts' flags, Go flags, JS env defaults and the
wording of moves and renames."""

from __future__ import annotations

import pytest
from conftest import GitRepo

from stale.codebase import Codebase, build_codebase
from stale.codebase.history import plausible_successor
from stale.codebase.norm import Cmp, compare_values
from stale.model import Claim, ClaimKind, Finding, Outcome
from stale.verify.builtin import ConfigVerifier, EnvVerifier, FlagVerifier, PathVerifier
from stale.verify.interface import Verifier

VALUES = """
replicaCount: 2
resources:
  limits:
    cpu: 500m
    memory: {limit}
  requests:
    cpu: 100m
    memory: 256Mi
"""

VARIABLES_TF = """
variable "region" {
  description = "AWS region"
  type        = string
  default     = "us-east-1"
}

variable "instance_type" {
  description = "worker nodes" # the EC2 size
  type        = string
  default     = "{size}"
}

variable "node_count" { default = 3 }

variable "enable_logs" {
  default = true
}

variable "tags" {
  type = map(string)
  default = {
    team = "platform"
  }
}

variable "name_prefix" {
  default = "${var.region}-x"
}

variable "required_thing" {
  type = string
}

locals {
  cluster_name = "northwind-prod"
  max_pods     = 110
  derived      = "${var.region}-y"
}
"""

DEPLOY_SH = """
#!/usr/bin/env bash
# Deploy one service image to an environment.
set -euo pipefail

DEPLOY_ENV="${DEPLOY_ENV:-staging}"
ENV="staging"
TAG="latest"
DRY_RUN=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) ENV="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

ENV="${DEPLOY_ENV:-$ENV}"
kubectl -n "acme-$ENV" set image deployment/api api="ghcr.io/acme/api:$TAG" --record
kubectl -n "acme-$ENV" rollout status deployment/api
"""

RELEASE_SH = """
#!/usr/bin/env bash
# Release all services with Helm and wait for the rollout.
set -euo pipefail

ENV="staging"
WAIT="300"
DRY_RUN=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --env) ENV="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    --wait) WAIT="$2"; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

helm upgrade --install acme deploy/helm -n "acme-$ENV" --set image.tag="$TAG" --wait
"""

BACKUP_SH = """
#!/usr/bin/env bash
set -euo pipefail
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bucket) BUCKET="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    *) exit 2 ;;
  esac
done
echo "step one of the backup"
echo "step two of the backup"
echo "step three of the backup"
echo "step four of the backup"
pg_dump "$DATABASE" | aws s3 cp - "s3://$BUCKET/backup.sql"
"""

TRACKER_GO = """
// Command tracker ingests GPS pings.
package main

import (
	"flag"
	"log"
	"time"
)

func main() {
	listen := flag.String("listen", ":9090", "address to listen on")
	var workers int
	flag.IntVar(&workers, "workers", {workers}, "ingest workers")
	{region_line}
	poll := flag.Duration("poll-interval", 15*time.Second, "GPS poll interval")
	debug := flag.Bool("debug", false, "verbose logging")
	flag.Parse()
	log.Println(*listen, workers, *poll, *debug)
}
"""

CLI_GO = """
package main

import "github.com/spf13/cobra"

func newRoot() *cobra.Command {
	cmd := &cobra.Command{Use: "ctl"}
	cmd.Flags().StringP("output", "o", "table", "output format")
	cmd.PersistentFlags().Int("retries", 3, "retries")
	// cmd.Flags().String("commented", "x", "not a flag")
	return cmd
}
"""

SERVER_TS = """
import express from 'express';

const port = process.env.PORTAL_PORT || '{port}';
const backend = process.env.PORTAL_BACKEND_URL ?? "http://localhost:8081";
const workers = Number(process.env.PORTAL_WORKERS) || 5;
const label = process.env.PORTAL_LABEL || 'a' + suffix;
const { PORTAL_MODE = 'fast', PORTAL_DEBUG } = process.env;
"""

MAKEFILE = """
.PHONY: build
build:
\tcd services/tracker && go build -o ../../bin/trk ./cmd/tracker
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Codebase, dict[str, str]]:
    repo = GitRepo(tmp_path_factory.mktemp("gaps") / "acme")
    tracker = TRACKER_GO.replace("{workers}", "4").replace(
        "{region_line}", 'region := flag.String("region", "us-east-1", "AWS region of the fleet")'
    )
    tracker = tracker.replace("log.Println(*listen,", "log.Println(*region, *listen,")
    repo.write("deploy/helm/values.yaml", VALUES.replace("{limit}", "512Mi"))
    repo.write("infra/variables.tf", VARIABLES_TF.replace("{size}", "t3.medium"))
    repo.write("scripts/deploy.sh", DEPLOY_SH)
    repo.write("scripts/backup.sh", BACKUP_SH)
    repo.write("services/tracker/cmd/tracker/main.go", tracker)
    repo.write("services/ctl/main.go", CLI_GO)
    repo.write("services/portal/src/server.ts", SERVER_TS.replace("{port}", "3000"))
    repo.write("Makefile", MAKEFILE)
    repo.write("old/cleanup.sh", "#!/bin/sh\necho cleanup\n")
    shas = {"c1": repo.commit("initial", "2024-01-10T09:00:00+00:00")}

    repo.write("deploy/helm/values.yaml", VALUES.replace("{limit}", "1Gi"))
    repo.write("infra/variables.tf", VARIABLES_TF.replace("{size}", "t3.large"))
    repo.write("services/portal/src/server.ts", SERVER_TS.replace("{port}", "3100"))
    shas["c2"] = repo.commit("bigger defaults", "2024-06-01T10:00:00+00:00")

    # deploy.sh replaced by a different script; rename detection pairs them weakly
    (repo.root / "scripts/deploy.sh").unlink()
    repo.write("scripts/release.sh", RELEASE_SH)
    # a real move: same name, same content
    (repo.root / "tools").mkdir()
    repo.git("mv", "old/cleanup.sh", "tools/cleanup.sh")
    # backup.sh moved and its --bucket renamed on the way
    repo.git("mv", "scripts/backup.sh", "tools/backup.sh")
    repo.write("tools/backup.sh", BACKUP_SH.replace("--bucket)", "--s3-bucket)"))
    shas["c3"] = repo.commit("release.sh replaces deploy.sh", "2025-03-10T10:00:00+00:00")

    repo.write(
        "services/tracker/cmd/tracker/main.go",
        TRACKER_GO.replace("{workers}", "16").replace(
            "{region_line}", 'zone := flag.String("zone", "us-east-1a", "AWS region of the fleet")'
        ).replace("log.Println(*listen,", "log.Println(*zone, *listen,"),
    )  # fmt: skip
    shas["c4"] = repo.commit("tracker: --region -> --zone", "2025-04-01T10:00:00+00:00")
    return build_codebase([("acme", repo.root)]), shas


def check(v: Verifier, code: Codebase, kind: ClaimKind, subject: str, **kw: object) -> Finding:
    claim = Claim(source="wiki", page_id="p1", kind=kind, subject=subject, **kw)  # type: ignore[arg-type]
    finding = v.verify(claim, code)
    if finding.outcome in (Outcome.CONTRADICTED, Outcome.MISSING):
        assert finding.evidence, finding
    return finding


# ------------------------------------------------------------------ 1. nested config


def test_dotted_key_resolves_to_its_own_path(world: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = world
    for ctx in ("deploy/helm/values.yaml", "values.yaml", None):
        f = check(
            ConfigVerifier(), code, ClaimKind.CONFIG, "resources.limits.memory",
            value="512Mi", context=ctx,
        )  # fmt: skip
        assert f.outcome is Outcome.CONTRADICTED, f
        assert "1Gi" in f.message and "256Mi" not in f.message
        assert any(e.commit == shas["c2"] for e in f.evidence)
    ok = check(
        ConfigVerifier(), code, ClaimKind.CONFIG, "resources.requests.memory",
        value="256Mi", context="values.yaml",
    )  # fmt: skip
    assert ok.outcome is Outcome.CONFIRMED
    # a leaf shared by two paths, none named in full: still not settled
    amb = check(
        ConfigVerifier(), code, ClaimKind.CONFIG, "memory", value="512Mi", context="values.yaml"
    )
    assert amb.outcome is Outcome.UNVERIFIABLE


def test_size_units_compare() -> None:
    assert compare_values("512Mi", "1Gi") is Cmp.DIFFERENT
    assert compare_values("1024Mi", "1Gi") is Cmp.EQUAL
    assert compare_values("1G", "1Gi") is Cmp.UNCLEAR  # used loosely
    assert compare_values("2GB", "2G") is Cmp.EQUAL


# ------------------------------------------------------------------ 2. Terraform


def test_terraform_variables_and_locals_are_config(world: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = world
    (r,) = code.repos
    kvs = {kv.key: kv for kv in r.config.get("instancetype", [])}
    assert kvs["var.instance_type"].value == "t3.large"
    assert kvs["var.instance_type"].loc.line == 10
    values = {
        kv.key: kv.value for lst in r.config.values() for kv in lst if kv.source == "terraform"
    }
    assert values["var.node_count"] == "3"
    assert values["var.enable_logs"] == "true"
    assert values["var.tags"] is None  # a map is not a scalar
    assert values["var.name_prefix"] is None  # interpolation
    assert values["var.required_thing"] is None
    assert values["local.cluster_name"] == "northwind-prod"
    assert values["local.max_pods"] == "110"
    assert "local.derived" not in values
    assert "team" not in {k.rsplit(".", 1)[-1] for k in values}

    f = check(ConfigVerifier(), code, ClaimKind.CONFIG, "instance_type", value="t3.medium")
    assert f.outcome is Outcome.CONTRADICTED
    assert "t3.large" in f.message and "variables.tf:10" in f.message
    assert any(e.commit == shas["c2"] for e in f.evidence)
    ok = check(ConfigVerifier(), code, ClaimKind.CONFIG, "var.instance_type", value="t3.large")
    assert ok.outcome is Outcome.CONFIRMED
    # a bare generic name is not taken to mean the Terraform variable
    generic = check(ConfigVerifier(), code, ClaimKind.CONFIG, "region", value="eu-west-1")
    assert generic.outcome is Outcome.UNVERIFIABLE
    named = check(
        ConfigVerifier(), code, ClaimKind.CONFIG, "region", value="eu-west-1",
        context="infra/variables.tf",
    )  # fmt: skip
    assert named.outcome is Outcome.CONTRADICTED
    assert not any(e.commit for e in named.evidence)  # never changed: no commit to show


# ------------------------------------------------------------------ 3. deleted programs


def test_flag_of_deleted_script_is_missing(world: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = world
    for ctx in ("scripts/deploy.sh", "./scripts/deploy.sh", "deploy.sh"):
        f = check(FlagVerifier(), code, ClaimKind.FLAG, "--env", value="staging", context=ctx)
        assert f.outcome is Outcome.MISSING, f
        assert f.message.startswith(
            f"scripts/deploy.sh, which took `--env`, was deleted in {shas['c3'][:7]} on 2025-03-10"
        )
        assert f.evidence[0].commit == shas["c3"]
        assert f.suggestion == "possibly replaced by scripts/release.sh"
    # a flag the old script never took: the page may name the wrong program
    never = check(FlagVerifier(), code, ClaimKind.FLAG, "--record", context="scripts/deploy.sh")
    assert never.outcome is Outcome.UNVERIFIABLE


def test_flag_of_moved_script_is_checked_at_new_place(
    world: tuple[Codebase, dict[str, str]],
) -> None:
    code, shas = world
    ok = check(FlagVerifier(), code, ClaimKind.FLAG, "--keep", context="scripts/backup.sh")
    assert ok.outcome is Outcome.CONFIRMED
    assert ok.evidence[0].path == "tools/backup.sh"
    gone = check(FlagVerifier(), code, ClaimKind.FLAG, "--bucket", context="scripts/backup.sh")
    assert gone.outcome is Outcome.MISSING
    assert gone.evidence[0].commit == shas["c3"]
    assert gone.suggestion == "renamed to `--s3-bucket`"


# ------------------------------------------------------------------ 6. wording


def test_weak_rename_is_a_deletion_possibly_replaced(
    world: tuple[Codebase, dict[str, str]],
) -> None:
    code, shas = world
    f = check(PathVerifier(), code, ClaimKind.PATH, "scripts/deploy.sh")
    assert f.outcome is Outcome.MISSING
    assert "moved" not in f.message
    assert f.message == (
        f"scripts/deploy.sh was deleted in {shas['c3'][:7]} on 2025-03-10; "
        "possibly replaced by scripts/release.sh."
    )
    assert f.suggestion == "possibly replaced by scripts/release.sh"
    moved = check(PathVerifier(), code, ClaimKind.PATH, "old/cleanup.sh")
    assert moved.outcome is Outcome.MISSING
    assert moved.suggestion == "moved to tools/cleanup.sh"
    moved2 = check(PathVerifier(), code, ClaimKind.PATH, "scripts/backup.sh")
    assert moved2.suggestion == "moved to tools/backup.sh"


def test_unrelated_successor_is_not_suggested(world: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = world
    f = check(EnvVerifier(), code, ClaimKind.ENV, "DEPLOY_ENV")
    assert f.outcome is Outcome.MISSING
    assert f.evidence[0].commit == shas["c3"]
    assert f.suggestion is None and "renamed" not in f.message


@pytest.mark.parametrize(
    ("old", "new", "removed", "added", "ok"),
    [
        ("DEPLOY_ENV", "WAIT", 'DEPLOY_ENV="${DEPLOY_ENV:-staging}"', 'WAIT="300"', False),
        ("BILLING_DB_URL", "BILLING_DATABASE_URL", "", "", True),
        ("PORTAL_API_BASE", "PORTAL_SESSION_SECRET", "PORTAL_API_BASE=x", "PORTAL_SESSION_SECRET=",
         False),
        ("cacheTtl", "ttlSeconds", "", "", True),
        ("--region", "--zone", '--region) R="$2"; shift 2 ;;', '--zone) R="$2"; shift 2 ;;', True),
        ("ComputeETA", "EstimateArrival", "func ComputeETA(a, b P) int {",
         "func EstimateArrival(a, b P) int {", True),
    ],
)  # fmt: skip
def test_plausible_successor(old: str, new: str, removed: str, added: str, ok: bool) -> None:
    assert plausible_successor(old, new, removed, added) is ok


# ------------------------------------------------------------------ 4. Go flags


def test_go_flags_defaults_and_binary_names(world: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = world
    (r,) = code.repos
    prog = "services/tracker/cmd/tracker"
    assert prog in r.programs
    flags = {f.name: f.default for f in r.program_flags[prog]}
    assert flags["--listen"] == flags["-listen"] == ":9090"
    assert flags["--workers"] == "16"
    assert flags["--poll-interval"] == "15s"
    assert flags["--debug"] == "false"
    ctl = {f.name: f.default for f in r.program_flags["services/ctl"]}
    assert ctl == {"--output": "table", "-o": "table", "--retries": "3"}  # pflag: no `-output`
    assert r.find_programs("tracker") == [prog]  # package main directory
    assert r.find_programs("trk") == [prog]  # go build -o in the Makefile
    assert r.find_programs("cmd/tracker") == [prog]

    f = check(FlagVerifier(), code, ClaimKind.FLAG, "--workers", value="4", context="tracker")
    assert f.outcome is Outcome.CONTRADICTED
    assert "16" in f.message and any(e.commit == shas["c4"] for e in f.evidence)
    assert (
        check(FlagVerifier(), code, ClaimKind.FLAG, "-listen", value=":9090", context="trk").outcome
        is Outcome.CONFIRMED
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "ctx"), [("--region", "tracker"), ("--region", None), ("-region", None)]
)
def test_go_flag_renamed_in_history(
    world: tuple[Codebase, dict[str, str]], name: str, ctx: str | None
) -> None:
    code, shas = world
    f = check(FlagVerifier(), code, ClaimKind.FLAG, name, context=ctx)
    assert f.outcome is Outcome.MISSING, f
    assert f.evidence[0].commit == shas["c4"]
    assert f.evidence[0].path == "services/tracker/cmd/tracker/main.go"
    assert f.suggestion == f"renamed to `{name.replace('region', 'zone')}`"


# ------------------------------------------------------------------ 5. JS env defaults


def test_js_env_defaults(world: tuple[Codebase, dict[str, str]]) -> None:
    code, shas = world
    (r,) = code.repos
    got = {e.name: e.default for lst in r.env.values() for e in lst if e.loc.path.endswith(".ts")}
    assert got == {
        "PORTAL_PORT": "3100",
        "PORTAL_BACKEND_URL": "http://localhost:8081",
        "PORTAL_WORKERS": "5",
        "PORTAL_LABEL": None,  # `'a' + suffix` is not a literal default
        "PORTAL_MODE": "fast",
        "PORTAL_DEBUG": None,
    }
    f = check(EnvVerifier(), code, ClaimKind.ENV, "PORTAL_PORT", value="3000")
    assert f.outcome is Outcome.CONTRADICTED
    assert "3100" in f.message and "server.ts:3" in f.message
    assert any(e.commit == shas["c2"] for e in f.evidence)
