#!/usr/bin/env python3
"""Build the Acme Payments demo: a code repository and a wiki, both git repositories.

    python examples/acme/build.py DEST

creates

    DEST/acme-billing   the "acme-billing" service, replayed commit by commit from
                repo_history.toml (2023-01 .. 2025-09)
    DEST/wiki   the Markdown wiki from wiki/, committed on the dates in
                wiki_history.toml so every page has its own last-modified date

Every author, committer, date and byte is fixed, so the commit hashes are the
same on every machine and every run. A finished build leaves a marker file in
DEST; building again into the same DEST reuses it. A missing or outdated marker
(an interrupted build, edited example data) wipes DEST/acme-billing and DEST/wiki (and
nothing else in DEST) and builds them again.

Standard library only. As a library: `build(dest) -> (repo_dir, wiki_dir)`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_HISTORY = HERE / "repo_history.toml"
WIKI_HISTORY = HERE / "wiki_history.toml"
WIKI_PAGES = HERE / "wiki"
MARKER = ".acme-build.json"
REPO_NAME = "acme-billing"

#: The cast. Histories name authors by these keys; the author also commits.
AUTHORS = {
    "dana": ("Dana Whitfield", "dana.whitfield@acme-payments.example"),
    "ravi": ("Ravi Menon", "ravi.menon@acme-payments.example"),
    "mei": ("Mei Tanaka", "mei.tanaka@acme-payments.example"),
    "tomas": ("Tomás Ortega", "tomas.ortega@acme-payments.example"),
}


class BuildError(RuntimeError):
    """The example data is inconsistent or git failed."""


def build(dest: Path | str) -> tuple[Path, Path]:
    """Create (or reuse) DEST/acme-billing and DEST/wiki; return their paths."""
    dest = Path(dest).resolve()
    repo_dir, wiki_dir = dest / REPO_NAME, dest / "wiki"
    stamp = fingerprint()
    if _is_complete(dest, stamp):
        return repo_dir, wiki_dir

    marker = dest / MARKER
    marker.unlink(missing_ok=True)
    for d in (repo_dir, wiki_dir):
        if d.exists():
            shutil.rmtree(d)
    dest.mkdir(parents=True, exist_ok=True)

    build_repo(repo_dir, _load_toml(REPO_HISTORY))
    build_wiki(wiki_dir, _load_toml(WIKI_HISTORY), WIKI_PAGES)

    record = {
        "fingerprint": stamp,
        "repo": REPO_NAME,
        "repo_head": _head(repo_dir),
        "wiki_head": _head(wiki_dir),
    }
    marker.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return repo_dir, wiki_dir


# --------------------------------------------------------------------------- inputs


def fingerprint() -> str:
    """Hash of everything a build depends on (this script and the example data)."""
    h = hashlib.sha256()
    inputs = [Path(__file__).resolve(), REPO_HISTORY, WIKI_HISTORY, *_wiki_sources(WIKI_PAGES)]
    for path in inputs:
        h.update(path.relative_to(HERE).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _wiki_sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.is_file())


def _load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _is_complete(dest: Path, stamp: str) -> bool:
    try:
        record = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict) or record.get("fingerprint") != stamp:
        return False
    try:
        return _head(dest / REPO_NAME) == record.get("repo_head") and _head(
            dest / "wiki"
        ) == record.get("wiki_head")
    except BuildError:
        return False


# --------------------------------------------------------------------------- git


def _git_env(date: str | None = None) -> dict[str, str]:
    """The caller's environment minus anything that would make commits differ."""
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


def _git(cwd: Path, *args: str, author: str | None = None, date: str | None = None) -> str:
    cmd = [
        "git",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.autocrlf=false",
        "-c",
        "core.hooksPath=" + os.devnull,
    ]
    if author is not None:
        name, email = _author(author)
        cmd += ["-c", f"user.name={name}", "-c", f"user.email={email}"]
    cmd += list(args)
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=_git_env(date), capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise BuildError("git is not installed or not on PATH") from exc
    if proc.returncode != 0:
        raise BuildError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip()}")
    return proc.stdout


def _head(repo: Path) -> str:
    if not (repo / ".git").exists():
        raise BuildError(f"{repo} is not a git repository")
    return _git(repo, "rev-parse", "HEAD").strip()


def _author(key: str) -> tuple[str, str]:
    try:
        return AUTHORS[key]
    except KeyError:
        raise BuildError(f"unknown author {key!r}; known: {', '.join(AUTHORS)}") from None


def _git_date(value: Any) -> str:
    """TOML offset datetime -> git's raw date format ("<unix> +HHMM")."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise BuildError(f"commit date {value!r} must be a TOML datetime with an offset")
    return f"{int(value.timestamp())} {value.strftime('%z')}"


def _init(repo: Path) -> None:
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")


def _commit(repo: Path, spec: dict[str, Any], written: list[str]) -> None:
    """Stage everything, fix file modes of what was written, commit."""
    _git(repo, "add", "-A")
    execs = [p for p in written if _is_executable(repo / p)]
    plain = [p for p in written if p not in execs]
    if execs:
        _git(repo, "add", "--chmod=+x", "--", *execs)
    if plain:
        _git(repo, "add", "--chmod=-x", "--", *plain)
    message = str(spec["message"]).strip()
    _git(
        repo,
        "commit",
        "-q",
        "--no-verify",
        "-m",
        message,
        author=str(spec["author"]),
        date=_git_date(spec["date"]),
    )


def _is_executable(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"#!"


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    path.chmod(0o755 if text.startswith("#!") else 0o644)


# --------------------------------------------------------------------------- repo


def build_repo(repo: Path, history: dict[str, Any]) -> None:
    """Replay repo_history.toml: per commit moves, deletes, whole files, edits."""
    commits = history.get("commit", [])
    if not commits:
        raise BuildError(f"{REPO_HISTORY.name} has no [[commit]] entries")
    _init(repo)
    for spec in commits:
        written: list[str] = []
        for src, dst in spec.get("move", []):
            (repo / dst).parent.mkdir(parents=True, exist_ok=True)
            _git(repo, "mv", "--", src, dst)
            _prune_empty_dirs(repo, (repo / src).parent)
        for rel in spec.get("delete", []):
            _git(repo, "rm", "-q", "--", rel)
            _prune_empty_dirs(repo, (repo / rel).parent)
        for rel, text in spec.get("files", {}).items():
            _write(repo, rel, text)
            written.append(rel)
        for edit in spec.get("edit", []):
            rel = edit["path"]
            path = repo / rel
            if not path.is_file():
                raise BuildError(f"{spec['message']!r}: edit of missing file {rel}")
            text = path.read_text(encoding="utf-8")
            for old, new in edit["replace"]:
                if old not in text:
                    raise BuildError(f"{spec['message']!r}: {old!r} not found in {rel}")
                text = text.replace(old, new)
            _write(repo, rel, text)
            written.append(rel)
        _commit(repo, spec, written)


def _prune_empty_dirs(repo: Path, start: Path) -> None:
    d = start
    while d != repo and d.is_dir() and not any(d.iterdir()):
        d.rmdir()
        d = d.parent


# --------------------------------------------------------------------------- wiki


def build_wiki(wiki: Path, history: dict[str, Any], sources: Path) -> None:
    """Commit the wiki pages on their dates.

    A commit lists `pages` (ids relative to the wiki root); each is written as
    it is in wiki/, unless an `[[commit.earlier]]` entry for it gives
    replacements that turn the final text back into an older version.
    """
    final = {
        p.relative_to(sources).as_posix(): p.read_text("utf-8") for p in _wiki_sources(sources)
    }
    last_text: dict[str, str] = {}
    _init(wiki)
    for spec in history.get("commit", []):
        earlier = {e["page"]: e["replace"] for e in spec.get("earlier", [])}
        unknown = set(earlier) - set(spec["pages"])
        if unknown:
            raise BuildError(f"{spec['message']!r}: earlier versions of unlisted pages {unknown}")
        for page in spec["pages"]:
            if page not in final:
                raise BuildError(f"{spec['message']!r}: no such page wiki/{page}")
            text = final[page]
            for new, old in earlier.get(page, []):
                if new not in text:
                    raise BuildError(f"{spec['message']!r}: {new!r} not found in {page}")
                text = text.replace(new, old)
            _write(wiki, page, text)
            last_text[page] = text
        _commit(wiki, spec, list(spec["pages"]))
    never = sorted(set(final) - set(last_text))
    if never:
        raise BuildError(f"{WIKI_HISTORY.name} never commits {', '.join(never)}")
    behind = sorted(p for p, t in last_text.items() if t != final[p])
    if behind:
        raise BuildError(f"{WIKI_HISTORY.name} leaves an earlier version of {', '.join(behind)}")


# --------------------------------------------------------------------------- cli


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in {"-h", "--help"}:
        print("usage: build.py DEST", file=sys.stderr)
        return 2
    try:
        repo_dir, wiki_dir = build(Path(args[0]))
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    print(repo_dir)
    print(wiki_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
