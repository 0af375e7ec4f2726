"""The bundled Acme demo (examples/acme) builds two deterministic git repositories."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
import yaml

ACME = Path(__file__).resolve().parents[1] / "examples" / "acme"
VALID_STATUSES = {"current", "stale", "suspect", "unknown"}


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("acme_build", ACME / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


acme = _load_build()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return acme.build(tmp_path_factory.mktemp("acme"))


@pytest.fixture(scope="module")
def expected() -> dict[str, dict]:
    with (ACME / "expected.toml").open("rb") as fh:
        return tomllib.load(fh)["pages"]


# ------------------------------------------------------------------ both repos


def test_both_are_clean_git_repos_on_main(built: tuple[Path, Path]) -> None:
    for repo in built:
        assert git(repo, "rev-parse", "--is-inside-work-tree").strip() == "true"
        assert git(repo, "symbolic-ref", "--short", "HEAD").strip() == "main"
        assert git(repo, "status", "--porcelain") == ""


def test_build_is_deterministic(built: tuple[Path, Path], tmp_path: Path) -> None:
    other = acme.build(tmp_path / "second")
    assert [head(r) for r in other] == [head(r) for r in built]


def test_rebuild_reuses_a_complete_build(tmp_path: Path) -> None:
    repo, wiki = acme.build(tmp_path)
    heads = (head(repo), head(wiki))
    count = git(repo, "rev-list", "--count", "HEAD")
    sentinel = repo / "untracked-sentinel"
    sentinel.write_text("left by the test\n")

    assert acme.build(tmp_path) == (repo, wiki)
    assert sentinel.exists(), "a complete build must be reused, not rebuilt"
    assert (head(repo), head(wiki)) == heads
    assert git(repo, "rev-list", "--count", "HEAD") == count


def test_partial_build_is_wiped_and_rebuilt(tmp_path: Path) -> None:
    repo, wiki = acme.build(tmp_path)
    heads = (head(repo), head(wiki))
    (repo / "untracked-sentinel").write_text("x\n")
    (tmp_path / acme.MARKER).unlink()
    (tmp_path / "mine.txt").write_text("not ours\n")

    acme.build(tmp_path)
    assert not (repo / "untracked-sentinel").exists()
    assert (head(repo), head(wiki)) == heads
    assert (tmp_path / "mine.txt").exists(), "only DEST/repo and DEST/wiki are wiped"


def test_cli_prints_the_two_paths(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ACME / "build.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.splitlines() == [str(tmp_path / "acme-billing"), str(tmp_path / "wiki")]
    assert proc.stderr == ""


# ------------------------------------------------------------------ the code repo


def test_final_tree(built: tuple[Path, Path]) -> None:
    repo, _ = built
    files = git(repo, "ls-files").split()
    assert 15 <= len(files) <= 25
    for path in [
        "billing/cli.py",
        "billing/app.py",
        "billing/ledger.py",
        "billing/settings.py",
        "scripts/deploy.sh",
        "scripts/rotate_keys.py",
        "config/billing.yaml",
        "Dockerfile",
        "docker-compose.yml",
        "Makefile",
        "package.json",
        ".env.example",
        "pyproject.toml",
        "README.md",
    ]:
        assert path in files
    assert "scripts/backup_db.sh" not in files
    assert "tools/rotate_keys.py" not in files
    assert git(repo, "ls-files", "-s", "scripts/deploy.sh").startswith("100755 ")


def test_deploy_takes_zone_not_region(built: tuple[Path, Path]) -> None:
    repo, _ = built
    text = (repo / "scripts/deploy.sh").read_text()
    assert "--zone)" in text
    assert "--region" not in text


def test_final_values(built: tuple[Path, Path]) -> None:
    repo, _ = built
    assert "pool_size: 50" in (repo / "config/billing.yaml").read_text()
    assert '"--retries", type=int, default=5' in (repo / "billing/cli.py").read_text()
    assert 'os.getenv("BILLING_TIMEOUT", "30")' in (repo / "billing/settings.py").read_text()
    assert "FROM python:3.11-slim" in (repo / "Dockerfile").read_text()
    assert "image: postgres:15" in (repo / "docker-compose.yml").read_text()
    assert 'requires-python = ">=3.11"' in (repo / "pyproject.toml").read_text()
    makefile = (repo / "Makefile").read_text()
    assert "seed-db" not in makefile
    assert "\ndeploy:" in makefile and "\ntest:" in makefile
    assert '"node": ">=18"' in (repo / "package.json").read_text()
    assert "def record_entry(" in (repo / "billing/ledger.py").read_text()


# Each change: the file, a line the change removed and a line it added (or None).
CHANGES = [
    ("scripts/deploy.sh", "--region)", "--zone)"),
    ("config/billing.yaml", "pool_size: 20", "pool_size: 50"),
    ("billing/cli.py", '"--retries", type=int, default=3', '"--retries", type=int, default=5'),
    ("billing/db.py", 'os.environ["BILLING_DB_URL"]', 'os.environ["BILLING_DATABASE_URL"]'),
    (".env.example", "BILLING_DB_URL=", "BILLING_DATABASE_URL="),
    ("Dockerfile", "FROM python:3.9-slim", "FROM python:3.11-slim"),
    ("docker-compose.yml", "image: postgres:13", "image: postgres:15"),
    (
        "billing/app.py",
        '@app.get("/v1/invoices/{invoice_id}")',
        '@app.get("/v2/invoices/{invoice_id}")',
    ),
    ("Makefile", "seed-db:", None),
    ("billing/ledger.py", "def post_entry(", "def record_entry("),
]


def _change_commits(repo: Path, path: str, removed: str, added: str | None) -> set[str]:
    """Commits whose patch of `path` removes a line with `removed` (and adds one with `added`)."""
    out = git(repo, "log", "-p", "--format=@@commit %H", "--", path)
    found: set[str] = set()
    commit = ""
    minus: dict[str, bool] = {}
    plus: dict[str, bool] = {}
    for line in out.splitlines():
        if line.startswith("@@commit "):
            commit = line.split()[1]
        elif line.startswith("-") and not line.startswith("---") and removed in line:
            minus[commit] = True
        elif line.startswith("+") and not line.startswith("+++") and added and added in line:
            plus[commit] = True
    for c in minus:
        if added is None or plus.get(c):
            found.add(c)
    return found


@pytest.mark.parametrize(("path", "removed", "added"), CHANGES)
def test_history_has_the_change(
    built: tuple[Path, Path], path: str, removed: str, added: str | None
) -> None:
    repo, _ = built
    assert len(_change_commits(repo, path, removed, added)) == 1


def test_each_change_has_its_own_commit(built: tuple[Path, Path]) -> None:
    repo, _ = built
    commits = [_change_commits(repo, *c) for c in CHANGES]
    # the env var rename touches db.py and .env.example in one commit
    by_change = {
        "deploy": commits[0],
        "pool": commits[1],
        "retries": commits[2],
        "env": commits[3] | commits[4],
        "python": commits[5],
        "postgres": commits[6],
        "endpoint": commits[7],
        "make": commits[8],
        "rename": commits[9],
    }
    assert all(len(v) == 1 for v in by_change.values())
    assert len({next(iter(v)) for v in by_change.values()}) == len(by_change)


def test_history_has_the_deletion_and_the_move(built: tuple[Path, Path]) -> None:
    repo, _ = built
    deleted = git(repo, "log", "--diff-filter=D", "--name-only", "--format=").split()
    assert "scripts/backup_db.sh" in deleted
    renames = [
        line.split("\t")
        for line in git(repo, "log", "-M", "--name-status", "--format=").splitlines()
        if line.startswith("R")
    ]
    assert [r[1:] for r in renames] == [["tools/rotate_keys.py", "scripts/rotate_keys.py"]]


def test_history_spans_2023_to_2025(built: tuple[Path, Path]) -> None:
    repo, _ = built
    dates = git(repo, "log", "--format=%aI").split()
    assert len(dates) >= 12
    assert min(dates).startswith("2023-01")
    assert max(dates).startswith("2025-09")
    assert dates == sorted(dates, reverse=True)


# ------------------------------------------------------------------ the wiki


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n"), "page must open with YAML front matter"
    block = text[4:].split("\n---\n", 1)[0]
    data = yaml.safe_load(block)
    assert isinstance(data, dict)
    return data


def test_wiki_pages_match_the_sources(built: tuple[Path, Path]) -> None:
    _, wiki = built
    committed = sorted(git(wiki, "ls-files").split())
    sources = sorted(p.relative_to(ACME / "wiki").as_posix() for p in (ACME / "wiki").rglob("*.md"))
    assert committed == sources
    for page in committed:
        assert (wiki / page).read_text() == (ACME / "wiki" / page).read_text()


def test_every_page_has_front_matter_and_a_label(
    built: tuple[Path, Path], expected: dict[str, dict]
) -> None:
    _, wiki = built
    pages = set(git(wiki, "ls-files").split())
    assert pages == set(expected)
    for page in sorted(pages):
        meta = _front_matter((wiki / page).read_text())
        assert meta.get("title"), page
        assert meta.get("owner"), page
        assert isinstance(meta.get("tags"), list), page
        n_lines = len((wiki / page).read_text().splitlines())
        assert 20 <= n_lines <= 60, (page, n_lines)


def test_expected_labels_are_well_formed(expected: dict[str, dict]) -> None:
    statuses = {label["status"] for label in expected.values()}
    assert statuses == VALID_STATUSES
    for page, label in expected.items():
        assert label["status"] in VALID_STATUSES, page
        assert label.get("why"), page
        if label["status"] == "stale":
            assert label.get("reasons"), page
        else:
            assert "reasons" not in label, page


def test_pages_have_differing_last_modified_dates(built: tuple[Path, Path]) -> None:
    _, wiki = built
    dates = {
        page: git(wiki, "log", "-1", "--format=%cI", "--", page).strip()
        for page in git(wiki, "ls-files").split()
    }
    assert len(set(dates.values())) >= 10
    years = {d[:4] for d in dates.values()}
    assert {"2023", "2024", "2025"} <= years
    assert dates["deploy.md"] < dates["local-development.md"]
    # edited pages keep their history: more than one commit
    assert len(git(wiki, "log", "--format=%H", "--", "configuration.md").split()) == 2
