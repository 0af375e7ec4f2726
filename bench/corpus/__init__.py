"""A generated, labelled quality corpus for `stale`.

    from bench.corpus import build_corpus
    info = build_corpus(Path(".stale/bench-corpus"), seed=7, pages=160)

writes

    DEST/repo         the Northwind Logistics monorepo with its git history
    DEST/wiki         Markdown and Confluence-style HTML pages, a git repo too
    DEST/labels.json  ground truth: every page's status and the claims it makes

The repository history is fixed; the page mix depends on the seed. Labels come
from the generator's own record of every change: a claim is "ok" when the fact
it states holds at HEAD, "stale" when a later commit changed or removed it.
Every author, date and byte is fixed, so hashes are reproducible. A complete
build for the same seed, page count and generator source is reused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.corpus import gitops
from bench.corpus.doc import to_confluence, to_markdown
from bench.corpus.history import CAST, INITIAL_DATE, changes, churn, initial_state
from bench.corpus.model import State, apply
from bench.corpus.pages import PageOut, World, generate
from bench.corpus.render_repo import render
from bench.corpus.signals import fixture_pages, label_signals

REPO_NAME = "northwind"
MARKER = ".bench-corpus.json"
HERE = Path(__file__).resolve().parent

__all__ = ["REPO_NAME", "CorpusInfo", "build_corpus", "generator_hash"]


@dataclass(frozen=True)
class CorpusInfo:
    dest: Path
    repo: Path
    wiki: Path
    labels: Path
    seed: int
    pages: int
    repo_head: str
    wiki_head: str
    reused: bool
    build_s: float
    repo_name: str = REPO_NAME


def generator_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(HERE.glob("*.py")):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _stamp(seed: int, pages: int) -> dict[str, object]:
    return {"seed": seed, "pages": pages, "generator": generator_hash()}


def _reusable(dest: Path, stamp: dict[str, object]) -> dict[str, str] | None:
    try:
        rec = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or any(rec.get(k) != v for k, v in stamp.items()):
        return None
    try:
        if gitops.head(dest / "repo") != rec.get("repo_head"):
            return None
        if gitops.head(dest / "wiki") != rec.get("wiki_head"):
            return None
        if gitops.git(dest / "wiki", "status", "--porcelain").strip():
            return None
    except gitops.GitError:
        return None
    if not (dest / "labels.json").is_file():
        return None
    return {"repo_head": str(rec["repo_head"]), "wiki_head": str(rec["wiki_head"])}


def build_corpus(dest: Path, seed: int = 7, pages: int = 160) -> CorpusInfo:
    """Create (or reuse) the corpus under `dest`."""
    started = time.monotonic()
    dest = Path(dest).resolve()
    stamp = _stamp(seed, pages)
    heads = _reusable(dest, stamp)
    if heads is not None:
        return CorpusInfo(
            dest,
            dest / "repo",
            dest / "wiki",
            dest / "labels.json",
            seed,
            pages,
            heads["repo_head"],
            heads["wiki_head"],
            True,
            time.monotonic() - started,
        )
    (dest / MARKER).unlink(missing_ok=True)
    for sub in ("repo", "wiki"):
        if (dest / sub).exists():
            shutil.rmtree(dest / sub)
    (dest / "labels.json").unlink(missing_ok=True)
    dest.mkdir(parents=True, exist_ok=True)

    world = build_repo(dest / "repo")
    out = generate(world, seed, pages)
    fixtures = fixture_pages(world, seed, out)
    out = [*out, *fixtures.pages]
    label_signals(out, world, repo_numstat(dest / "repo"), fixtures)
    build_wiki(dest / "wiki", out)
    labels = {
        "repo": REPO_NAME,
        "seed": seed,
        "generator": stamp["generator"],
        "changes": [
            {"date": ch.date, "kind": ch.kind, "message": ch.message}
            for ch in sorted([*world.changes, *world.churn], key=lambda c: c.date)
        ],
        "pages": {
            p.page_id: {
                "status": p.status,
                "kind": p.kind,
                "format": p.fmt,
                "date": p.day.isoformat(),
                "claims": [c.as_json() for c in p.claims],
                "decoys": p.decoys,
                "signals": sorted(p.signals),
                **({"signals_optional": sorted(p.signals_optional)} if p.signals_optional else {}),
                **(
                    {"superseded_by": p.superseded_by, "superseded_accept": p.superseded_accept}
                    if p.superseded_by or p.superseded_accept
                    else {}
                ),
            }
            for p in sorted(out, key=lambda p: p.page_id)
        },
    }
    (dest / "labels.json").write_text(
        json.dumps(labels, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    repo_head, wiki_head = gitops.head(dest / "repo"), gitops.head(dest / "wiki")
    (dest / MARKER).write_text(
        json.dumps({**stamp, "repo_head": repo_head, "wiki_head": wiki_head}, indent=2) + "\n",
        encoding="utf-8",
    )
    return CorpusInfo(
        dest,
        dest / "repo",
        dest / "wiki",
        dest / "labels.json",
        seed,
        pages,
        repo_head,
        wiki_head,
        False,
        time.monotonic() - started,
    )


def repo_numstat(repo: Path) -> dict[str, list[tuple[date, str, int]]]:
    """path -> (commit date, commit, changed lines) for every commit that touched it."""
    out = gitops.git(
        repo, "log", "--no-merges", "--no-renames", "--format=\x1e%H\x1f%cs", "--numstat"
    )
    files: dict[str, list[tuple[date, str, int]]] = {}
    for record in out.split("\x1e"):
        head, _, body = record.partition("\n")
        parts = head.split("\x1f")
        if len(parts) != 2:
            continue
        sha, day = parts[0], date.fromisoformat(parts[1].strip())
        for line in body.splitlines():
            cols = line.split("\t")
            if len(cols) == 3:
                n = sum(int(x) for x in cols[:2] if x.isdigit())
                files.setdefault(cols[2], []).append((day, sha, n))
    return files


def _write_tree(root: Path, old: dict[str, str], new: dict[str, str]) -> None:
    for path in old.keys() - new.keys():
        p = root / path
        if p.exists():
            p.unlink()
    for path, text in new.items():
        if old.get(path) != text:
            p = root / path
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            if path.endswith(".sh"):
                p.chmod(0o755)


def build_repo(repo: Path) -> World:
    repo.mkdir(parents=True)
    gitops.git(repo, "init", "-q")
    state: State = initial_state()
    files = render(state)
    _write_tree(repo, {}, files)
    name, email = CAST["ana"]
    gitops.commit_all(
        repo, "Initial import of the Northwind monorepo", name, email, f"{INITIAL_DATE}T09:00:00Z"
    )
    timeline: list[tuple[date, State]] = [(date.fromisoformat(INITIAL_DATE), state)]
    chs = changes()
    reworks = churn()
    # timeline[i] is the state before chs[i]: churn commits (no fact changes) are
    # interleaved by date in the repository but get no timeline entry of their own.
    for ch in sorted([*chs, *reworks], key=lambda c: c.date):
        new_state = apply(state, ch)
        new_files = render(new_state)
        for o in ch.ops:
            if o.op == "move":
                src, dst = state.paths[o.target], new_state.paths[o.target]
                (repo / dst).parent.mkdir(parents=True, exist_ok=True)
                gitops.git(repo, "mv", src, dst)
                files = {(dst if k == src else k): v for k, v in files.items()}
        _write_tree(repo, files, new_files)
        name, email = CAST[ch.author]
        gitops.commit_all(repo, ch.message, name, email, f"{ch.date}T10:30:00Z")
        state, files = new_state, new_files
        if ch.kind != "churn":
            timeline.append((date.fromisoformat(ch.date), state))
    return World(timeline, chs, state, set(files), reworks)


def build_wiki(wiki: Path, pages: list[PageOut]) -> None:
    wiki.mkdir(parents=True)
    gitops.git(wiki, "init", "-q")
    people = {k: v for k, v in CAST.items()}
    for page in sorted(pages, key=lambda p: (p.day, p.page_id)):
        text = (
            to_confluence(page.doc, page.day)
            if page.fmt == "html"
            else to_markdown(page.doc, page.day)
        )
        path = wiki / page.page_id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        who = page.doc.owner.split(".")[0]
        name, email = people.get(who, CAST["ana"])
        gitops.git(wiki, "add", page.page_id)
        gitops.git(
            wiki,
            "commit",
            "-q",
            "--no-verify",
            "-m",
            f"Update {page.doc.title}",
            name=name,
            email=email,
            date=f"{page.day.isoformat()}T12:00:00Z",
        )
