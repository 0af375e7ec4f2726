"""The bundled example, scanned end to end, gives the hand-labelled verdicts.

examples/acme/expected.toml is ground truth written from what each page says
versus the final repository; this test is the demo's regression guard.
"""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from stale.config import Config, RepoConfig, SourceConfig
from stale.model import Outcome, Status
from stale.scan import run_scan
from stale.store import Store

ACME = Path(__file__).resolve().parents[1] / "examples" / "acme"


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("acme_build_for_verdicts", ACME / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Store:
    dest = tmp_path_factory.mktemp("acme-demo")
    repo, wiki = _load_build().build(dest)
    cfg = Config(
        store=dest / "stale.db",
        repos=(RepoConfig("acme-billing", repo),),
        sources=(SourceConfig("wiki", "markdown", {"path": str(wiki)}),),
    )
    store = Store.open(cfg.store)
    result = run_scan(cfg, store)
    assert result.errors == []
    return store


EXPECTED = tomllib.loads((ACME / "expected.toml").read_text())["pages"]


@pytest.mark.parametrize("page_id", sorted(EXPECTED))
def test_page_gets_its_labelled_verdict(scanned: Store, page_id: str) -> None:
    want = EXPECTED[page_id]
    v = scanned.verdict("wiki", page_id)
    assert v is not None
    assert v.status is Status(want["status"]), (page_id, v.reasons)
    if v.status is Status.STALE:
        bad = {
            f.claim.subject
            for f in v.findings
            if f.outcome in (Outcome.MISSING, Outcome.CONTRADICTED) and not f.claim.historical
        }
        for subject in want.get("reasons", []):
            assert subject in bad, (page_id, subject, bad)
        # Every finding that makes a page stale shows where the code says so.
        for f in v.findings:
            if f.outcome in (Outcome.MISSING, Outcome.CONTRADICTED):
                assert f.evidence and all(e.repo == "acme-billing" for e in f.evidence)


def test_rename_and_changed_default_are_explained(scanned: Store) -> None:
    deploy = scanned.verdict("wiki", "deploy.md")
    assert deploy is not None
    regions = [f for f in deploy.findings if f.claim.subject == "--region"]
    assert regions
    for region in regions:
        assert region.outcome is Outcome.MISSING
        assert region.suggestion == "renamed to `--zone`"
        assert region.evidence[0].commit and region.evidence[0].path == "scripts/deploy.sh"

    tuning = scanned.verdict("wiki", "database-tuning.md")
    assert tuning is not None
    pool = [f for f in tuning.findings if f.claim.subject == "database.pool_size"]
    assert pool and pool[0].outcome is Outcome.CONTRADICTED and pool[0].suggestion == "50"
    assert any(e.path == "config/billing.yaml" and e.line for e in pool[0].evidence)
