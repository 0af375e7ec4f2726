"""stale/semantic: the built-in embedder, indexes, the cache, and the three signals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from stale.config import (
    Config,
    ConfigError,
    RepoConfig,
    SemanticConfig,
    SourceConfig,
    parse_config,
)
from stale.model import Status
from stale.scan import run_scan
from stale.semantic.hashing import HashingEmbedder
from stale.semantic.index import VectorIndex, chunk_file, index_paths, stable_id
from stale.semantic.signals import replacement_statements
from stale.store import Store
from tests.conftest import DEPLOY_V1, git

# -- the built-in embedder ---------------------------------------------------------------


def test_hashing_embedder_is_normalised_deterministic_and_honest() -> None:
    texts = [
        "Rotate the billing database password with scripts/rotate_db_password.sh",
        "How do I rotate the billing db password?",
        "Team rituals: we meet on Mondays and eat cake.",
        "",
    ]
    a = HashingEmbedder().encode(texts)
    b = HashingEmbedder().encode(texts)
    assert a.dtype == np.float32 and a.shape == (4, 512)
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a[:3], axis=1), 1.0, atol=1e-5)
    assert not a[3].any()  # nothing to embed: a zero row, never NaN
    sims = a @ a.T
    assert sims[0, 1] > sims[0, 2] + 0.2 and sims[1, 0] > sims[1, 2]
    emb = HashingEmbedder()
    assert emb.name == "hashing-ngrams-512" and emb.dim == 512
    emb.fit_idf(texts[:3])
    assert emb.name.startswith("hashing-ngrams-512+idf-")
    v = emb.encode(texts[:2])
    assert float(v[0] @ v[1]) > 0.2


def test_hashing_idf_round_trips_with_the_same_name(tmp_path: Path) -> None:
    emb = HashingEmbedder()
    emb.fit_idf(["deploy the api", "rotate keys", "deploy the admin ui"])
    emb.save_idf(tmp_path / "idf.npy")
    again = HashingEmbedder.load(tmp_path / "idf.npy")
    assert again.name == emb.name
    assert np.array_equal(again.encode(["deploy keys"]), emb.encode(["deploy keys"]))


# -- index and chunks ---------------------------------------------------------------------


def _unit(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_vector_index_adds_removes_persists_and_goes_approximate(tmp_path: Path) -> None:
    vecs = _unit(200, 32, 1)
    keys = [f"k{i}" for i in range(200)]
    table = dict(zip(keys, vecs, strict=True))
    path = tmp_path / "x.faiss"
    idx = VectorIndex.open(path, "emb", 32, approximate_above=1000)
    wanted = {stable_id(k): [k, "wiki", k] for k in keys[:100]}
    idx.sync(wanted, lambda ks: {k: table[k] for k in ks})
    assert len(idx) == 100 and idx.kind == "flat"
    top = idx.search(vecs[:1], 3)[0]
    assert top[0][0] == stable_id("k0") and top[0][1] == pytest.approx(1.0, abs=1e-5)
    idx.save()
    again = VectorIndex.open(path, "emb", 32, approximate_above=1000)
    assert len(again) == 100 and again.entries == idx.entries
    # one removed, one changed, one added: only those touched
    wanted.pop(stable_id("k1"))
    wanted[stable_id("k2")] = ["k150", "wiki", "k2"]
    wanted[stable_id("k100")] = ["k100", "wiki", "k100"]
    asked: list[str] = []

    def vectors(ks: list[str]) -> dict[str, np.ndarray]:
        asked.extend(ks)
        return {k: table[k] for k in ks}

    added, removed = again.sync(wanted, vectors)
    assert sorted(asked) == ["k100", "k150"] and (added, removed) == (2, 2)
    assert len(again) == 100
    # another embedder's index is not reused
    assert len(VectorIndex.open(path, "other", 32)) == 0
    # beyond approximate_above: IVF, with good recall against exact search
    ivf = VectorIndex(tmp_path / "ivf.faiss", "emb", 32, approximate_above=50)
    ivf.sync({stable_id(k): [k] for k in keys}, lambda ks: {k: table[k] for k in ks})
    assert ivf.kind == "ivf"
    hits = ivf.search(vecs[:20], 10)
    exact = np.argsort(-(vecs[:20] @ vecs.T), axis=1)[:, :10]
    ids = [stable_id(k) for k in keys]
    recall = np.mean(
        [
            len({i for i, _ in h} & {ids[j] for j in e}) / 10
            for h, e in zip(hits, exact, strict=True)
        ]
    )
    assert recall >= 0.6
    ivf.save()
    assert len(VectorIndex.open(tmp_path / "ivf.faiss", "emb", 32, approximate_above=50)) == 200


def test_chunking_rules() -> None:
    py = "import os\n\nX = 1\n\n@dec\ndef load(a):\n    return a\n\n\nclass Billing:\n    pass\n"
    names = [(c.name, c.start, c.end) for c in chunk_file("r", "app.py", py)]
    assert ("load", 5, 7) in names and ("Billing", 10, 11) in names
    assert any(n == "<module>" for n, _, _ in names)
    yml = "database:\n  pool_size: 50\nserver:\n  port: 8080\n"
    assert [c.name for c in chunk_file("r", "c.yaml", yml)] == ["database", "server"]
    md = "# Title\nintro\n## Setup\nrun it\n"
    assert [c.name for c in chunk_file("r", "README.md", md)] == ["Title", "Setup"]
    sh = "\n".join(f"echo {i}" for i in range(400))
    assert len(chunk_file("r", "run.sh", sh)) == 5


# -- config -------------------------------------------------------------------------------


def test_semantic_config_is_validated(tmp_path: Path) -> None:
    cfg = parse_config({"semantic": {"embedder": "./models/x", "drift_min_commits": 3}}, tmp_path)
    assert cfg.semantic.embedder == str(tmp_path / "models" / "x")
    assert cfg.semantic.drift_min_commits == 3
    with pytest.raises(ConfigError, match=r"^semantic\.treshold: unknown key"):
        parse_config({"semantic": {"treshold": 0.5}}, tmp_path)
    with pytest.raises(ConfigError, match=r"semantic\.superseded_similarity: must be between"):
        parse_config({"semantic": {"superseded_similarity": 2}}, tmp_path)
    with pytest.raises(ConfigError, match=r"semantic\.enabled: expected true or false"):
        parse_config({"semantic": {"enabled": "yes"}}, tmp_path)


def test_every_semantic_setting_is_documented() -> None:
    root = Path(__file__).resolve().parent.parent
    conf = (root / "docs" / "configuration.md").read_text()
    example = (root / "config.example.toml").read_text()
    for key in vars(SemanticConfig()):
        assert f"`{key}`" in conf, key
        assert key in example, key


# -- the scan: cache, superseded, drift, duplicates ------------------------------------------


def _cfg(store: Path, wiki: Path, repo: Path, **semantic: object) -> Config:
    return Config(
        store=store,
        repos=(RepoConfig("billing", repo),),
        sources=(SourceConfig("wiki", "markdown", {"path": str(wiki)}),),
        semantic=replace(SemanticConfig(), **semantic),  # type: ignore[arg-type]
    )


def _scan(cfg: Config, *, full: bool = False) -> tuple[Store, dict]:
    store = Store.open(cfg.store)
    result = run_scan(cfg, store, full=full)
    assert result.errors == []
    return store, result.as_dict()


def _signals(store: Store, page: str, kind: str) -> list:
    v = store.verdict("wiki", page)
    assert v is not None
    return [s for s in v.signals if s.kind == kind]


def test_rescan_embeds_exactly_the_changed_page(world: dict[str, Path | str]) -> None:
    cfg = _cfg(Path(world["store"]), Path(world["wiki"]), Path(world["repo"]))
    store, first = _scan(cfg)
    sem = first["semantic"]
    assert first["embedder"].startswith("hashing-ngrams-512")
    assert sem["embedded_pages"] == 3 and sem["indexed_pages"] == 3 and sem["embedded_chunks"] > 0
    name = first["embedder"]
    before = {
        r[0]
        for r in store.conn.execute(
            "SELECT content_hash FROM embeddings WHERE embedder = ?", (name,)
        )
    }
    store.close()
    (Path(world["wiki"]) / "team.md").write_text("# Team rituals\n\nWe meet on Tuesdays now.\n")
    store, second = _scan(cfg)
    assert second["embedder"] == name
    assert second["semantic"]["embedded_pages"] == 1
    assert second["semantic"]["embedded_chunks"] == 0
    after = {
        r[0]
        for r in store.conn.execute(
            "SELECT content_hash FROM embeddings WHERE embedder = ?", (name,)
        )
    }
    assert len(after - before) == 1 and len(before - after) == 1  # the old vector was pruned
    store.close()
    store, third = _scan(cfg)
    assert third["semantic"]["embedded_pages"] == 0 and third["semantic"]["evaluated"] == 0
    pages, meta = index_paths(Path(world["store"]), "pages")
    assert pages.exists() and meta.exists()
    store.close()


def test_semantic_off_writes_no_index(world: dict[str, Path | str]) -> None:
    cfg = _cfg(Path(world["store"]), Path(world["wiki"]), Path(world["repo"]), enabled=False)
    store, res = _scan(cfg)
    assert res["embedder"] == "" and store.embedding_count() == 0
    assert not index_paths(Path(world["store"]), "pages")[0].exists()
    store.close()


def _wiki(tmp: Path, pages: dict[str, tuple[str, str]]) -> Path:
    """A wiki folder in git: page -> (text, commit date), committed in date order."""
    wiki = tmp / "wiki"
    wiki.mkdir(parents=True)
    git(wiki, "init", "-q", "-b", "main")
    for name, (text, date) in sorted(pages.items(), key=lambda kv: kv[1][1]):
        (wiki / name).write_text(text)
        git(wiki, "add", name)
        git(wiki, "commit", "-q", "-m", name, date=date)
    return wiki


DEPLOY_OLD = """# Deploying the billing service

How to deploy the billing service to production. Run the deploy script from a clean
checkout of main and watch the rollout dashboard until the new pods are healthy.

```bash
./scripts/deploy.sh --region eu-west-1
```

Deploys of the billing service take about ten minutes. Ask in #billing-deploys when
the deploy script fails.
"""

DEPLOY_NEW = """# Deploying the billing service (2025)

How to deploy the billing service to production. Run the deploy script from a clean
checkout of main and watch the rollout dashboard until the new pods are healthy.

```bash
./scripts/deploy.sh --zone eu-west-1 --dry-run
```

Deploys of the billing service take about ten minutes. Ask in #billing-deploys when
the deploy script fails.
"""


def test_superseded_by_a_newer_page_with_conflicting_claims(world: dict[str, Path | str]) -> None:
    tmp = Path(world["tmp"])
    wiki = _wiki(
        tmp / "w",
        {
            "deploy-old.md": (DEPLOY_OLD, "2024-02-01T00:00:00+00:00"),
            "deploy-2025.md": (DEPLOY_NEW, "2025-04-01T00:00:00+00:00"),
        },
    )
    store, res = _scan(_cfg(tmp / "s2.db", wiki, Path(world["repo"])))
    (sig,) = _signals(store, "deploy-old.md", "superseded")
    assert "wiki:deploy-2025.md" in sig.message and "--zone" in sig.message
    assert sig.evidence[0].path == "deploy-2025.md" and sig.weight == 0.4
    v = store.verdict("wiki", "deploy-old.md")
    assert v is not None and v.status is Status.STALE  # the missing flag makes it stale anyway
    assert _signals(store, "deploy-2025.md", "superseded") == []
    assert res["semantic"]["signals"]["superseded"] == 1
    store.close()


JENKINS = """# How billing deploys work

Billing deploys run on Jenkins: the billing-deploy job calls `scripts/deploy.sh`
with `--dry-run` first, then for real. The deploy job of the billing service is
owned by the platform team; deploy questions go to #billing-deploys.
"""

ARGO = """# How billing deploys work now

We moved deploys to ArgoCD. The billing service deploy is a sync of the billing
application; deploy questions go to #billing-deploys, and the platform team owns
the deploy pipeline of the billing service.
"""


def test_superseded_by_a_page_that_states_the_replacement(world: dict[str, Path | str]) -> None:
    assert replacement_statements("Intro. We moved deploys to ArgoCD. More.")[0][:2] == (
        "deploys",
        "ArgoCD",
    )
    assert replacement_statements("`--region` was replaced by `--zone` in 2024.")[0][:2] == (
        "--region",
        "--zone",
    )
    assert replacement_statements("Use `make run` instead of `make dev`.")[0][:2] == (
        "make dev",
        "make run",
    )
    tmp = Path(world["tmp"])
    wiki = _wiki(
        tmp / "w",
        {
            "jenkins.md": (JENKINS, "2023-05-01T00:00:00+00:00"),
            "argo.md": (ARGO, "2025-05-01T00:00:00+00:00"),
        },
    )
    store, _ = _scan(_cfg(tmp / "s3.db", wiki, Path(world["repo"])))
    (sig,) = _signals(store, "jenkins.md", "superseded")
    assert "wiki:argo.md" in sig.message and "We moved deploys to ArgoCD" in sig.message
    v = store.verdict("wiki", "jenkins.md")
    assert v is not None and v.status is Status.SUSPECT  # alone: suspect, never stale
    store.close()


def test_drift_lists_the_commits_since_the_last_edit(world: dict[str, Path | str]) -> None:
    tmp = Path(world["tmp"])
    repo = tmp / "drifty"
    (repo / "billing").mkdir(parents=True)
    (repo / "billing" / "ledger.py").write_text("def post(entry):\n    return entry\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "ledger", date="2023-01-01T00:00:00+00:00")
    page = "# Ledger\n\nEntries are written by `billing/ledger.py`.\n"
    wiki = _wiki(tmp / "w", {"ledger.md": (page, "2023-06-01T00:00:00+00:00")})
    for i in range(6):
        body = "def post(entry):\n" + "".join(f"    x{j} = {i}\n" for j in range(10))
        (repo / "billing" / "ledger.py").write_text(body + "    return entry\n")
        git(
            repo,
            "commit",
            "-q",
            "-am",
            f"ledger change {i}",
            date=f"2024-0{i + 1}-01T00:00:00+00:00",
        )
    cfg = _cfg(tmp / "s4.db", wiki, repo, drift_min_commits=5, drift_min_lines=40)
    store, _ = _scan(cfg)
    (sig,) = _signals(store, "ledger.md", "drift")
    assert "6 commits" in sig.message and "billing/ledger.py" in sig.message
    assert len(sig.evidence) == 5 and all(e.commit for e in sig.evidence)
    assert sig.evidence[0].text == "ledger change 5"
    v = store.verdict("wiki", "ledger.md")
    assert v is not None and v.status is Status.SUSPECT
    store.close()
    # below the thresholds: no signal, the page is current again
    store = Store.open(cfg.store)
    run_scan(replace(cfg, semantic=replace(cfg.semantic, drift_min_commits=7)), store)
    assert _signals(store, "ledger.md", "drift") == []
    v = store.verdict("wiki", "ledger.md")
    assert v is not None and v.status is Status.CURRENT
    store.close()


def test_duplicates_are_grouped_without_changing_the_verdict(
    world: dict[str, Path | str],
) -> None:
    wiki = Path(world["wiki"])
    (wiki / "new-copy.md").write_text((wiki / "new.md").read_text())
    store, _ = _scan(_cfg(Path(world["store"]), wiki, Path(world["repo"])))
    (sig,) = _signals(store, "new.md", "duplicate")
    assert sig.weight == 0 and "wiki:new-copy.md" in sig.message
    assert "wiki:new.md" in _signals(store, "new-copy.md", "duplicate")[0].message
    for p in ("new.md", "new-copy.md"):
        v = store.verdict("wiki", p)
        assert v is not None and v.status is Status.CURRENT
        assert not any("duplicate" in r for r in v.reasons)
    store.close()


def test_repo_helper_is_the_shared_one() -> None:
    assert "--region" in DEPLOY_V1  # the fixtures above rely on conftest's deploy script


def test_replacement_statements_are_read_from_html_text_not_markup() -> None:
    from stale.model import Page
    from stale.semantic.scanpass import page_body_text
    from stale.semantic.signals import replacement_statements

    page = Page(
        source="w",
        page_id="x.html",
        url="",
        title="t",
        content_type="html",
        body="<p>We moved the tracker paging rota to <code>Opsgenie</code> in 2024.</p>",
    )
    assert replacement_statements(page.body) == []  # the markup hides it
    ((old, new, _),) = replacement_statements(page_body_text(page))
    assert (old, new) == ("tracker paging rota", "Opsgenie")


def test_successor_suggestions_of_every_verifier_are_followed() -> None:
    from stale.semantic.signals import _successors

    assert _successors("renamed to `--zone`") == ["--zone"]
    assert _successors("moved to GET /v2/invoices/{}") == ["GET /v2/invoices/{}", "/v2/invoices/{}"]
    assert _successors("moved to scripts/rotate_keys.py") == ["scripts/rotate_keys.py"]
    assert _successors("50") == []


# -- visible text, shingles, duplicate groups ------------------------------------------------

MD_PAGE = """# Cache settings

The quote cache keeps prices for **five minutes**; see [the runbook](runbook.md).

| Setting | Default |
|---|---|
| `quotes.ttlSeconds` | `300` |

```yaml
quotes:
  ttlSeconds: 300
```
"""

HTML_PAGE = """<h1>Cache settings</h1>
<p><em>Owner: ana.team | Labels: portal</em></p>
<p>Last updated: 12 March 2025</p>
<p>The quote cache keeps prices for <strong>five minutes</strong>; see
<a href="runbook.html">the runbook</a>.</p>
<table><tbody><tr><th>Setting</th><th>Default</th></tr>
<tr><td><code>quotes.ttlSeconds</code></td><td><code>300</code></td></tr></tbody></table>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">yaml</ac:parameter>
<ac:plain-text-body><![CDATA[quotes:
  ttlSeconds: 300]]></ac:plain-text-body></ac:structured-macro>
"""


def test_markdown_and_html_of_one_text_read_the_same() -> None:
    from stale.semantic.dedup import content_words, visible_text

    md, html = visible_text(MD_PAGE, "markdown"), visible_text(HTML_PAGE, "html")
    assert "**" not in md and "`" not in md and "|" not in md and "runbook.md" not in md
    assert "ac:parameter" not in html and "yaml" not in html.split()  # a macro parameter
    assert "  ttlSeconds: 300" in html and "  ttlSeconds: 300" in md  # code keeps its indent
    assert content_words(md) == content_words(html)  # metadata lines left out
    assert visible_text("<p>a <code>&lt;token&gt;</code></p><![CDATA[x < y]]>", "html") == (
        "a <token>\nx < y"
    )


def test_sketches_estimate_jaccard_exactly_for_short_pages_and_closely_for_long() -> None:
    import random

    from stale.semantic.dedup import SKETCH_SIZE, shingles, sketch, sketch_jaccard

    a = shingles("one two three four five six seven eight")
    b = shingles("one two three four five six seven nine")
    exact = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    assert sketch_jaccard(sketch(a), sketch(b)) == pytest.approx(exact) == 5 / 7
    rng = random.Random(3)
    words = [f"w{rng.randrange(5000)}" for _ in range(3000)]
    other = list(words)
    for i in rng.sample(range(len(other)), 150):
        other[i] = f"x{i}"
    sa, sb = shingles(" ".join(words)), shingles(" ".join(other))
    assert len(sketch(sa)) == SKETCH_SIZE
    true = len(np.intersect1d(sa, sb)) / len(np.union1d(sa, sb))
    assert sketch_jaccard(sketch(sa), sketch(sb)) == pytest.approx(true, abs=0.08)


def test_duplicate_groups_are_transitive_and_skip_stubs() -> None:
    from stale.semantic.dedup import duplicate_groups, text_sketch

    base = " ".join(f"word{i}" for i in range(60))
    sk = {
        1: text_sketch(base),
        2: text_sketch(base + " one more line at the end"),
        3: text_sketch(base + " one more line at the end and then two more lines here"),
        4: text_sketch(" ".join(f"other{i}" for i in range(60))),
        5: text_sketch("TODO"),
        6: text_sketch("TODO"),
    }
    groups, edges = duplicate_groups(sk, 0.85, [(5, 6, 1.0)])
    assert (1, 3) not in edges  # 1 and 3 are further apart, but grouped through 2
    assert groups[1] == [2, 3] and groups[3] == [1, 2]
    assert 4 not in groups
    assert 5 not in groups and 6 not in groups  # a stub is no copy, whatever the cosine
    groups, edges = duplicate_groups(sk, 0.85, [(4, 1, 0.96)])
    assert groups[4] == [1, 2, 3] and edges[(1, 4)] == 0.96  # the embedder's edge joins
    assert duplicate_groups(sk, 0.0)[0] == {}  # off


def test_duplicates_across_formats_in_a_scan(world: dict[str, Path | str]) -> None:
    tmp = Path(world["tmp"])
    wiki = _wiki(
        tmp / "w",
        {
            "cache.md": (MD_PAGE, "2024-02-01T00:00:00+00:00"),
            "cache.html": (HTML_PAGE, "2025-03-12T00:00:00+00:00"),
            "other.md": (DEPLOY_OLD, "2024-03-01T00:00:00+00:00"),
        },
    )
    store, _ = _scan(_cfg(tmp / "dup.db", wiki, Path(world["repo"]), duplicate_similarity=1.0))
    (sig,) = _signals(store, "cache.md", "duplicate")
    assert "wiki:cache.html (text 1.00)" in sig.message and sig.weight == 0
    assert _signals(store, "other.md", "duplicate") == []
    sketches = store.conn.execute(
        "SELECT count(*) FROM embeddings WHERE embedder LIKE 'shingles-%'"
    ).fetchone()[0]
    assert sketches == 3
    store.close()


# -- superseded: how claims of two pages meet ------------------------------------------------


def _finding(
    kind: str,
    subject: str,
    outcome: str,
    value: str | None = None,
    *,
    suggestion: str | None = None,
    historical: bool = False,
    text: str = "",
) -> object:
    from stale.model import Claim, ClaimKind, Finding, Outcome, Span

    claim = Claim(
        source="w",
        page_id="p",
        kind=ClaimKind(kind),
        subject=subject,
        value=value,
        span=Span(1, 1),
        historical=historical,
        text=text,
    )
    return Finding(claim=claim, outcome=Outcome(outcome), suggestion=suggestion)


def _facts(page_id: str, year: int, *findings: object) -> object:
    from datetime import UTC, datetime

    from stale.semantic.signals import PageFacts

    return PageFacts("w", page_id, page_id, datetime(year, 1, 1, tzinfo=UTC), findings)  # type: ignore[arg-type]


def test_conflicts_match_leaf_keys_versions_and_renames() -> None:
    from stale.semantic.signals import claim_conflicts

    older = _facts(
        "old",
        2023,
        _finding("config", "database.pool_size", "contradicted", "10"),
        _finding("config", "autoscaling.max", "missing", "6"),
        _finding("endpoint", "GET /v1/shipments/{}/track", "missing"),
        _finding(
            "config", "quotes.cacheTtl", "missing", "300", suggestion="renamed to `ttlSeconds`"
        ),
        _finding("config", "resources.limits.memory", "contradicted", "512Mi"),
    )
    newer = _facts(
        "new",
        2025,
        _finding("config", "pool_size", "confirmed", "20"),
        _finding("config", "autoscaling.maxReplicas", "confirmed", "6"),
        _finding("endpoint", "/v2/shipments/{}/track", "unverifiable"),
        _finding("config", "quotes.ttlSeconds", "confirmed", "300"),
        # told as history only: "used to default to 512Mi" states nothing about now
        _finding(
            "config",
            "resources.limits.memory",
            "unverifiable",
            historical=True,
            text="`resources.limits.memory` used to default to `512Mi`.",
        ),
    )
    got = claim_conflicts(older, newer)  # type: ignore[arg-type]
    assert got == [
        "config `database.pool_size` is contradicted here and confirmed on the newer page",
        "config `autoscaling.max` is missing here; the newer page has "
        "`autoscaling.maxReplicas` with the same value",
        "endpoint `GET /v1/shipments/{}/track` is missing here; the newer page has "
        "`/v2/shipments/{}/track`",
        "config `quotes.cacheTtl` is missing here; the newer page uses `quotes.ttlSeconds`",
    ]


def test_conflicts_hold_back_where_the_match_is_not_clear() -> None:
    from stale.semantic.signals import claim_conflicts

    older = _facts(
        "old",
        2023,
        _finding("config", "database.pool_size", "contradicted", "10"),
        _finding("config", "redis.pool_size", "confirmed", "5"),  # leaf `pool_size` is ambiguous
        _finding("config", "autoscaling.minReplicas", "missing", "2"),
        _finding("config", "http.retries", "missing", "3"),
        _finding("endpoint", "GET /v1/orders", "missing"),
        _finding("endpoint", "/v2/orders", "unverifiable"),  # it mentions the new one itself
    )
    newer = _facts(
        "new",
        2025,
        _finding("config", "pool_size", "confirmed", "20"),
        _finding("config", "autoscaling.maxReplicas", "confirmed", "2"),  # min vs max
        _finding("config", "http.retryCount", "confirmed", "5"),  # another value
        _finding("endpoint", "/v2/orders", "unverifiable"),
    )
    assert claim_conflicts(older, newer) == []  # type: ignore[arg-type]


def test_shared_claims_make_up_for_a_low_cosine_but_a_conflict_is_still_needed() -> None:
    from stale.semantic.signals import superseded_signal

    cfg = SemanticConfig()
    older = _facts(
        "old",
        2023,
        _finding("version", "go", "contradicted", "1.20"),
        _finding("version", "postgres", "confirmed", "16"),
        _finding("command", "make lint", "confirmed"),
    )
    newer = _facts(
        "new",
        2025,
        _finding("version", "go", "confirmed", "1.22"),
        _finding("version", "postgres", "confirmed", "16"),
    )
    sig = superseded_signal(older, None, [(newer, 0.2)], cfg)  # type: ignore[list-item,arg-type]
    assert sig is not None and "similarity 0.20, 2 claims in common" in sig.message
    assert "version `go` is contradicted here and confirmed on the newer page" in sig.message
    assert sig.evidence[0].path == "new"
    # one subject in common is no topic; a low cosine stays a low cosine
    alone = _facts("new", 2025, _finding("version", "go", "confirmed", "1.22"))
    assert superseded_signal(older, None, [(alone, 0.2)], cfg) is None  # type: ignore[list-item,arg-type]
    off = replace(cfg, superseded_shared_claims=0.0)
    assert superseded_signal(older, None, [(newer, 0.2)], off) is None  # type: ignore[list-item,arg-type]
    # no conflict: nothing, however much they share
    agree = _facts(
        "agree",
        2025,
        _finding("version", "postgres", "confirmed", "16"),
        _finding("command", "make lint", "confirmed"),
    )
    assert superseded_signal(older, None, [(agree, 0.9)], cfg) is None  # type: ignore[list-item,arg-type]
    # an older page is never superseded by a page older than itself
    older_still = _facts("older", 2022, *newer.findings)  # type: ignore[attr-defined]
    assert superseded_signal(older, None, [(older_still, 0.9)], cfg) is None  # type: ignore[list-item,arg-type]


def test_the_semantic_pass_keeps_signals_it_did_not_make(world: dict[str, Path | str]) -> None:
    """A hazard (or any other kind the judge adds) survives the semantic re-judge."""
    import json

    from stale.model import Signal

    cfg = _cfg(Path(world["store"]), Path(world["wiki"]), Path(world["repo"]), enabled=False)
    store, _ = _scan(cfg)
    hazard = Signal(kind="hazard", message="runs `rm -rf /` as root", weight=0.2)
    v = store.verdict("wiki", "old.md")
    assert v is not None and not any(s.kind == "superseded" for s in v.signals)
    from stale.store import _signals_to_json

    store.conn.execute(
        "UPDATE verdicts SET signals = ? WHERE source = 'wiki' AND page_id = 'old.md'",
        (_signals_to_json((*v.signals, hazard)),),
    )
    store.conn.commit()
    store.close()
    store, res = _scan(replace(cfg, semantic=replace(cfg.semantic, enabled=True)))
    assert res["semantic"]["rejudged"] >= 1
    v = store.verdict("wiki", "old.md")
    assert v is not None
    kinds = [s.kind for s in v.signals]
    assert "superseded" in kinds and kinds.count("hazard") == 1, kinds
    assert json.loads(json.dumps([s.message for s in v.signals if s.kind == "hazard"])) == [
        hazard.message
    ]
    store.close()
