"""End to end through the CLI: a real git repo, a real wiki folder, a real store."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import git
from typer.testing import CliRunner

from stale.cli import app

runner = CliRunner()


def scan(world: dict[str, Path | str], *extra: str) -> tuple[int, dict]:
    res = runner.invoke(
        app,
        [
            "scan",
            "--wiki",
            str(world["wiki"]),
            "--repo",
            str(world["repo"]),
            "--store",
            str(world["store"]),
            "--json",
            *extra,
        ],
    )
    assert res.exit_code in (0, 1), res.output
    return res.exit_code, json.loads(res.stdout)


def test_scan_check_and_exit_codes(world: dict[str, Path | str]) -> None:
    code, summary = scan(world)
    assert code == 1
    assert summary["counts"] == {"stale": 1, "current": 1, "unknown": 1}
    assert summary["rechecked"] == 3 and summary["newly_stale"] == ["wiki:old.md"]

    res = runner.invoke(app, ["check", "old.md", "--store", str(world["store"])])
    assert res.exit_code == 1
    assert "STALE" in res.stdout and "--region" in res.stdout
    assert str(world["rename"])[:10] in res.stdout
    assert "--zone" in res.stdout  # the rename suggestion

    res = runner.invoke(app, ["check", "new.md", "--store", str(world["store"])])
    assert res.exit_code == 0 and res.stdout.startswith("CURRENT")

    res = runner.invoke(app, ["check", "team.md", "--store", str(world["store"]), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["status"] == "unknown"


def test_check_resolves_paths_urls_and_source_ids(world: dict[str, Path | str]) -> None:
    scan(world)
    wiki = Path(world["wiki"])
    for ref in (str(wiki / "old.md"), (wiki / "old.md").as_uri(), "wiki:old.md"):
        res = runner.invoke(app, ["check", ref, "--store", str(world["store"]), "--json"])
        assert res.exit_code == 1, (ref, res.output)
        assert json.loads(res.stdout)["page_id"] == "old.md"
    res = runner.invoke(app, ["check", "nope.md", "--store", str(world["store"])])
    assert res.exit_code == 2 and "no such page" in res.output


def test_rescan_is_incremental(world: dict[str, Path | str]) -> None:
    scan(world)
    _, again = scan(world)
    assert again["rechecked"] == 0 and again["carried"] == 3
    assert again["counts"] == {"stale": 1, "current": 1, "unknown": 1}

    # Fix the stale page: exactly that page is re-checked and becomes current.
    (Path(world["wiki"]) / "old.md").write_text(
        "# Deploy (old)\n\n```bash\n./scripts/deploy.sh --zone eu-west-1\n```\n"
    )
    code, fixed = scan(world)
    assert code == 0 and fixed["rechecked"] == 1 and fixed["newly_current"] == ["wiki:old.md"]

    # A commit that touches nothing any page claims re-checks nothing.
    repo = Path(world["repo"])
    (repo / "README.md").write_text("billing\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "readme")
    _, moved = scan(world)
    assert moved["rechecked"] == 0 and moved["carried"] == 3
    # A commit to the script both deploy pages run re-checks exactly those two.
    deploy = repo / "scripts" / "deploy.sh"
    deploy.write_text(deploy.read_text() + "# tuned\n")
    git(repo, "commit", "-q", "-am", "tune deploy")
    _, moved = scan(world)
    assert moved["rechecked"] == 2 and moved["carried"] == 1

    # --full re-checks everything even when nothing changed.
    _, full = scan(world, "--full")
    assert full["rechecked"] == 3

    with sqlite3.connect(world["store"]) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["complete"] * 6


def test_fresh_check_rechecks_one_page(world: dict[str, Path | str]) -> None:
    scan(world)
    (Path(world["wiki"]) / "old.md").write_text("# Deploy\n\n`scripts/deploy.sh` takes `--zone`.\n")
    res = runner.invoke(app, ["check", "old.md", "--store", str(world["store"]), "--fresh"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("CURRENT")


def test_fail_on_suspect(world: dict[str, Path | str]) -> None:
    wiki = Path(world["wiki"])
    (wiki / "old.md").unlink()
    (wiki / "new.md").write_text(
        "# Deploy\n\n**This page is outdated.**\n\n```bash\n./scripts/deploy.sh --zone x\n```\n"
    )
    code, summary = scan(world)
    assert code == 0 and summary["counts"].get("suspect") == 1
    code, _ = scan(world, "--fail-on", "suspect")
    assert code == 1


def test_report_json_contract(world: dict[str, Path | str]) -> None:
    scan(world)
    res = runner.invoke(app, ["report", "--store", str(world["store"]), "--format", "json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["schema"] == 1 and doc["run"]["status"] == "complete"
    pages = {p["page_id"]: p for p in doc["pages"]}
    old = pages["old.md"]
    for key in ("source", "page_id", "url", "title", "status", "score", "checked_at", "findings"):
        assert key in old
    (bad,) = [f for f in old["findings"] if f["outcome"] == "missing"]
    assert set(bad) >= {"kind", "subject", "value", "outcome", "line", "evidence", "suggestion"}
    assert bad["subject"] == "--region" and bad["line"] == 6
    assert bad["evidence"][0]["commit"] == world["rename"]

    res = runner.invoke(app, ["report", "--store", str(world["store"])])
    assert res.exit_code == 0 and "## Stale (1)" in res.stdout and "old.md" in res.stdout


def test_usage_and_config_errors_exit_2(world: dict[str, Path | str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[judge]\nstale_scor = 1\n")
    res = runner.invoke(app, ["scan", "--config", str(bad)])
    assert res.exit_code == 2 and "judge.stale_scor" in res.output
    res = runner.invoke(
        app,
        [
            "scan",
            "--wiki",
            str(world["wiki"]),
            "--repo",
            str(tmp_path / "nope"),
            "--store",
            str(world["store"]),
        ],
    )
    assert res.exit_code == 2 and "nope" in res.output
    res = runner.invoke(app, ["scan", "--store", str(world["store"])])
    assert res.exit_code == 2 and "--wiki" in res.output
    res = runner.invoke(app, ["check", "x.md", "--store", str(tmp_path / "none.db")])
    assert res.exit_code == 2 and "stale scan" in res.output
    res = runner.invoke(app, ["report", "--store", str(world["store"]), "--format", "pdf"])
    assert res.exit_code == 2 and "pdf" in res.output


def test_unreadable_source_exits_3_and_keeps_earlier_verdicts(
    world: dict[str, Path | str],
) -> None:
    scan(world)
    wiki = Path(world["wiki"])
    moved = wiki.with_name("wiki-away")
    wiki.rename(moved)
    res = runner.invoke(
        app,
        ["scan", "--wiki", str(wiki), "--repo", str(world["repo"]), "--store", str(world["store"])],
    )
    assert res.exit_code == 3 and "does not exist" in res.output
    res = runner.invoke(app, ["check", "wiki:old.md", "--store", str(world["store"]), "--json"])
    assert json.loads(res.stdout)["status"] == "stale"


def test_corrupt_store_is_a_clear_error_and_not_overwritten(
    world: dict[str, Path | str],
) -> None:
    store = Path(world["store"])
    store.write_bytes(b"garbage" * 1000)
    res = runner.invoke(
        app,
        ["scan", "--wiki", str(world["wiki"]), "--repo", str(world["repo"]), "--store", str(store)],
    )
    assert res.exit_code == 2 and "not a readable stale store" in res.output
    assert store.read_bytes() == b"garbage" * 1000


def test_console_script_and_check_stay_light(world: dict[str, Path | str]) -> None:
    """`import stale` and `stale check` never import torch, sentence-transformers or faiss."""
    scan(world)
    stale_bin = Path(sys.executable).with_name("stale")
    assert stale_bin.exists()
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import sys; from stale.cli import main; sys.argv=['stale','check','old.md',"
            f"'--store',{str(world['store'])!r}]; main()",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()}
    for heavy in ("torch", "sentence_transformers", "faiss", "transformers"):
        assert heavy not in imported
    res = subprocess.run([str(stale_bin), "--help"], capture_output=True, text=True, check=False)
    assert res.returncode == 0 and "scan" in res.stdout and "check" in res.stdout


def test_check_runs_as_a_one_command_app_with_the_same_answers(
    world: dict[str, Path | str],
) -> None:
    """`stale check` skips building every other command; its verdict, help, usage
    errors and exit codes are those of the full app."""
    from stale.cli import _single_command

    scan(world)
    assert _single_command(["scan"]) is None and _single_command([]) is None
    one = _single_command(["check"])
    assert one is not None and len(one.registered_commands) == 1
    stale_bin = str(Path(sys.executable).with_name("stale"))
    store = str(world["store"])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([stale_bin, *args], capture_output=True, text=True, check=False)

    fast = run("check", "old.md", "--store", store)
    full = runner.invoke(app, ["check", "old.md", "--store", store])
    assert fast.returncode == full.exit_code == 1
    assert fast.stdout == full.stdout and "STALE" in fast.stdout
    assert "Usage: stale check [OPTIONS] PAGE" in run("check", "--help").stdout
    missing = run("check", "no-such-page.md", "--store", store)
    assert missing.returncode == 2 and "no such page" in missing.stderr
    assert run("check").returncode == 2  # no page given: a usage error
