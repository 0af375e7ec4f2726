"""StalenessFilter: URL canonicalisation, matching, policies, reloads, manifests."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_integrations_support import PAGES, build_store, set_status
from typer.testing import CliRunner

from stale.cli import app
from stale.filter import Action, PageStatus, Policies, StalenessFilter
from stale.manifest import ManifestError, read_manifest
from stale.model import Status
from stale.urls import canonical_url, mediawiki_title, url_keys

# -- URL canonicalisation -------------------------------------------------------------

SAME = [
    # host case, default port, trailing slash, fragment, tracking noise, scheme
    (
        "https://wiki.acme.com/ops/deploy",
        "HTTPS://Wiki.ACME.com:443/ops/deploy/#step-2",
    ),
    ("https://wiki.acme.com/ops/deploy", "http://wiki.acme.com:80/ops/deploy"),
    (
        "https://wiki.acme.com/ops/deploy?lang=en",
        "https://wiki.acme.com/ops/deploy/?utm_source=slack&lang=en&utm_medium=chat&fbclid=x",
    ),
    ("https://wiki.acme.com/a?x=1&y=2", "https://wiki.acme.com/a?y=2&x=1"),
    ("https://wiki.acme.com/a%20b", "https://wiki.acme.com/a b"),
    # Confluence: viewpage.action?pageId= and /pages/ID/... name the same page
    (
        "https://acme.atlassian.net/wiki/spaces/OPS/pages/123456/Billing+Guide",
        "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=123456",
    ),
    (
        "https://confluence.acme.com/pages/viewpage.action?pageId=98765",
        "https://confluence.acme.com/spaces/OPS/pages/98765/Other+Title?focusedCommentId=1",
    ),
    (
        "https://confluence.acme.com/pages/viewpage.action?pageId=98765",
        "https://confluence.acme.com/pages/98765",
    ),
    # MediaWiki: index.php?title= and /wiki/ forms, spaces vs underscores, first letter
    ("https://mw.acme.com/wiki/Deploy_guide", "https://mw.acme.com/w/index.php?title=Deploy_guide"),
    ("https://mw.acme.com/wiki/Deploy_guide", "https://mw.acme.com/wiki/deploy guide"),
    (
        "https://mw.acme.com/wiki/Deploy_guide",
        "https://mw.acme.com/index.php?title=Deploy%20guide&action=view",
    ),
    ("https://mw.acme.com/wiki/Deploy_guide", "https://mw.acme.com/index.php/Deploy_guide"),
    ("file:///srv/wiki/ops/deploy.md", "file:///srv/wiki/ops/./deploy.md"),
]

DIFFERENT = [
    ("https://wiki.acme.com/ops/deploy", "https://wiki.acme.com/ops/Deploy"),  # path case
    ("https://wiki.acme.com/ops/deploy", "https://wiki.acme.com:8443/ops/deploy"),
    ("https://wiki.acme.com/a?x=1", "https://wiki.acme.com/a?x=2"),
    (
        "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=1",
        "https://other.atlassian.net/wiki/pages/viewpage.action?pageId=1",
    ),
    (
        "https://confluence.acme.com/pages/viewpage.action?pageId=1",
        "https://confluence.acme.com/pages/viewpage.action?pageId=2",
    ),
    ("https://mw.acme.com/wiki/Deploy_guide", "https://mw.acme.com/wiki/Deploy_Guide"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_spellings_of_one_page_share_a_key(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)
    assert canonical_url(a) is not None


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_pages_keep_different_keys(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


def test_canonical_key_table() -> None:
    assert url_keys("https://Wiki.Acme.com:443/ops/deploy/?utm_campaign=x#top") == (
        "//wiki.acme.com/ops/deploy",
    )
    assert canonical_url("https://acme.atlassian.net/wiki/spaces/X/pages/42/T") == (
        "confluence://acme.atlassian.net/42"
    )
    assert canonical_url("https://mw.acme.com/w/index.php?title=deploy_guide") == (
        "mediawiki://mw.acme.com/Deploy_guide"
    )
    assert canonical_url("file:///srv/wiki/a%20b.md") == "path:/srv/wiki/a b.md"
    assert canonical_url("ops/deploy.md") is None
    assert canonical_url("http://[::1") is None  # malformed: not a URL, no exception
    assert mediawiki_title("  deploy   guide_") == "Deploy_guide"


# -- matching ------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return build_store(tmp_path / "s.db")


@pytest.fixture
def flt(store: Path) -> StalenessFilter:
    return StalenessFilter.from_store(store, auto_reload=False)


def test_check_by_id_source_id_url_spellings_and_path(flt: StalenessFilter) -> None:
    assert len(flt) == len(PAGES)
    assert flt.check("ops/deploy.md").status == "stale"  # type: ignore[union-attr]
    assert flt.check("wiki:ops/runbook.md").status == "suspect"  # type: ignore[union-attr]
    for ref in (
        "https://WIKI.acme.com/ops/deploy.md/?utm_source=x#usage",
        "/srv/checkout/wiki/ops/deploy.md",
        "C:\\wiki\\ops\\deploy.md",
        "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=123456",
        "https://mw.acme.com/w/index.php?title=deploy%20guide",
    ):
        page = flt.check(ref)
        assert page is not None, ref
    assert flt.check("https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=123456").key == (  # type: ignore[union-attr]
        "conf:123456"
    )
    assert flt.check("https://mw.acme.com/wiki/Deploy_guide").key == "mw:Deploy guide"  # type: ignore[union-attr]
    assert flt.check("/srv/wiki/myops/deploy.md") is None  # not on a path boundary
    assert flt.check("https://wiki.acme.com/ops/nothing.md") is None
    assert flt.check("nope:ops/deploy.md") is None


def test_ambiguous_path_suffixes_are_not_guessed() -> None:
    pages = [
        PageStatus("a", "README.md", "current"),
        PageStatus("a", "ops/README.md", "stale"),
        PageStatus("b", "guide/deploy.md", "stale"),
        PageStatus("c", "guide/deploy.md", "current"),
        PageStatus("c", "x/y.md", "current", url="file:///srv/c/x/y.md"),
    ]
    f = StalenessFilter.from_pages(pages)
    # one source, two suffixes: the longer is the page (one source has one root)
    assert f.check("/srv/wiki/ops/README.md").page_id == "ops/README.md"  # type: ignore[union-attr]
    assert f.check("/srv/wiki/README.md").page_id == "README.md"  # type: ignore[union-attr]
    # the same id in two sources: nothing tells them apart ...
    assert f.check("/srv/x/guide/deploy.md") is None
    assert f.check("guide/deploy.md") is None
    # ... unless the document names its source
    assert f.check("guide/deploy.md", source="b").status == "stale"  # type: ignore[union-attr]
    assert f.lookup({"source": "c", "file_path": "/m/guide/deploy.md"}).status == "current"  # type: ignore[union-attr]
    assert f.check("c:guide/deploy.md").status == "current"  # type: ignore[union-attr]
    # a file:// page URL matches its exact path
    assert f.check("/srv/c/x/y.md").key == "c:x/y.md"  # type: ignore[union-attr]


def test_an_exact_address_beats_a_shared_wiki_title_key() -> None:
    # not MediaWiki, but /wiki/ paths: the title keys collide, the addresses do not
    pages = [
        PageStatus("a", "foo", "stale", url="https://x.example/wiki/foo"),
        PageStatus("a", "Foo", "current", url="https://x.example/wiki/Foo"),
    ]
    f = StalenessFilter.from_pages(pages)
    assert f.check("https://x.example/wiki/foo/?utm_source=q").page_id == "foo"  # type: ignore[union-attr]
    assert f.check("https://x.example/wiki/Foo").page_id == "Foo"  # type: ignore[union-attr]
    assert f.check("https://x.example/w/index.php?title=foo") is None  # truly ambiguous


def test_metadata_keys_in_order_and_configurable(flt: StalenessFilter) -> None:
    assert flt.lookup({"source": "https://wiki.acme.com/ops/deploy.md"}).page_id == (  # type: ignore[union-attr]
        "ops/deploy.md"
    )
    # page_id is tried before url
    md = {"url": "https://wiki.acme.com/dev/setup.md", "page_id": "ops/runbook.md"}
    assert flt.lookup(md).page_id == "ops/runbook.md"  # type: ignore[union-attr]
    assert flt.lookup({"doc": "ops/deploy.md"}) is None
    custom = StalenessFilter.from_pages(flt.pages(), ref_keys=("doc",))
    assert custom.lookup({"doc": "ops/deploy.md"}).status == "stale"  # type: ignore[union-attr]


# -- policies ------------------------------------------------------------------------


def docs() -> list[dict[str, Any]]:
    return [
        {"page_content": "deploy with --region", "metadata": {"source": "ops/deploy.md"}},
        {"page_content": "runbook", "metadata": {"url": "https://wiki.acme.com/ops/runbook.md"}},
        {"page_content": "setup", "metadata": {"page_id": "dev/setup.md"}},
        {"page_content": "team", "metadata": {"page_id": "team.md"}},
        {"page_content": "random", "metadata": {"source": "https://elsewhere.com/x"}},
    ]


def test_default_policies(flt: StalenessFilter) -> None:
    original = docs()
    out = flt.apply(original)
    assert [d["page_content"].split("\n")[-1] for d in out] == [
        "runbook",
        "setup",
        "team",
        "random",
    ]
    runbook, setup, team, random = out
    assert runbook["metadata"]["stale_status"] == "suspect"
    assert runbook["metadata"]["stale_reasons"] == ["last updated 2019-04-01, over 5 years ago"]
    assert runbook["metadata"]["stale_checked_at"].startswith("2025-03-02")
    assert runbook["page_content"].startswith("[stale: this wiki page is possibly out of date")
    assert runbook["page_content"].endswith("\n\nrunbook")
    assert setup["metadata"]["stale_status"] == "current" and setup["page_content"] == "setup"
    assert team["metadata"]["stale_status"] == "unchecked" and team["page_content"] == "team"
    assert random["metadata"]["stale_status"] == "unchecked"
    # inputs are never mutated
    assert original == docs()


def test_each_action(flt: StalenessFilter) -> None:
    scored = [
        {"text": "deploy", "score": 0.9, "metadata": {"page_id": "ops/deploy.md"}},
        {"text": "runbook", "score": 0.8, "metadata": {"page_id": "ops/runbook.md"}},
        {"text": "setup", "score": 0.5, "metadata": {"page_id": "dev/setup.md"}},
    ]
    pol = Policies(stale="downrank", suspect="pass", downrank_factor=0.1)  # type: ignore[arg-type]
    out = flt.apply(scored, policies=pol)
    # downranked below the others and re-sorted
    assert [d["text"] for d in out] == ["runbook", "setup", "deploy"]
    assert out[2]["score"] == pytest.approx(0.09)
    assert out[2]["metadata"]["stale_status"] == "stale"
    assert out[2]["metadata"]["stale_reasons"][0].startswith("--region")
    assert out[2]["text"] == "deploy"  # downrank adds no prefix
    assert out[0]["metadata"] == {"page_id": "ops/runbook.md", "stale_status": "suspect"}

    pol = Policies(stale="annotate", warning_prefix=False, tag=False)  # type: ignore[arg-type]
    out = flt.apply(scored, policies=pol)
    assert [d["text"] for d in out] == ["deploy", "runbook", "setup"]
    assert out[0]["metadata"]["stale_status"] == "stale"
    assert out[2] is scored[2]  # pass without tagging: the same object

    out = flt.apply(scored, policies=Policies(current=Action.DROP, suspect=Action.DROP))
    assert out == []

    with pytest.raises(ValueError, match="not one of"):
        Policies(stale="delete")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown policy key"):
        Policies.from_mapping({"stael": "drop"})
    assert Policies.from_mapping({"suspect": "downrank"}).suspect is Action.DOWNRANK


def test_unknown_changed_and_unmatched_policies(flt: StalenessFilter) -> None:
    changed = {
        "text": "deploy (edited)",
        "metadata": {"page_id": "ops/deploy.md", "content_hash": "hash-of-newer-text"},
    }
    same = {
        "text": "deploy",
        "metadata": {"page_id": "ops/deploy.md", "content_hash": "hash-ops/deploy.md"},
    }
    unknown = {"text": "team", "metadata": {"page_id": "team.md"}}
    unmatched = {"text": "x", "metadata": {"url": "https://nowhere.example/x"}}

    out = flt.apply([changed, same, unknown, unmatched])
    assert [d["text"] for d in out] == ["deploy (edited)", "team", "x"]  # the stale one dropped
    assert out[0]["metadata"]["stale_status"] == "unchecked"

    pol = Policies(changed="drop", unknown="annotate", unmatched="drop")  # type: ignore[arg-type]
    out = flt.apply([changed, same, unknown, unmatched], policies=pol)
    assert [d["metadata"]["stale_status"] for d in out] == ["unchecked"]
    assert out[0]["text"].startswith("[stale: this wiki page is not checked against the code")
    assert "no checkable claims" in out[0]["metadata"]["stale_reasons"]

    pol = Policies(changed="annotate")  # type: ignore[arg-type]
    (d,) = flt.apply([changed], policies=pol)
    assert d["metadata"]["stale_previous_status"] == "stale"
    assert d["metadata"]["stale_reasons"] == ["the page changed after stale checked it"]
    # the caller can pass the hash
    dec = flt.decide("ops/deploy.md", content_hash="other")
    assert dec.category == "changed" and dec.stale_status == "unchecked"
    assert flt.decide("ops/deploy.md").action is Action.DROP


def test_apply_with_accessors_on_any_object(flt: StalenessFilter) -> None:
    objs = [SimpleNamespace(ref="ops/runbook.md", body="b", tags={}) for _ in range(2)]
    objs.append(SimpleNamespace(ref="ops/deploy.md", body="c", tags={}))

    def set_body(o: SimpleNamespace, text: str) -> None:
        o.body = text

    out = flt.apply(
        objs,
        get_ref=lambda o: o.ref,
        get_metadata=lambda o: o.tags,
        get_text=lambda o: o.body,
        set_text=set_body,
    )
    assert len(out) == 2 and out[0] is objs[0]  # changed in place through the accessors
    assert objs[0].tags["stale_status"] == "suspect" and objs[0].body.startswith("[stale:")

    # objects with a .metadata mapping work as they are, and are copied, not mutated
    doc = SimpleNamespace(page_content="p", metadata={"source": "ops/runbook.md"})
    (new,) = flt.apply([doc])
    assert new is not doc and doc.metadata == {"source": "ops/runbook.md"}
    assert new.metadata["stale_status"] == "suspect" and new.page_content.startswith("[stale:")


# -- reloading -----------------------------------------------------------------------


def wait_for(cond: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return False


def test_reloads_when_the_store_changes(store: Path) -> None:
    f = StalenessFilter.from_store(store, check_interval=0.05)
    assert f.check("dev/setup.md").status == "current"  # type: ignore[union-attr]
    gen = f.generation
    set_status(store, "dev/setup.md", Status.STALE, ("the setup script is gone",))
    assert wait_for(lambda: f.check("dev/setup.md").status == "stale")  # type: ignore[union-attr]
    assert f.generation > gen and f.check("dev/setup.md").reasons == (  # type: ignore[union-attr]
        "the setup script is gone",
    )
    assert f.info["run_id"] == 2
    # nothing changed: no rebuild
    gen = f.generation
    assert f.reload() is False and f.generation == gen
    f.close()


def test_check_interval_limits_how_often_the_source_is_looked_at(store: Path) -> None:
    f = StalenessFilter.from_store(store, check_interval=3600, background_reload=False)
    set_status(store, "dev/setup.md", Status.STALE)
    assert f.check("dev/setup.md").status == "current"  # type: ignore[union-attr]
    assert f.reload() is True
    assert f.check("dev/setup.md").status == "stale"  # type: ignore[union-attr]


def test_threads_query_while_the_store_changes(store: Path) -> None:
    f = StalenessFilter.from_store(store, check_interval=0.0)
    errors: list[BaseException] = []
    seen: set[str] = set()
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                page = f.check("https://wiki.acme.com/dev/setup.md")
                assert page is not None and page.page_id == "dev/setup.md"
                seen.add(page.status)
                out = f.apply(docs())
                assert 3 <= len(out) <= 5
                assert all("stale_status" in d["metadata"] for d in out)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    for i in range(6):
        status = Status.STALE if i % 2 == 0 else Status.CURRENT
        set_status(store, "dev/setup.md", status)
        assert wait_for(lambda s=status: f.check("dev/setup.md").status == s)  # type: ignore[misc,union-attr]
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert not errors, errors
    assert seen == {"current", "stale"}
    assert f.generation >= 6


def test_a_broken_reload_keeps_the_old_verdicts(tmp_path: Path, store: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    assert (
        CliRunner().invoke(app, ["export", "--store", str(store), "-o", str(manifest)]).exit_code
        == 0
    )
    f = StalenessFilter.from_manifest(manifest, check_interval=0, background_reload=False)
    manifest.write_text("garbage\n")
    assert f.check("ops/deploy.md").status == "stale"  # type: ignore[union-attr]
    assert f.last_error and "not a stale manifest" in f.last_error


# -- manifests -----------------------------------------------------------------------


def test_manifest_round_trip_gives_the_same_answers(tmp_path: Path, store: Path) -> None:
    out = tmp_path / "verdicts.jsonl"
    res = CliRunner().invoke(
        app, ["export", "--format", "manifest", "--store", str(store), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert f"({len(PAGES)} pages)" in res.stdout

    lines = out.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["schema"] == "stale.manifest" and header["version"] == 1
    assert header["run_id"] == 1 and header["pages"] == len(PAGES) and header["created_at"]
    first = json.loads(lines[1])
    assert set(first) >= {
        "source", "page_id", "url", "canonical_urls", "title", "status", "score",
        "checked_at", "content_hash", "reasons", "aliases",
    }  # fmt: skip
    deploy = next(json.loads(x) for x in lines[1:] if json.loads(x)["page_id"] == "ops/deploy.md")
    assert deploy["canonical_urls"] == ["//wiki.acme.com/ops/deploy.md"]
    assert deploy["evidence"] and "scripts/deploy.sh:5" in deploy["evidence"][0]

    from_store = StalenessFilter.from_store(store)
    from_manifest = StalenessFilter.from_manifest(out)
    refs = (
        [p[1] for p in PAGES]
        + [p[2] for p in PAGES]
        + [
            "wiki:team.md",
            "/x/ops/deploy.md",
            "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=123456",
            "https://mw.acme.com/w/index.php?title=Deploy_guide",
            "https://unknown.example/",
        ]
    )
    for ref in refs:
        assert from_store.check(ref) == from_manifest.check(ref), ref
    assert from_store.apply(docs()) == from_manifest.apply(docs())

    # stdout when no -o
    res = CliRunner().invoke(app, ["export", "--store", str(store)])
    assert (
        res.exit_code == 0 and json.loads(res.stdout.splitlines()[0])["schema"] == "stale.manifest"
    )


def test_manifest_errors(tmp_path: Path, store: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"schema": "stale.manifest", "version": 99}\n')
    with pytest.raises(ManifestError, match="newer"):
        read_manifest(bad)
    with pytest.raises(ManifestError, match="cannot read"):
        read_manifest(tmp_path / "missing.jsonl")
    res = CliRunner().invoke(app, ["export", "--format", "csv", "--store", str(store)])
    assert res.exit_code == 2 and "not an export format" in res.output
    res = CliRunner().invoke(app, ["export", "--store", str(tmp_path / "none.db")])
    assert res.exit_code == 2 and "no store here yet" in res.output


# -- search and the package's weight -------------------------------------------------


def test_keyword_search_flags_stale_pages(flt: StalenessFilter) -> None:
    hits = flt.search("deploy guide", limit=5)
    assert hits and hits[0][0].key == "mw:Deploy guide"
    assert {p.key for p, _ in hits} >= {"mw:Deploy guide", "wiki:ops/deploy.md"}
    assert flt.search("", limit=5) == []


def test_import_stale_stays_light() -> None:
    code = (
        "import sys, stale\n"
        "heavy = ['torch', 'sentence_transformers', 'faiss', 'langchain_core', 'langchain',"
        " 'llama_index', 'haystack', 'mcp', 'stale.filter']\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "from stale import StalenessFilter\n"
        "print(StalenessFilter.__module__)\n"
        "print([m for m in heavy[:-1] if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:3] == ["[]", "stale.filter", "[]"]
