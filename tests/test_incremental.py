"""A repository change re-checks exactly the pages whose claims it touches."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import git
from typer.testing import CliRunner

from stale.cli import app
from stale.incremental import claim_tokens, repo_change, split_fingerprint

runner = CliRunner()


def _scan(wiki: Path, repo: Path, store: Path) -> dict:
    res = runner.invoke(
        app, ["scan", "--wiki", str(wiki), "--repo", str(repo), "--store", str(store), "--json"]
    )
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def _rechecked(store: Path, run_id: int) -> set[str]:
    import sqlite3

    with sqlite3.connect(store) as conn:
        return {
            r[0] for r in conn.execute("SELECT page_id FROM verdicts WHERE run_id = ?", (run_id,))
        }


def test_one_file_change_rechecks_exactly_the_pages_touching_it(tmp_path: Path) -> None:
    repo = tmp_path / "svc"
    (repo / "config").mkdir(parents=True)
    (repo / "scripts").mkdir()
    (repo / "config" / "app.yaml").write_text("database:\n  pool_size: 20\n")
    (repo / "scripts" / "backup.sh").write_text('case "$1" in\n  --full) F=1 ;;\nesac\n')
    (repo / "Makefile").write_text("test:\n\tpytest\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")

    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "pool.md").write_text("# Pool\n\n`pool_size` defaults to 20 in `config/app.yaml`.\n")
    (wiki / "backup.md").write_text("# Backup\n\n```bash\n./scripts/backup.sh --full\n```\n")
    (wiki / "tests.md").write_text("# Tests\n\nRun `make test`.\n")
    (wiki / "later.md").write_text("# Later\n\n```bash\n./scripts/backup.sh --verify\n```\n")
    store = tmp_path / "s.db"
    first = _scan(wiki, repo, store)
    assert first["rechecked"] == 4

    # Change the pool default: only the page claiming it is re-checked, and it turns stale.
    (repo / "config" / "app.yaml").write_text("database:\n  pool_size: 50\n")
    git(repo, "commit", "-q", "-am", "bigger pool")
    second = _scan(wiki, repo, store)
    assert second["rechecked"] == 1 and second["carried"] == 3
    assert _rechecked(store, second["run_id"]) == {"pool.md"}
    assert second["newly_stale"] == ["wiki:pool.md"]

    # Add `--verify` to the backup script: both pages that run the script are
    # re-checked (its file is their evidence), the others are not.
    (repo / "scripts" / "backup.sh").write_text(
        'case "$1" in\n  --full) F=1 ;;\n  --verify) V=1 ;;\nesac\n'
    )
    git(repo, "commit", "-q", "-am", "verify flag")
    third = _scan(wiki, repo, store)
    assert _rechecked(store, third["run_id"]) == {"backup.md", "later.md"}

    # A file nobody mentions: nothing re-checked, and verdicts carry the new commit.
    (repo / "NOTES.txt").write_text("hello\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "notes")
    fourth = _scan(wiki, repo, store)
    assert fourth["rechecked"] == 0
    fifth = _scan(wiki, repo, store)
    assert fifth["rechecked"] == 0 and fifth["carried"] == 4


def test_repo_change_words_paths_and_unknown_commits(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "a.py").write_text("TIMEOUT = 30\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    old = git(repo, "rev-parse", "HEAD")
    (repo / "a.py").write_text("TIMEOUT = 45\nsettings.database.pool_size = 3\n")
    git(repo, "commit", "-q", "-am", "two")
    new = git(repo, "rev-parse", "HEAD")
    change = repo_change(repo, old, new)
    assert change is not None
    assert {"a.py", "TIMEOUT", "45", "30", "pool_size"} <= change.words | change.paths
    assert change.touches({"pool_size"}, ()) and change.touches({"zzz"}, {"a.py"})
    assert not change.touches({"--region"}, {"b.py"})
    assert repo_change(repo, "0" * 40, new) is None
    assert repo_change(tmp_path, old, new) is None  # not a repository


def test_claim_tokens_cover_each_kind() -> None:
    assert "pool_size" in claim_tokens("config", "pool_size", "20")
    dotted = claim_tokens("config", "database.pool_size", "20")
    assert "database" in dotted and "pool_size" not in dotted  # leaf: via its evidence file
    assert "deploy.sh" in claim_tokens("path", "scripts/deploy.sh", None)
    assert "invoices" in claim_tokens("endpoint", "GET /v1/invoices/{}", None)
    assert "deploy" in claim_tokens("command", "make deploy", None)
    assert "charge" in claim_tokens("symbol", "BillingClient.charge", None)
    assert {"python", "3.11"} <= claim_tokens("version", "python", "3.11")
    assert claim_tokens("marker", "outdated", None) == set()
    assert split_fingerprint("a@1;b@dir:x") == {"a": "1", "b": "dir:x"}


def test_moved_words_are_those_added_or_removed_not_merely_edited(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "a.yaml").write_text("a:\n  pool_size: 5\n  timeout: 3\n")
    (repo / "b.yaml").write_text("b:\n  retries: 2\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    old = git(repo, "rev-parse", "HEAD")
    # pool_size: value edited in place; timeout: moved from a.yaml to b.yaml
    (repo / "a.yaml").write_text("a:\n  pool_size: 15\n")
    (repo / "b.yaml").write_text("b:\n  retries: 2\n  timeout: 3\n")
    git(repo, "commit", "-q", "-am", "two")
    change = repo_change(repo, old, git(repo, "rev-parse", "HEAD"))
    assert change is not None
    assert "pool_size" in change.words and "pool_size" not in change.moved
    assert {"5", "15", "timeout"} <= change.moved
    assert not change.touches((), (), {"pool_size"})  # still set in a.yaml
    assert change.touches((), (), {"timeout"})  # left a.yaml
    assert change.touches({"pool_size"}, ())  # a claim with a value cares about the edit


def test_a_bare_key_page_is_not_rechecked_when_only_a_value_changes(tmp_path: Path) -> None:
    names = ("billing", "ledger", "search", "orders", "users", "zeta")
    repo = tmp_path / "svc"
    repo.mkdir()
    for name in names:
        (repo / f"{name}.yaml").write_text(f"{name}:\n  pool_size: 10\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "bare.md").write_text(
        "# Pools\n\nEvery service sets the `pool_size` config key in its YAML file.\n"
    )
    (wiki / "ledger.md").write_text("# Ledger\n\n```yaml\nledger:\n  pool_size: 10\n```\n")
    store = tmp_path / "s.db"
    first = _scan(wiki, repo, store)
    assert first["rechecked"] == 2 and first["counts"] == {"current": 2}

    # a value edited in a file that is not the bare claim's evidence: nothing to redo
    (repo / "zeta.yaml").write_text("zeta:\n  pool_size: 40\n")
    git(repo, "commit", "-q", "-am", "zeta pool")
    second = _scan(wiki, repo, store)
    assert second["rechecked"] == 0 and second["carried"] == 2

    (repo / "ledger.yaml").write_text("ledger:\n  pool_size: 12\n")
    git(repo, "commit", "-q", "-am", "ledger pool")
    third = _scan(wiki, repo, store)
    assert "ledger.md" in _rechecked(store, third["run_id"])
    assert third["newly_stale"] == ["wiki:ledger.md"]

    # the key disappears from a file: the bare claim must be looked at again
    (repo / "zeta.yaml").write_text("zeta:\n  pool: 40\n")
    git(repo, "commit", "-q", "-am", "zeta renames pool_size")
    fourth = _scan(wiki, repo, store)
    assert _rechecked(store, fourth["run_id"]) == {"bare.md"}


def test_a_symbol_page_is_not_rechecked_when_its_definition_line_is_edited_elsewhere(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "svc"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "jobs.py").write_text("def rotate_keys(region):\n    return region\n")
    (repo / "app" / "other.py").write_text("from app.jobs import rotate_keys\n\nX = 1\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "keys.md").write_text("# Keys\n\nCall `rotate_keys()` from the jobs module.\n")
    store = tmp_path / "s.db"
    first = _scan(wiki, repo, store)
    assert first["counts"] == {"current": 1}

    # an import line elsewhere is rewritten but still names it: nothing to redo
    (repo / "app" / "other.py").write_text("from app.jobs import rotate_keys  # noqa\n\nX = 2\n")
    git(repo, "commit", "-q", "-am", "touch the import")
    assert _scan(wiki, repo, store)["rechecked"] == 0

    # the definition is renamed: the name disappears from a file, the page is re-checked
    (repo / "app" / "jobs.py").write_text("def rotate_all_keys(region):\n    return region\n")
    git(repo, "commit", "-q", "-am", "rename")
    third = _scan(wiki, repo, store)
    assert third["rechecked"] == 1 and third["counts"] != {"current": 1}
