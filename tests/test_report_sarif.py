"""The SARIF report: SARIF 2.1.0 shape, one result per open finding on a flagged page."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import stale
from stale.cli import app
from stale.model import Claim, ClaimKind, Evidence, Finding, Outcome, Span, Status, Verdict
from stale.report.interface import PageVerdict
from stale.report.sarif_report import SarifReporter
from stale.store import RunRecord, StoredPage

runner = CliRunner()


def check_shape(doc: dict[str, Any]) -> None:
    """The parts of SARIF 2.1.0 that code-scanning uploads require."""
    assert doc["version"] == "2.1.0"
    assert isinstance(doc["$schema"], str) and doc["$schema"].startswith("https://")
    assert "sarif" in doc["$schema"] and "2.1.0" in doc["$schema"]
    assert isinstance(doc["runs"], list) and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "stale"
    assert driver["version"] == stale.__version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    for r in rules:
        assert r["id"].startswith("stale/")
        assert r["shortDescription"]["text"] and r["help"]["text"]
    assert isinstance(run["results"], list)
    for res in run["results"]:
        assert res["ruleId"] in ids
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning")
        assert res["message"]["text"]
        [loc] = res["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uri"] and phys["artifactLocation"]["uriBaseId"]
        assert phys["region"]["startLine"] >= 1
        assert res["partialFingerprints"]
        for rel in res.get("relatedLocations", []):
            region = rel["physicalLocation"].get("region")
            assert region is None or region["startLine"] >= 1
            assert rel["physicalLocation"]["artifactLocation"]["uri"]


def test_sarif_from_a_real_scan(world: dict[str, Path | str]) -> None:
    res = runner.invoke(
        app,
        [
            "scan",
            *("--wiki", str(world["wiki"]), "--repo", str(world["repo"])),
            *("--store", str(world["store"])),
        ],
    )
    assert res.exit_code == 1, res.output
    out = Path(world["tmp"]) / "stale.sarif"
    res = runner.invoke(
        app, ["report", "--store", str(world["store"]), "--format", "sarif", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    check_shape(doc)
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["stale/flag-missing"]
    [result] = run["results"]  # old.md's --region; new.md is current, team.md unknown
    assert result["level"] == "error"
    assert "--region" in result["message"]["text"] and "--zone" in result["message"]["text"]
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "old.md", "uriBaseId": "WIKIROOT"}
    assert loc["region"]["startLine"] == 6  # the line of the command on the page
    root = run["originalUriBaseIds"]["WIKIROOT"]["uri"]
    assert root == Path(world["wiki"]).resolve().as_uri() + "/"
    [related] = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "scripts/deploy.sh"
    assert str(world["rename"])[:10] in related["message"]["text"]
    fp = result["partialFingerprints"]["staleClaimKey/v1"]
    assert len(fp) == 16

    # The fingerprint is the claim's identity, not its line: push the claim down.
    old = Path(world["wiki"]) / "old.md"
    old.write_text(
        "# Deploy (old)\n\nIntro.\n\nMore intro.\n\n" + old.read_text().split("\n", 2)[2]
    )
    res = runner.invoke(
        app,
        [
            "scan",
            *("--wiki", str(world["wiki"]), "--repo", str(world["repo"])),
            *("--store", str(world["store"])),
        ],
    )
    assert res.exit_code == 1, res.output
    res = runner.invoke(app, ["report", "--store", str(world["store"]), "--format", "sarif"])
    [moved] = json.loads(res.stdout)["runs"][0]["results"]
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 10
    assert moved["partialFingerprints"]["staleClaimKey/v1"] == fp


def _page(pid: str, status: Status, findings: tuple[Finding, ...]) -> PageVerdict:
    page = StoredPage(
        "wiki", pid, f"https://wiki.example.com/{pid}", pid, "markdown", "", None, (), ()
    )
    return PageVerdict(page, Verdict("wiki", pid, status, 0.5, findings))


def _finding(pid: str, kind: ClaimKind, outcome: Outcome, **kw: Any) -> Finding:
    historical = kw.pop("historical", False)
    claim = Claim("wiki", pid, kind, f"subj-{kind}", span=Span(kw.pop("line", 3)),
                  historical=historical)  # fmt: skip
    ev = (Evidence("billing", "conf/app.yaml", 12, "abc123", "2025-01-01"),)
    return Finding(claim, outcome, ev, f"{kind} says otherwise", **kw)


def test_which_findings_become_results_and_their_levels() -> None:
    stale_page = _page(
        "a b/stale.md",
        Status.STALE,
        (
            _finding("a b/stale.md", ClaimKind.CONFIG, Outcome.CONTRADICTED, suggestion="use 5"),
            _finding("a b/stale.md", ClaimKind.FLAG, Outcome.MISSING, historical=True),
            _finding("a b/stale.md", ClaimKind.ENV, Outcome.MISSING, accepted="known"),
            _finding("a b/stale.md", ClaimKind.PATH, Outcome.CONFIRMED),
            _finding("a b/stale.md", ClaimKind.SYMBOL, Outcome.UNVERIFIABLE),
        ),
    )
    suspect_page = _page(
        "suspect.md",
        Status.SUSPECT,
        (_finding("suspect.md", ClaimKind.CONFIG, Outcome.CONTRADICTED, line=0),),
    )
    current_page = _page(
        "current.md",
        Status.CURRENT,
        (_finding("current.md", ClaimKind.ENDPOINT, Outcome.MISSING),),
    )
    run = RunRecord(3, "2026-01-01T00:00:00+00:00", None, "complete", None, {})
    buf = io.StringIO()
    SarifReporter().write(run, [stale_page, suspect_page, current_page], buf)
    doc = json.loads(buf.getvalue())
    check_shape(doc)
    sarif_run = doc["runs"][0]
    assert [r["id"] for r in sarif_run["tool"]["driver"]["rules"]] == ["stale/config-contradicted"]
    first, second = sarif_run["results"]
    assert first["level"] == "error" and second["level"] == "warning"
    assert first["message"]["text"] == "config says otherwise Suggestion: use 5"
    uri = first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "a%20b/stale.md"
    assert second["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert first["relatedLocations"][0]["physicalLocation"]["region"] == {"startLine": 12}
    assert sarif_run["automationDetails"]["id"] == "stale/run-3"
    assert "uri" not in sarif_run["originalUriBaseIds"]["WIKIROOT"]  # https pages: unknown


def test_no_pages_is_still_valid_sarif() -> None:
    buf = io.StringIO()
    SarifReporter().write(None, [], buf)
    doc = json.loads(buf.getvalue())
    check_shape(doc)
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []
