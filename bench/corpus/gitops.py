"""Reproducible git: fixed author, dates and config, so hashes never change."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(RuntimeError):
    pass


def git_env(date: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
        TZ="UTC",
    )
    if date is not None:
        env["GIT_AUTHOR_DATE"] = date
        env["GIT_COMMITTER_DATE"] = date
    return env


def git(
    cwd: Path,
    *args: str,
    name: str = "Bench Generator",
    email: str = "bench@northwind-logistics.example",
    date: str | None = None,
) -> str:
    cmd = [
        "git",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.autocrlf=false",
        "-c",
        f"user.name={name}",
        "-c",
        f"user.email={email}",
        *args,
    ]
    out = subprocess.run(cmd, cwd=cwd, env=git_env(date), capture_output=True, check=False)
    if out.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {out.stderr.decode()[:500]}")
    return out.stdout.decode("utf-8", "replace")


def commit_all(cwd: Path, message: str, name: str, email: str, date: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "--no-verify", "-m", message, name=name, email=email, date=date)


def head(cwd: Path) -> str:
    return git(cwd, "rev-parse", "HEAD").strip()
