"""The generated quality corpus is deterministic, covers every change kind and
status, and the benchmark's metric functions compute the right numbers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

# bench/ is importable through pytest's `pythonpath = ["."]` (pyproject.toml)
from bench.corpus import CorpusInfo, build_corpus
from bench.corpus.signals import DRIFT_MIN_COMMITS, DRIFT_MIN_LINES
from bench.quality import (
    Extracted,
    Prediction,
    PredSignal,
    accuracy,
    confusion,
    evaluate,
    prf,
    score_claims,
    score_signals,
    subjects_match,
)

PAGES = 40
# superseded pairs, drift pages, duplicate groups; negatives: stale copies, twins
FIXTURES = 4 * 2 + 2 * 2 + 6 + 2 + 3 + 2 + 3 * 2


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusInfo:
    return build_corpus(tmp_path_factory.mktemp("bench") / "c", seed=7, pages=PAGES)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def test_build_is_deterministic_and_cached(corpus: CorpusInfo, tmp_path: Path) -> None:
    again = build_corpus(tmp_path / "other", seed=7, pages=PAGES)
    assert again.repo_head == corpus.repo_head
    assert again.wiki_head == corpus.wiki_head
    assert again.labels.read_bytes() == corpus.labels.read_bytes()
    reused = build_corpus(tmp_path / "other", seed=7, pages=PAGES)
    assert reused.reused and reused.repo_head == corpus.repo_head
    different = json.loads(build_corpus(tmp_path / "s8", seed=8, pages=PAGES).labels.read_text())
    assert different["pages"] != json.loads(corpus.labels.read_text())["pages"]


def test_history_has_every_change_kind(corpus: CorpusInfo) -> None:
    labels = json.loads(corpus.labels.read_text())
    kinds = {c["kind"] for c in labels["changes"]}
    assert kinds >= {
        "renamed-flag",
        "renamed-env",
        "renamed-config",
        "changed-default",
        "changed-port",
        "deleted-script",
        "moved-file",
        "endpoint-v2",
        "runtime-bump",
        "db-image-bump",
        "make-target-removed",
        "renamed-symbol",
        "replaced-deploy",
    }
    status = _git(corpus.repo, "log", "-M", "--name-status", "--format=%s")
    assert "D\tscripts/seed_demo.sh" in status
    plain = _git(corpus.repo, "log", "--no-renames", "--name-status", "--format=%s")
    assert "D\tscripts/deploy.sh" in plain and "A\tscripts/release.sh" in plain
    assert any(
        line.startswith("R") and line.endswith("\tscripts/rotate_keys.sh\ttools/rotate_keys.sh")
        for line in status.splitlines()
    )
    flag_patch = _git(
        corpus.repo, "log", "-p", "--format=%s", "--", "services/dispatch/dispatch/cli.py"
    )
    assert '-    parser.add_argument("--max-retries"' in flag_patch
    assert '+    parser.add_argument("--retries"' in flag_patch
    assert "FROM postgres" not in flag_patch
    compose = _git(corpus.repo, "log", "-p", "--format=%s", "--", "docker-compose.yml")
    assert "-    image: postgres:13" in compose and "+    image: postgres:16" in compose
    dates = _git(corpus.repo, "log", "--format=%cs").split()
    assert dates[-1] == "2021-11-15" and dates[0].startswith("2025")


def test_labels_cover_every_page(corpus: CorpusInfo) -> None:
    labels = json.loads(corpus.labels.read_text())["pages"]
    files = {
        p.relative_to(corpus.wiki).as_posix()
        for p in corpus.wiki.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }
    assert files == set(labels)
    assert len(files) == PAGES + FIXTURES
    assert {lab["status"] for lab in labels.values()} == {"current", "stale", "suspect", "unknown"}
    assert any(f.endswith(".md") for f in files) and any(f.endswith(".html") for f in files)
    for pid, lab in labels.items():
        stale = [c for c in lab["claims"] if c["label"] == "stale" and not c.get("historical")]
        assert (lab["status"] == "stale") == bool(stale), pid
        if lab["status"] == "unknown":
            assert not lab["claims"]
    html = next(p for p in files if p.endswith(".html"))
    text = (corpus.wiki / html).read_text()
    assert text.startswith("<h1>") and "Last updated: " in text
    md = next(p for p in files if p.endswith(".md"))
    assert (corpus.wiki / md).read_text().startswith("---\ntitle: ")
    wiki_years = set(_git(corpus.wiki, "log", "--format=%cs").split())
    assert {d[:4] for d in wiki_years} >= {"2022", "2025"}


def test_page_metrics_on_a_hand_made_example() -> None:
    pairs = [
        ("stale", "stale"),
        ("stale", "stale"),
        ("stale", "current"),
        ("current", "stale"),
        ("current", "current"),
        ("suspect", "suspect"),
        ("unknown", "current"),
    ]
    m = prf(pairs)
    assert (m.tp, m.fp, m.fn) == (2, 1, 1)
    assert m.precision == pytest.approx(2 / 3) and m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    both = prf(pairs, positive=("stale", "suspect"))
    assert (both.tp, both.fp, both.fn) == (3, 1, 1)
    assert accuracy(pairs) == pytest.approx(4 / 7)
    c = confusion(pairs)
    assert c["stale"] == {"current": 1, "suspect": 0, "stale": 2, "unknown": 0}
    assert c["unknown"]["current"] == 1 and c["suspect"]["suspect"] == 1
    assert sum(sum(row.values()) for row in c.values()) == len(pairs)
    assert prf([]).precision == 1.0 and prf([("current", "current")]).f1 == 1.0


def test_claim_metrics_on_a_hand_made_example() -> None:
    labelled = {
        "a.md": [
            {"kind": "flag", "subject": "--region", "value": None, "label": "stale"},
            {"kind": "env", "subject": "X_URL", "value": None, "label": "ok"},
            {"kind": "version", "subject": "python", "value": "3.9", "label": "stale"},
            {
                "kind": "flag",
                "subject": "--old",
                "value": None,
                "label": "stale",
                "historical": True,
            },
        ],
        "b.md": [{"kind": "endpoint", "subject": "GET /v1/x/{}", "value": None, "label": "stale"}],
    }
    extracted = {
        "a.md": [
            Extracted("flag", "--region", None, False, "missing"),
            Extracted("env", "X_URL", None, False, "contradicted"),
            Extracted("version", "python", "3.9", False, "confirmed"),
            Extracted("flag", "--old", None, True, "missing"),
        ],
        "b.md": [Extracted("endpoint", "/v1/x/{}", None, False, "missing")],
    }
    by_kind, per_page = score_claims(labelled, extracted)
    assert (by_kind["flag"].tp, by_kind["flag"].fp, by_kind["flag"].fn) == (1, 0, 0)
    assert (by_kind["env"].tp, by_kind["env"].fp) == (0, 1)
    assert (by_kind["version"].fn, by_kind["version"].extracted) == (1, 1)
    assert by_kind["endpoint"].tp == 1
    assert [e.subject for e, _ in per_page["a.md"].fp] == ["X_URL"]
    assert subjects_match("config", "database.pool_size", "pool_size")
    assert not subjects_match("config", "database.pool_size", "pool")

    labels = {
        "a.md": {"status": "stale", "format": "md", "claims": labelled["a.md"]},
        "b.md": {"status": "current", "format": "html", "claims": []},
    }
    preds = {"a.md": Prediction("stale", True, (), tuple(extracted["a.md"]))}
    res = evaluate(labels, preds)
    assert res["all"]["a_suspect_as_current"]["tp"] == 1
    assert res["all"]["confusion"]["current"]["unknown"] == 1  # not scanned -> unknown
    assert res["targets"]["pass"] is True


def test_signal_labels_are_consistent(corpus: CorpusInfo) -> None:
    from stale.config import SemanticConfig

    defaults = SemanticConfig()
    assert defaults.drift_min_commits == DRIFT_MIN_COMMITS
    assert defaults.drift_min_lines == DRIFT_MIN_LINES
    labels = json.loads(corpus.labels.read_text())["pages"]
    old = {p: lab for p, lab in labels.items() if lab["kind"].startswith("superseded/old")}
    assert len(old) == 6
    assert sum(lab["kind"] == "superseded/old-replaced" for lab in old.values()) == 2
    for pid, lab in labels.items():
        if "superseded" not in lab["signals"]:
            assert "superseded_by" not in lab or lab["superseded_by"] is None, pid
            continue
        newer = lab["superseded_by"]
        assert newer in labels and newer != pid
        assert labels[newer]["date"] > lab["date"], pid
        assert lab["superseded_by"] in lab["superseded_accept"]
        assert lab["status"] in ("stale", "suspect"), pid
    for pid, lab in old.items():
        assert "superseded" in lab["signals"], pid
        assert labels[lab["superseded_by"]]["kind"].startswith("superseded/new")
        want = "stale" if lab["kind"] == "superseded/old" else "suspect"
        assert lab["status"] == want, pid
    drift = {p: lab for p, lab in labels.items() if lab["kind"] == "drift"}
    assert len(drift) == 6
    for pid, lab in drift.items():
        assert lab["signals"] == ["drift"] and lab["status"] == "suspect", pid
        assert all(c["label"] == "ok" for c in lab["claims"]), pid
        paths = [c["subject"] for c in lab["claims"] if c["kind"] == "path"]
        assert paths, pid
        log = _git(
            corpus.repo,
            "log",
            f"--since={lab['date']}T00:00:00Z",
            "--format=%x1e%H",
            "--numstat",
            "--",
            *paths,
        )
        commits = [r for r in log.split("\x1e") if r.strip()]
        lines = sum(
            int(a) + int(b)
            for r in commits
            for a, b, _ in (ln.split("\t") for ln in r.splitlines()[1:] if ln.count("\t") == 2)
        )
        assert len(commits) >= DRIFT_MIN_COMMITS and lines >= DRIFT_MIN_LINES, pid
    # harder negatives: stale copies are newer than their pair and supersede nothing;
    # twins (one Markdown, one HTML page from one template) are no duplicates
    copies = [p for p, lab in labels.items() if lab["kind"] == "negative/stale-copy"]
    assert len(copies) == 2
    for pid in copies:
        assert labels[pid]["status"] == "stale"
        assert all(lab.get("superseded_by") != pid for lab in labels.values())
    twins = sorted(p for p, lab in labels.items() if lab["kind"] == "negative/twin")
    assert len(twins) == 6 and {p.rsplit(".", 1)[1] for p in twins} == {"md", "html"}
    assert all("duplicate" not in labels[p]["signals"] for p in twins)
    dups = [p for p, lab in labels.items() if lab["kind"] == "duplicate"]
    assert len(dups) == 5
    assert all("duplicate" in labels[p]["signals"] for p in dups)
    assert all("drift" not in lab["signals"] for lab in labels.values() if lab["kind"] != "drift")


def test_signal_metrics_on_a_hand_made_example() -> None:
    labels = {
        "old.md": {
            "signals": ["superseded"],
            "superseded_by": "new.md",
            "superseded_accept": ["new.md", "newer.md"],
        },
        "old2.md": {"signals": ["superseded"], "superseded_by": "new.md"},
        "old3.md": {"signals": ["superseded", "drift"], "superseded_by": "new.md"},
        "new.md": {"signals": []},
        "side.md": {"signals": [], "signals_optional": ["superseded"]},
        "drifted.md": {"signals": ["drift"]},
        "a.md": {"signals": ["duplicate"]},
        "b.md": {"signals": ["duplicate"]},
    }
    sup = PredSignal("superseded", "superseded by wiki:newer.md", ("wiki:newer.md",), "newer.md")
    wrong = PredSignal("superseded", "superseded by wiki:x.md", ("wiki:x.md",), "x.md")
    drift = PredSignal("drift", "code drift: 9 commits", ("northwind:f.py abc 2025-01-01",))
    dup = PredSignal("duplicate", "near-duplicate of wiki:b.md", ("wiki:b.md",))
    marked = {
        "old.md": [sup],  # right: newer.md is acceptable
        "old2.md": [wrong],  # marked, names the wrong page
        "new.md": [drift],  # false alarm
        "side.md": [sup],  # optional: neither way
        "drifted.md": [drift],
        "a.md": [dup],
        "unlabelled.md": [dup],  # false alarm on a page without a label
    }
    s = score_signals(labels, marked)
    assert (s["superseded"].tp, s["superseded"].fp, s["superseded"].fn) == (2, 0, 1)
    assert s["superseded"].optional == 1 and s["superseded"].named_right == 1
    assert s["superseded"].named_wrong == [("old2.md", "new.md", "x.md")]
    assert s["superseded"].misses == ["old3.md"]
    assert (s["drift"].tp, s["drift"].fp, s["drift"].fn) == (1, 1, 1)
    assert s["drift"].prf().precision == pytest.approx(0.5)
    assert [p for p, _ in s["drift"].false_alarms] == ["new.md"]
    assert (s["duplicate"].tp, s["duplicate"].fp, s["duplicate"].fn) == (1, 1, 1)
    assert s["duplicate"].prf().recall == pytest.approx(0.5)
