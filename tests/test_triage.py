"""Triage: accepted findings survive edits, re-judge pages, and can be revoked."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git
from typer.testing import CliRunner

from stale.cli import app
from stale.config import Config, RepoConfig, SourceConfig
from stale.model import Status
from stale.scan import run_scan
from stale.store import Store

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def scan(world: dict[str, Path | str]) -> dict:
    code, out = run(
        "scan",
        "--wiki",
        str(world["wiki"]),
        "--repo",
        str(world["repo"]),
        "--store",
        str(world["store"]),
        "--json",
    )
    assert code in (0, 1), out
    return json.loads(out)


def status(world: dict[str, Path | str], page: str) -> str:
    _, out = run("check", page, "--store", str(world["store"]), "--json")
    return json.loads(out)["status"]


def test_accept_survives_edits_and_revoke_restores(world: dict[str, Path | str]) -> None:
    store = str(world["store"])
    scan(world)
    code, out = run("triage", "list", "--store", store, "--json")
    (finding,) = json.loads(out)
    assert finding["page_id"] == "old.md" and finding["subject"] == "--region"

    code, out = run(
        "triage",
        "accept",
        finding["id"][:8],
        "--reason",
        "eu uses a fork",
        "--by",
        "ana",
        "--store",
        store,
    )
    assert code == 0, out
    assert "wiki:old.md is now current" in out
    assert status(world, "old.md") == "current"
    baseline = json.loads((Path(store).parent / "baseline.json").read_text())
    (entry,) = baseline["accepted"]
    assert entry["claim_key"] == finding["id"] and entry["accepted_by"] == "ana"
    assert "line" not in entry  # identity without line numbers

    code, out = run("check", "old.md", "--store", store)
    assert "[accepted]" in out and "eu uses a fork" in out

    # Move the claim down the page: still the same finding, still accepted.
    old = Path(world["wiki"]) / "old.md"
    old.write_text(
        "# Deploy (old)\n\nIntro.\n\nMore intro.\n\n" + old.read_text().split("\n", 1)[1]
    )
    summary = scan(world)
    assert summary["rechecked"] == 1
    assert status(world, "old.md") == "current"

    code, out = run("triage", "list", "--store", store)
    assert out.strip() == "no open findings"
    code, out = run("triage", "list", "--all", "--store", store)
    assert "accepted: eu uses a fork" in out

    code, out = run("triage", "revoke", finding["id"], "--store", store)
    assert code == 0 and "wiki:old.md is now stale" in out
    assert status(world, "old.md") == "stale"


def test_hand_edited_baseline_is_applied_on_next_scan(world: dict[str, Path | str]) -> None:
    scan(world)
    _, out = run("triage", "list", "--store", str(world["store"]), "--json")
    (finding,) = json.loads(out)
    baseline = Path(world["store"]).parent / "baseline.json"
    baseline.write_text(
        json.dumps(
            {
                "version": 1,
                "accepted": [
                    {
                        "source": "wiki",
                        "page_id": "old.md",
                        "claim_key": finding["id"],
                        "reason": "ok",
                    }
                ],
            }
        )
    )
    summary = scan(world)
    assert summary["rechecked"] == 0  # re-judged from stored findings, not re-verified
    assert status(world, "old.md") == "current"


def test_triage_errors_are_one_line_exit_2(world: dict[str, Path | str]) -> None:
    store = str(world["store"])
    scan(world)
    code, out = run("triage", "accept", "abc", "--reason", "x", "--store", store)
    assert code == 2 and "at least 6 characters" in out
    code, out = run("triage", "accept", "ffffffffff", "--reason", "x", "--store", store)
    assert code == 2 and "no open finding" in out
    code, out = run("triage", "accept", "ffffffffff", "--reason", " ", "--store", store)
    assert code == 2 and "--reason" in out
    (Path(store).parent / "baseline.json").write_text("{not json")
    code, out = run("triage", "list", "--store", store)
    assert code == 2 and "baseline.json" in out and "\n" not in out.strip()
    code, out = run(
        "scan", "--wiki", str(world["wiki"]), "--repo", str(world["repo"]), "--store", store
    )
    assert code == 2 and "baseline.json" in out


def _two_repos(tmp: Path) -> tuple[Path, Path]:
    """`billing` renamed --region to --zone; `platform` has its own deploy.sh with --region."""
    billing = tmp / "billing"
    (billing / "scripts").mkdir(parents=True)
    (billing / "scripts" / "deploy.sh").write_text('case "$1" in\n  --region) R=$2 ;;\nesac\n')
    git(billing, "init", "-q", "-b", "main")
    git(billing, "add", ".")
    git(billing, "commit", "-q", "-m", "one", date="2024-01-01T00:00:00+00:00")
    (billing / "scripts" / "deploy.sh").write_text('case "$1" in\n  --zone) R=$2 ;;\nesac\n')
    git(billing, "commit", "-q", "-am", "rename", date="2025-01-01T00:00:00+00:00")
    platform = tmp / "platform"
    (platform / "scripts").mkdir(parents=True)
    (platform / "scripts" / "deploy.sh").write_text('case "$1" in\n  --region) R=$2 ;;\nesac\n')
    git(platform, "init", "-q", "-b", "main")
    git(platform, "add", ".")
    git(platform, "commit", "-q", "-m", "one", date="2024-01-01T00:00:00+00:00")
    return billing, platform


def test_pages_resolve_against_their_own_repos(tmp_path: Path) -> None:
    billing, platform = _two_repos(tmp_path)
    wiki = tmp_path / "wiki"
    (wiki / "billing").mkdir(parents=True)
    (wiki / "platform").mkdir()
    body = "# Deploy\n\n```bash\n./scripts/deploy.sh --region eu\n```\n"
    (wiki / "billing" / "deploy.md").write_text(body)
    (wiki / "platform" / "deploy.md").write_text(body)
    (wiki / "declared.md").write_text("---\nrepo: billing\n---\n" + body)
    (wiki / "elsewhere.md").write_text("---\nrepos: [platform]\n---\n" + body)
    cfg = Config(
        store=tmp_path / "s.db",
        repos=(RepoConfig("billing", billing), RepoConfig("platform", platform)),
        sources=(
            SourceConfig(
                "wiki",
                "markdown",
                {"path": str(wiki)},
                repo_map={"billing/": ("billing",), "platform": ("platform",)},
            ),
        ),
    )
    with Store.open(cfg.store) as store:
        run_scan(cfg, store)
        got = {
            pid: store.verdict("wiki", pid)
            for pid in ("billing/deploy.md", "platform/deploy.md", "declared.md", "elsewhere.md")
        }
    assert {k: v.status for k, v in got.items() if v} == {
        "billing/deploy.md": Status.STALE,
        "platform/deploy.md": Status.CURRENT,
        "declared.md": Status.STALE,
        "elsewhere.md": Status.CURRENT,
    }
    stale = got["billing/deploy.md"]
    assert stale is not None
    assert {e.repo for f in stale.findings for e in f.evidence} == {"billing"}


def test_config_repo_map_and_triage_keys_validate(tmp_path: Path) -> None:
    from stale.config import ConfigError, parse_config

    data = {
        "repos": [{"name": "a", "path": "a"}],
        "sources": [{"type": "markdown", "path": "w", "repo_map": {"ops/": ["b"]}}],
    }
    try:
        parse_config(data, tmp_path)
    except ConfigError as e:
        assert "no [[repos]] entry is named 'b'" in str(e)
    else:
        raise AssertionError("unknown repo in repo_map accepted")
    cfg = parse_config({"triage": {"baseline": "t/b.json"}}, tmp_path)
    assert cfg.baseline_path == tmp_path / "t/b.json"
