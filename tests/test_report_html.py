"""The HTML report: rendered in headless Chromium, plus escaping and size checks."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from stale.cli import app
from stale.model import Claim, ClaimKind, Evidence, Finding, Outcome, Span, Status, Verdict
from stale.report.html_report import HtmlReporter, safe_url
from stale.report.interface import PageVerdict
from stale.store import RunRecord, StoredPage

runner = CliRunner()

CHART_IDS = ["chart-sources", "chart-newly", "chart-age", "chart-reasons", "chart-owners"]
EVIL_TITLE = "<script>alert(1)</script><img src=x onerror=\"document.title='pwned'\">"


def requires_chromium() -> str:
    """Chromium's path; skip without it, but fail in CI (CI=true), where
    .ci/install-system-deps must have installed it."""
    path = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    path = path or shutil.which("chromium")
    if path is None:
        msg = "Chromium is not installed (/usr/bin/chromium); run .ci/install-system-deps"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {msg}")
        pytest.skip(msg)
    return path


def chromium(binary: str, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="stale-chromium-") as profile:
        cmd = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
            url,
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    return res


def dump_dom(binary: str, url: str) -> BeautifulSoup:
    res = chromium(binary, url, "--dump-dom")
    assert "<html" in res.stdout, res.stderr[-2000:]
    return BeautifulSoup(res.stdout, "html.parser")


def row_titles(dom: BeautifulSoup, *, visible_only: bool = False) -> list[str]:
    rows = dom.select("#pages tbody tr")
    if visible_only:
        rows = [r for r in rows if not r.has_attr("hidden")]
    return [r.select_one("summary").get_text() for r in rows]  # type: ignore[union-attr]


@pytest.fixture
def report(world: dict[str, Path | str]) -> Path:
    """Scan the world (plus a page with a hostile title and an owner), write the report."""
    wiki = Path(world["wiki"])
    (wiki / "evil.md").write_text(
        f"---\ntitle: {json.dumps(EVIL_TITLE)}\nowner: alice\n---\n\nNothing to check here.\n"
    )
    res = runner.invoke(
        app,
        ["scan", "--wiki", str(wiki), "--repo", str(world["repo"]), "--store", str(world["store"])],
    )
    assert res.exit_code == 1, res.output  # old.md is stale
    out = Path(world["tmp"]) / "report.html"
    res = runner.invoke(
        app, ["report", "--store", str(world["store"]), "--format", "html", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "(4 pages)" in res.output
    return out


def test_report_is_self_contained_and_escaped(report: Path) -> None:
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>")
    dom = BeautifulSoup(text, "html.parser")
    # nothing fetched: no external script, stylesheet, font or image
    assert not dom.select("script[src], link[rel=stylesheet], img, iframe")
    assert "@import" not in text and "url(" not in text
    assert len(dom.select("script")) == 1
    assert "<script>alert(1)</script>" not in text
    assert html_escaped(EVIL_TITLE) in text
    assert [svg["id"] for svg in dom.select("svg.chart")] == CHART_IDS
    for svg in dom.select("svg.chart"):
        assert svg.title and svg.title.get_text(), svg["id"]
        assert svg["role"] == "img" and svg["aria-labelledby"]
    # header: counts and the newly stale page
    header = dom.select_one("header").get_text(" ")  # type: ignore[union-attr]
    assert "1 stale" in header and "4 pages" in header and "wiki:old.md" in header


def html_escaped(s: str) -> str:
    import html

    return html.escape(s, quote=True)


def test_rendered_in_chromium(report: Path) -> None:
    binary = requires_chromium()
    dom = dump_dom(binary, report.as_uri())
    # one row per page, stale first; the hostile title is text, not markup
    titles = row_titles(dom)
    assert len(titles) == 4
    assert titles[0] == "Deploy (old)"
    first = dom.select_one("#pages tbody tr")
    assert first is not None and first.select_one(".b.stale") is not None
    assert EVIL_TITLE in titles
    assert not dom.select("img") and len(dom.select("script")) == 1
    assert dom.title is not None and "pwned" not in dom.title.get_text()
    # the expandable row shows the finding, its evidence and the suggestion
    details = first.select_one("details")
    assert details is not None
    detail_text = details.get_text(" ")
    assert "--region" in detail_text and "flag missing" in detail_text
    assert "billing:scripts/deploy.sh" in detail_text and "--zone" in detail_text
    # all five charts rendered, with bars and numbers on them
    for cid in CHART_IDS:
        svg = dom.select_one(f"svg#{cid}")
        assert svg is not None, cid
        assert svg.select("rect, text"), cid
    assert dom.select("svg#chart-sources rect")
    assert dom.select("svg#chart-reasons rect")


def test_sorting_and_filter_in_chromium(report: Path) -> None:
    binary = requires_chromium()
    # A probe appended to a copy of the report measures the rendered charts and
    # clicks a column header, then writes what it saw into the DOM.
    probe = """<script>
(function () {
  var rows = function () {
    return [].map.call(document.querySelectorAll('#pages tbody tr'),
      function (r) { return r.querySelector('summary').textContent; });
  };
  var out = {svgs: [].map.call(document.querySelectorAll('svg.chart'), function (s) {
    var b = s.getBoundingClientRect(); return {id: s.id, w: b.width, h: b.height};
  })};
  var th = document.querySelector('th[data-k=title]');
  th.querySelector('button').click();
  out.first = {rows: rows(), sort: th.getAttribute('aria-sort'), hash: location.hash};
  th.querySelector('button').click();
  out.second = {rows: rows(), sort: th.getAttribute('aria-sort')};
  document.querySelector('th[data-k=score] button').click();
  out.score = rows();
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script></body>"""
    probed = report.with_name("probed.html")
    probed.write_text(report.read_text().replace("</body>", probe))
    dom = dump_dom(binary, probed.as_uri())
    node = dom.select_one("#probe")
    assert node is not None, "the probe did not run"
    seen = json.loads(node.get_text())
    assert [s["id"] for s in seen["svgs"]] == CHART_IDS
    for s in seen["svgs"]:
        assert s["w"] > 100 and s["h"] > 20, s

    titles = row_titles(dump_dom(binary, report.as_uri()))
    by_title = sorted(titles, key=str.lower)
    assert seen["first"] == {
        "rows": by_title,
        "sort": "ascending",
        "hash": "#sort=title:asc",
    }
    assert seen["second"] == {"rows": by_title[::-1], "sort": "descending"}
    assert seen["score"][0] == "Deploy (old)"  # highest score first

    # the URL fragment is applied on load: sort and filter
    dom = dump_dom(binary, report.as_uri() + "#sort=title:desc")
    assert row_titles(dom) == by_title[::-1]
    th = dom.select_one("th[data-k=title]")
    assert th is not None and th["aria-sort"] == "descending"
    dom = dump_dom(binary, report.as_uri() + "#q=rituals")
    assert row_titles(dom, visible_only=True) == ["Team rituals"]
    assert "1 of 4 pages" in dom.select_one("#shown").get_text()  # type: ignore[union-attr]


def test_screenshot_in_chromium(report: Path) -> None:
    binary = requires_chromium()
    shot = report.with_name("shot.png")
    chromium(binary, report.as_uri(), f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.exists()
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000, len(data)  # a blank page is a few KB
    keep = os.environ.get("STALE_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)


# -- without a browser ------------------------------------------------------------


def make_pages(n: int, *, now: datetime) -> list[PageVerdict]:
    """n synthetic pages: a mix of statuses, owners, sources, ages and findings."""
    statuses = [Status.CURRENT, Status.CURRENT, Status.STALE, Status.SUSPECT, Status.UNKNOWN]
    kinds = [ClaimKind.FLAG, ClaimKind.CONFIG, ClaimKind.PATH, ClaimKind.ENV]
    out = []
    for i in range(n):
        status = statuses[i % len(statuses)]
        source = f"space{i % 7}"
        pid = f"team-{i % 40}/page-{i}.md"
        findings: list[Finding] = []
        reasons: list[str] = []
        if status in (Status.STALE, Status.SUSPECT):
            for j in range(2):
                kind = kinds[(i + j) % len(kinds)]
                claim = Claim(source, pid, kind, f"subject_{i}_{j}", span=Span(10 + j))
                outcome = Outcome.MISSING if j == 0 else Outcome.CONTRADICTED
                msg = f"{kind} subject_{i}_{j} is {outcome} in the code"
                ev = Evidence("billing", f"src/mod_{i % 50}.py", 42, "3f2a1c9d8e7b", "2025-03-02")
                findings.append(Finding(claim, outcome, (ev,), msg, suggestion="use the new name"))
                reasons.append(f"{kind} `subject_{i}_{j}` (line {10 + j}): {msg}")
        for j in range(3):
            claim = Claim(source, pid, ClaimKind.PATH, f"ok/{j}.py", span=Span(20 + j))
            findings.append(Finding(claim, Outcome.CONFIRMED))
        page = StoredPage(
            source=source,
            page_id=pid,
            url=f"https://wiki.example.com/{source}/{pid}",
            title=f"Page {i}: how the {source} team deploys",
            content_type="markdown",
            content_hash="h",
            last_modified=now - timedelta(days=(i * 37) % 1200),
            authors=(f"owner{i % 23}",) if i % 9 else (),
            labels=(),
        )
        verdict = Verdict(
            source,
            pid,
            status,
            0.9 if status is Status.STALE else 0.5 if status is Status.SUSPECT else 0.0,
            findings=tuple(findings),
            reasons=tuple(reasons),
            checked_at=now,
        )
        out.append(PageVerdict(page, verdict))
    return out


def run_record(newly: list[str]) -> RunRecord:
    return RunRecord(
        id=7,
        started_at="2026-01-10T10:00:00+00:00",
        finished_at="2026-01-10T10:05:00+00:00",
        status="complete",
        code_fingerprint=None,
        stats={"newly_stale": newly},
    )


def render(run: RunRecord | None, pages: list[PageVerdict]) -> str:
    buf = io.StringIO()
    HtmlReporter().write(run, pages, buf)
    return buf.getvalue()


def test_user_text_is_escaped_and_only_safe_urls_link() -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    [pv] = make_pages(3, now=now)[2:3]  # a stale one
    claim = Claim("s", "p", ClaimKind.FLAG, "--x", span=Span(3))
    ev = Evidence("r<o>", "a<b>.py", 1, text="<i>code</i>")
    evil = Finding(claim, Outcome.MISSING, (ev,), "<b>gone</b>", suggestion="<u>fix</u>")
    page = StoredPage(
        "s<1>", "p&q.md", "javascript:alert(1)", "<script>alert(1)</script>", "markdown", "",
        None, ("<em>bob</em>",), (),
    )  # fmt: skip
    verdict = Verdict("s<1>", "p&q.md", Status.STALE, 1.0, (evil,), reasons=("<why>",))
    text = render(run_record(["s<1>:p&q.md"]), [pv, PageVerdict(page, verdict)])
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    for raw in ("<b>gone", "<u>fix", "<i>code", "<em>bob", "<why>", "r<o>", "a<b>.py", "s<1>"):
        assert raw not in text, raw
    assert 'href="javascript:' not in text
    assert 'href="https://wiki.example.com/' in text

    assert safe_url("https://x/y") == "https://x/y"
    assert safe_url("file:///srv/wiki/a.md") == "file:///srv/wiki/a.md"
    assert safe_url("HTTP://X") == "HTTP://X"
    for bad in ("javascript:alert(1)", "data:text/html,x", "//evil", "wiki/a.md", "", None):
        assert safe_url(bad) is None


def test_zero_pages_and_no_run() -> None:
    text = render(None, [])
    dom = BeautifulSoup(text, "html.parser")
    assert [svg["id"] for svg in dom.select("svg.chart")] == CHART_IDS
    assert dom.select("#pages tbody tr") == []
    assert "No scan run recorded" in text and "No pages have a verdict yet" in text


def test_charts_count_what_the_pages_say() -> None:
    now = datetime(2026, 1, 10, 10, 5, tzinfo=UTC)
    pages = make_pages(50, now=now)
    text = render(run_record(["space2:team-2/page-2.md", "gone:x.md"]), pages)
    dom = BeautifulSoup(text, "html.parser")
    badges = dom.select_one(".badges").get_text(" ")  # type: ignore[union-attr]
    assert "10 stale" in badges and "10 suspect" in badges and "20 current" in badges
    assert "50 pages" in badges
    rows = dom.select("#pages tbody tr")
    assert len(rows) == 50
    statuses = [r.select_one(".b").get_text() for r in rows]  # type: ignore[union-attr]
    assert statuses == sorted(statuses, key=["stale", "suspect", "unknown", "current"].index)
    # newly stale: the listed page links to its row; a page no longer present does not
    newly = dom.select_one("ul.newly")
    assert newly is not None
    link = newly.select_one("a")
    assert link is not None and link.get_text() == "space2:team-2/page-2.md"
    assert dom.select_one(str(link["href"])) is not None
    desc = dom.select_one("#chart-reasons desc").get_text()  # type: ignore[union-attr]
    assert "flag missing" in desc or "config missing" in desc
    age = dom.select_one("#chart-age desc").get_text()  # type: ignore[union-attr]
    assert "< 3 months" in age and "> 2 years" in age
    owners = dom.select_one("#chart-owners desc").get_text()  # type: ignore[union-attr]
    assert "unowned" in owners and "more owners" in owners


def test_ten_thousand_pages_stay_small_and_fast() -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    pages = make_pages(10_000, now=now)
    t0 = time.perf_counter()
    text = render(run_record([f"space{i % 7}:team-0/page-{i}.md" for i in range(0, 400, 5)]), pages)
    elapsed = time.perf_counter() - t0
    size = len(text.encode("utf-8"))
    assert size < 8_000_000, size
    assert elapsed < 5.0, elapsed
    assert text.count('<tr id="p') == 10_000
