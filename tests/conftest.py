"""Shared fixtures: a real git repository with history and a wiki folder."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

GIT = ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"]


def git(cwd: Path, *args: str, date: str = "2024-01-02T03:04:05+00:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    out = subprocess.run(
        [*GIT, *args], cwd=cwd, check=True, capture_output=True, env=env, text=True
    )
    return out.stdout.strip()


DEPLOY_V1 = """#!/usr/bin/env bash
set -euo pipefail
REGION=us-east-1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --region) REGION="$2"; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    *) echo "unknown $1"; exit 2 ;;
  esac
done
"""


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path | str]:
    repo = tmp_path / "billing"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "deploy.sh").write_text(DEPLOY_V1)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "deploy script", date="2024-01-01T00:00:00+00:00")
    (repo / "scripts" / "deploy.sh").write_text(DEPLOY_V1.replace("--region)", "--zone)"))
    git(repo, "commit", "-q", "-am", "rename --region to --zone", date="2025-03-02T00:00:00+00:00")
    rename_commit = git(repo, "rev-parse", "HEAD")

    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "old.md").write_text(
        "# Deploy (old)\n\nRun the deploy:\n\n"
        "```bash\n./scripts/deploy.sh --region eu-west-1\n```\n"
    )
    (wiki / "new.md").write_text(
        "# Deploy\n\nRun the deploy:\n\n"
        "```bash\n./scripts/deploy.sh --zone eu-west-1 --dry-run\n```\n"
    )
    (wiki / "team.md").write_text("# Team rituals\n\nWe meet on Mondays and eat cake.\n")
    return {
        "repo": repo,
        "wiki": wiki,
        "store": tmp_path / "s.db",
        "rename": rename_commit,
        "tmp": tmp_path,
    }


class GitRepo:
    """A throwaway repository with commits at fixed dates."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, date: str = "2025-01-01T12:00:00+00:00") -> str:
        env = dict(os.environ, GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        out = subprocess.run(
            ["git", "-c", "user.name=Tester", "-c", "user.email=t@example.com",
             "-c", "commit.gpgsign=false", *args],
            cwd=self.root, env=env, check=True, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        return out.stdout

    def write(self, path: str, text: str | bytes) -> None:
        p = self.root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(textwrap.dedent(text).lstrip("\n"))

    def commit(self, message: str, date: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, date=date)
        return self.git("rev-parse", "HEAD").strip()
