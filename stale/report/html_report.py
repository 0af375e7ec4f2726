"""The HTML report: one self-contained file for a browser (docs/report-html.md).

It is opened from disk or from a CI artifact, often offline, so nothing is
fetched: the CSS and a little vanilla JS are inline and the charts are inline
SVG drawn here. Everything that comes from a page, a finding or the run is
escaped; a page URL becomes a link only for http(s):// and file://.

The table is rendered here in its default order (stale first), so it reads
without JS; the script only sorts and filters. Per-row markup is kept small so
that 10,000 pages stay a few MB.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from stale.model import Finding, Outcome, Signal, Status, Verdict
from stale.report.interface import PageVerdict
from stale.store import RunRecord, StoredPage

_ORDER = (Status.STALE, Status.SUSPECT, Status.UNKNOWN, Status.CURRENT)
_RANK = {s: i for i, s in enumerate(_ORDER)}
_COLOURS = {
    Status.STALE: "#c62828",
    Status.SUSPECT: "#e08600",
    Status.UNKNOWN: "#78909c",
    Status.CURRENT: "#2e7d32",
}
#: (label, upper bound in days, exclusive); None: no bound.
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("< 3 months", 91),
    ("3–12 months", 365),
    ("1–2 years", 730),
    ("> 2 years", None),
)
_SAFE_SCHEMES = ("http://", "https://", "file://")
MAX_BARS = 15  # rows per chart before the rest are folded into one
MAX_FINDINGS = 25  # findings shown per page; `stale check` shows all
MAX_NEWLY_LISTED = 100
MAX_EVIDENCE_TEXT = 160


def esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def safe_url(url: str | None) -> str | None:
    """The URL if it may become a link (http, https, file), else None."""
    if not url:
        return None
    u = url.strip()
    if u.lower().startswith(_SAFE_SCHEMES) and not any(ord(ch) < 32 for ch in u):
        return u
    return None


def owner_of(page: StoredPage) -> str:
    if page.authors and page.authors[0].strip():
        return page.authors[0].strip()
    return "unowned"


def counts_against(f: Finding) -> bool:
    """A contradicted or missing finding about now that nobody accepted."""
    return (
        f.outcome in (Outcome.CONTRADICTED, Outcome.MISSING)
        and not f.claim.historical
        and f.accepted is None
    )


def reason_label(f: Finding) -> str:
    return f"{f.claim.kind} {f.outcome}"


def _parse_time(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        d = datetime.fromisoformat(s)
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def reference_time(run: RunRecord | None) -> datetime:
    """Ages are measured from the run (the report is a snapshot), else from now."""
    if run is not None:
        for s in (run.finished_at, run.started_at):
            d = _parse_time(s)
            if d is not None:
                return d
    return datetime.now(UTC)


def age_bucket(last_modified: datetime | None, now: datetime) -> int | None:
    if last_modified is None:
        return None
    lm = last_modified if last_modified.tzinfo else last_modified.replace(tzinfo=UTC)
    days = (now - lm).days
    for i, (_, limit) in enumerate(AGE_BUCKETS):
        if limit is None or days < limit:
            return i
    return len(AGE_BUCKETS) - 1


def newly_stale(run: RunRecord | None) -> list[str]:
    if run is None:
        return []
    raw = run.stats.get("newly_stale") if isinstance(run.stats, dict) else None
    return [str(x) for x in raw] if isinstance(raw, list) else []


def default_order(pages: Sequence[PageVerdict]) -> list[PageVerdict]:
    """Stale first, then suspect, unknown, current; worst score first; then title."""
    return sorted(
        pages,
        key=lambda p: (
            _RANK.get(p.verdict.status, len(_ORDER)),
            -p.verdict.score,
            (p.page.title or p.page.page_id).lower(),
            p.page.source,
            p.page.page_id,
        ),
    )


# -- charts ----------------------------------------------------------------------

_W = 640  # viewBox width
_LABEL_W = 170
_BAR_W = 360
_ROW_H = 26
_BAR_H = 18
_TOP = 8


def _clip(s: str, n: int = 24) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _svg_open(cid: str, title: str, desc: str, height: int) -> str:
    return (
        f'<svg class="chart" id="{cid}" role="img" aria-labelledby="{cid}-t {cid}-d" '
        f'viewBox="0 0 {_W} {height}" width="{_W}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{cid}-t">{esc(title)}</title><desc id="{cid}-d">{esc(desc)}</desc>'
    )


def _empty_svg(cid: str, title: str, text: str) -> str:
    return (
        _svg_open(cid, title, text, 40)
        + f'<text x="{_W // 2}" y="25" text-anchor="middle" class="muted">{esc(text)}</text>'
        + "</svg>"
    )


def stacked_bars(
    cid: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[Status, int]]]],
    *,
    share: bool = False,
    empty: str = "no pages",
    stale_total: bool = False,
) -> str:
    """Horizontal stacked bars, one per (label, [(status, count)]).

    `share`: every bar is 100% wide (segments are shares of the row's total).
    Each segment carries its count when it is wide enough; each bar its total,
    and with `stale_total` also its stale count (which a thin segment can't show).
    """
    if not rows or all(sum(n for _, n in segs) == 0 for _, segs in rows):
        return _empty_svg(cid, title, empty)
    scale_max = max(sum(n for _, n in segs) for _, segs in rows) or 1
    desc_parts = []
    height = _TOP * 2 + _ROW_H * len(rows)
    body: list[str] = []
    for i, (label, segs) in enumerate(rows):
        total = sum(n for _, n in segs)
        y = _TOP + i * _ROW_H
        desc_parts.append(
            f"{label}: " + ", ".join(f"{n} {s}" for s, n in segs if n) + f" ({total} pages)"
        )
        body.append(
            f'<text x="{_LABEL_W - 8}" y="{y + _BAR_H - 5}" text-anchor="end" class="lbl">'
            f"<title>{esc(label)}</title>{esc(_clip(label))}</text>"
        )
        denom = total if share else scale_max
        x = float(_LABEL_W)
        for status, n in segs:
            if n <= 0 or denom <= 0:
                continue
            w = _BAR_W * n / denom
            pct = 100 * n / total if total else 0
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{_BAR_H}" '
                f'fill="{_COLOURS[status]}"><title>{esc(label)}: {n} {status} '
                f"({pct:.0f}%)</title></rect>"
            )
            shown = f"{pct:.0f}%" if share else str(n)
            if w >= 8 * len(shown) + 6:
                body.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + _BAR_H - 5}" text-anchor="middle" '
                    f'class="seg">{shown}</text>'
                )
            x += w
        end = _LABEL_W + (_BAR_W if share else _BAR_W * total / scale_max)
        tot = str(total)
        if stale_total:
            tot += f" · {dict(segs).get(Status.STALE, 0)} stale"
        body.append(f'<text x="{end + 6:.1f}" y="{y + _BAR_H - 5}" class="tot">{tot}</text>')
    return _svg_open(cid, title, "; ".join(desc_parts), height) + "".join(body) + "</svg>"


def plain_bars(
    cid: str, title: str, rows: Sequence[tuple[str, int]], colour: str, *, empty: str
) -> str:
    """Horizontal bars of one colour, the value written at the end of each bar."""
    if not rows:
        return _empty_svg(cid, title, empty)
    scale_max = max(n for _, n in rows) or 1
    height = _TOP * 2 + _ROW_H * len(rows)
    body: list[str] = []
    for i, (label, n) in enumerate(rows):
        y = _TOP + i * _ROW_H
        w = _BAR_W * n / scale_max
        body.append(
            f'<text x="{_LABEL_W - 8}" y="{y + _BAR_H - 5}" text-anchor="end" class="lbl">'
            f"<title>{esc(label)}</title>{esc(_clip(label))}</text>"
            f'<rect x="{_LABEL_W}" y="{y}" width="{max(w, 1):.1f}" height="{_BAR_H}" '
            f'fill="{colour}"><title>{esc(label)}: {n}</title></rect>'
            f'<text x="{_LABEL_W + w + 6:.1f}" y="{y + _BAR_H - 5}" class="tot">{n}</text>'
        )
    desc = "; ".join(f"{label}: {n}" for label, n in rows)
    return _svg_open(cid, title, desc, height) + "".join(body) + "</svg>"


def _status_segments(c: Counter[Status]) -> list[tuple[Status, int]]:
    return [(s, c[s]) for s in _ORDER]


def _fold(
    groups: dict[str, Counter[Status]],
    key: Callable[[tuple[str, Counter[Status]]], Any],
    what: str,
) -> list[tuple[str, list[tuple[Status, int]]]]:
    """The first MAX_BARS groups by `key`, the rest summed into one row."""
    ordered = sorted(groups.items(), key=key)
    rows = [(name, _status_segments(c)) for name, c in ordered[:MAX_BARS]]
    rest = ordered[MAX_BARS:]
    if rest:
        total: Counter[Status] = Counter()
        for _, c in rest:
            total.update(c)
        rows.append((f"{len(rest)} more {what}", _status_segments(total)))
    return rows


def charts(run: RunRecord | None, pages: Sequence[PageVerdict], newly: list[str]) -> str:
    by_source: dict[str, Counter[Status]] = {}
    by_owner: dict[str, Counter[Status]] = {}
    by_age: list[Counter[Status]] = [Counter() for _ in AGE_BUCKETS]
    undated: Counter[Status] = Counter()
    reasons: Counter[str] = Counter()
    now = reference_time(run)
    for p in pages:
        s = p.verdict.status
        by_source.setdefault(p.page.source, Counter())[s] += 1
        by_owner.setdefault(owner_of(p.page), Counter())[s] += 1
        b = age_bucket(p.page.last_modified, now)
        (undated if b is None else by_age[b])[s] += 1
        if s is Status.STALE:
            reasons.update(reason_label(f) for f in p.verdict.findings if counts_against(f))

    out: list[str] = []

    def card(title: str, svg: str, extra: str = "") -> None:
        out.append(
            f'<figure class="card"><figcaption>{esc(title)}</figcaption>{svg}{extra}</figure>'
        )

    t = "Pages by status per source"
    card(
        t,
        stacked_bars(
            "chart-sources",
            t,
            _fold(by_source, lambda kv: (-kv[1].total(), kv[0]), "sources"),
        ),
    )

    stale_now = {
        f"{p.page.source}:{p.page.page_id}" for p in pages if p.verdict.status is Status.STALE
    }
    new_stale = sum(1 for k in newly if k in stale_now)
    t = f"Newly stale this run: {len(newly)}"
    rows = [("newly stale", new_stale), ("stale before", len(stale_now) - new_stale)]
    lst = ""
    if newly:
        ids = {f"{p.page.source}:{p.page.page_id}": i for i, p in enumerate(pages)}
        items = []
        for k in newly[:MAX_NEWLY_LISTED]:
            if k in ids:
                items.append(f'<li><a href="#p{ids[k]}">{esc(k)}</a></li>')
            else:
                items.append(f"<li>{esc(k)}</li>")
        more = len(newly) - MAX_NEWLY_LISTED
        if more > 0:
            items.append(f"<li>… and {more} more</li>")
        lst = f'<ul class="newly">{"".join(items)}</ul>'
    else:
        lst = '<p class="muted">No page became stale in the last run.</p>'
    card(
        t,
        plain_bars(
            "chart-newly",
            "Stale pages: newly stale this run vs. stale before",
            rows if stale_now or newly else [],
            _COLOURS[Status.STALE],
            empty="no stale pages",
        ),
        lst,
    )

    t = "Age vs. staleness (by last modified)"
    age_rows = [(label, _status_segments(by_age[i])) for i, (label, _) in enumerate(AGE_BUCKETS)]
    if undated.total():
        age_rows.append(("no date", _status_segments(undated)))
    card(t, stacked_bars("chart-age", t, age_rows, share=True))

    t = "Top reasons among stale pages"
    card(
        t,
        plain_bars(
            "chart-reasons",
            t + " (findings)",
            reasons.most_common(10),
            _COLOURS[Status.STALE],
            empty="no findings against stale pages",
        ),
    )

    t = "Pages by owner"
    card(
        t,
        stacked_bars(
            "chart-owners",
            t,
            _fold(by_owner, lambda kv: (-kv[1][Status.STALE], -kv[1].total(), kv[0]), "owners"),
            stale_total=True,
        ),
    )
    legend = "".join(
        f'<span class="key"><i style="background:{_COLOURS[s]}"></i>{s}</span>' for s in _ORDER
    )
    return (
        f'<div class="legend" aria-hidden="true">{legend}</div>'
        f'<div class="charts">{"".join(out)}</div>'
    )


# -- hazards ---------------------------------------------------------------------


def hazards_of(v: Verdict) -> list[Signal]:
    """The verdict's prompt-injection hazards (stale.hazard)."""
    return [s for s in v.signals if s.kind == "hazard"]


def _hazard_html(signals: Sequence[Signal]) -> str:
    items = []
    for s in signals:
        ev = "".join(
            f"<li>line {e.line}: <code>{esc(e.text or '')}</code></li>" for e in s.evidence
        )
        items.append(f"<li>{esc(s.message)}{f'<ul>{ev}</ul>' if ev else ''}</li>")
    return (
        '<div class="hz"><strong>Hidden or agent-directed text</strong> '
        '<span class="muted">(possible prompt injection; the retrieval filter drops it by '
        f"default)</span><ul>{''.join(items)}</ul></div>"
    )


def hazard_section(pages: Sequence[PageVerdict]) -> str:
    """A list of the pages with hazards, linked to their rows; empty when none."""
    rows = [(i, p, hz) for i, p in enumerate(pages) if (hz := hazards_of(p.verdict))]
    if not rows:
        return ""
    items = "".join(
        f'<li><a href="#p{i}">{esc(p.page.title or p.page.page_id)}</a> '
        f"<code>{esc(p.page.source)}:{esc(p.page.page_id)}</code>: "
        f"{esc('; '.join(s.message for s in hz))}</li>"
        for i, p, hz in rows
    )
    return (
        f"<h2>Pages with hidden or agent-directed text ({len(rows)})</h2>"
        '<p class="muted">Possible prompt injection aimed at the agents that read the wiki. '
        "A hazard does not change a page's status; the retrieval filter drops these pages "
        f'by default.</p><ul class="hzl">{items}</ul>'
    )


# -- the table -------------------------------------------------------------------


def _evidence_html(f: Finding) -> str:
    items = []
    for e in f.evidence:
        text = ""
        if e.text:
            t = e.text.strip()
            if len(t) > MAX_EVIDENCE_TEXT:
                t = t[: MAX_EVIDENCE_TEXT - 1] + "…"
            text = f" <q>{esc(t)}</q>"
        items.append(f"<li><code>{esc(e.describe())}</code>{text}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _finding_html(f: Finding, reasons: Sequence[str]) -> str:
    """A finding with its evidence and suggestion; its message only when no
    reason above already says it (the judge's reasons quote the messages)."""
    c = f.claim
    tags = ""
    if f.accepted is not None:
        tags += f' <span class="tag">accepted: {esc(f.accepted)}</span>'
    if c.historical:
        tags += ' <span class="tag">historical</span>'
    sug = f'<div class="sug">Suggestion: {esc(f.suggestion)}</div>' if f.suggestion else ""
    msg = f.message or f"{c.kind} `{c.subject}` is {f.outcome}"
    said = bool(f.message) and any(f.message in r for r in reasons)
    text = f" ({esc(c.subject)})" if said else f": {esc(msg)}"
    return (
        f'<li><span class="k">{esc(reason_label(f))}</span> '
        f"line {c.span.line}{text}{tags}{_evidence_html(f)}{sug}</li>"
    )


def _details_html(p: PageVerdict) -> str:
    v, page = p.verdict, p.page
    parts = [f"<code>{esc(page.source)}:{esc(page.page_id)}</code>"]
    url = safe_url(page.url)
    if url:
        parts.append(f' <a href="{esc(url)}">open page</a>')
    elif page.url:
        parts.append(f' <span class="muted">{esc(page.url)}</span>')
    if v.error:
        parts.append(f'<p class="err">{esc(v.error)}</p>')
    hazards = hazards_of(v)
    if hazards:
        parts.append(_hazard_html(hazards))
    if v.reasons:
        parts.append("<ul>" + "".join(f"<li>{esc(r)}</li>" for r in v.reasons) + "</ul>")
    against = [f for f in v.findings if f.outcome in (Outcome.CONTRADICTED, Outcome.MISSING)]
    if against:
        shown = "".join(_finding_html(f, v.reasons) for f in against[:MAX_FINDINGS])
        more = len(against) - MAX_FINDINGS
        if more > 0:
            shown += f"<li>… {more} more (see <code>stale check</code>)</li>"
        parts.append(f'<ol class="f">{shown}</ol>')
    others = Counter(str(f.outcome) for f in v.findings if f not in against)
    if others:
        parts.append(
            '<p class="muted">Other claims: '
            + ", ".join(f"{n} {o}" for o, n in sorted(others.items()))
            + "</p>"
        )
    return "".join(parts)


def _row(i: int, p: PageVerdict) -> str:
    v, page = p.verdict, p.page
    status = v.status
    lm = page.last_modified.date().isoformat() if page.last_modified else ""
    hz = ' <span class="b hazard">hazard</span>' if hazards_of(v) else ""
    return (
        f'<tr id="p{i}" data-r="{_RANK.get(status, len(_ORDER))}">'
        f"<td><details><summary>{esc(page.title or page.page_id)}</summary>"
        f"{_details_html(p)}</details></td>"
        f"<td>{esc(page.source)}</td>"
        f'<td><span class="b {esc(status)}">{esc(status)}</span>{hz}</td>'
        f"<td>{v.score:.2f}</td><td>{lm}</td><td>{esc(owner_of(page))}</td></tr>"
    )


_COLUMNS = (
    ("title", "Title"),
    ("source", "Source"),
    ("status", "Status"),
    ("score", "Score"),
    ("modified", "Last modified"),
    ("owner", "Owner"),
)


def table(pages: Sequence[PageVerdict]) -> Iterable[str]:
    yield (
        '<div class="tools"><input type="search" id="q" placeholder="Filter pages…" '
        'aria-label="Filter pages by any text"> '
        f'<span id="shown" aria-live="polite">{len(pages)} pages</span></div>'
        '<table id="pages"><thead><tr>'
    )
    for key, label in _COLUMNS:
        sort = ' aria-sort="ascending"' if key == "status" else ""
        yield f'<th data-k="{key}"{sort}><button type="button">{label}</button></th>'
    yield "</tr></thead><tbody>"
    for i, p in enumerate(pages):
        yield _row(i, p)
    yield "</tbody></table>"
    if not pages:
        yield '<p class="muted">No pages have a verdict yet: run <code>stale scan</code>.</p>'


# -- the document ----------------------------------------------------------------

_CSS = """
:root { --fg: #1d232a; --muted: #5f6b76; --line: #dde3e8; --bg: #fff; --alt: #f6f8fa; }
* { box-sizing: border-box; }
body {
  margin: 0; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 60px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.muted { color: var(--muted); fill: var(--muted); }
.meta { color: var(--muted); margin: 0 0 10px; }
.badges { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0; }
.b {
  display: inline-block; border-radius: 10px; padding: 1px 9px;
  color: #fff; font-weight: 600; font-size: 12px;
}
.badges .b { font-size: 14px; padding: 4px 12px; border-radius: 14px; }
.stale { background: #c62828; }
.suspect { background: #e08600; }
.unknown { background: #78909c; }
.current { background: #2e7d32; }
.total { background: #37474f; }
.hazard { background: #6a1b9a; }
.hz { border-left: 3px solid #6a1b9a; padding-left: 8px; margin: 6px 0; }
.newly { margin: 4px 0; padding-left: 20px; max-height: 180px; overflow: auto; }
.legend { display: flex; gap: 14px; margin: 0 0 8px; color: var(--muted); }
.key i {
  display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin-right: 5px; vertical-align: -1px;
}
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
.card { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card figcaption { font-weight: 600; margin-bottom: 6px; }
svg.chart { display: block; width: 100%; max-width: 640px; height: auto; }
svg .lbl { font-size: 12px; fill: var(--fg); }
svg .tot { font-size: 12px; fill: var(--fg); font-weight: 600; }
svg .seg { font-size: 11px; fill: #fff; font-weight: 600; }
svg text.muted { font-size: 13px; }
.tools { margin: 8px 0; }
#q {
  width: 320px; max-width: 100%; padding: 6px 9px; font: inherit;
  border: 1px solid var(--line); border-radius: 6px;
}
#shown { color: var(--muted); margin-left: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); }
td { vertical-align: top; }
th { position: sticky; top: 0; background: var(--alt); z-index: 1; }
th button { all: unset; cursor: pointer; font-weight: 600; }
th button:focus-visible { outline: 2px solid #1565c0; }
th[aria-sort=ascending] button::after { content: " \\25B2"; }
th[aria-sort=descending] button::after { content: " \\25BC"; }
tbody tr:nth-child(even) { background: var(--alt); }
td:nth-child(4), td:nth-child(5) { white-space: nowrap; font-variant-numeric: tabular-nums; }
summary { cursor: pointer; }
details[open] { padding-bottom: 4px; }
details ul, details ol { margin: 4px 0; padding-left: 20px; }
.f > li { margin: 4px 0; }
.k { font-weight: 600; }
.tag { background: #eceff1; border-radius: 4px; padding: 0 5px; font-size: 12px; }
.sug { color: #1b5e20; }
.err { color: #b71c1c; margin: 4px 0; }
code { font-size: 12px; }
q { color: var(--muted); }
"""

# Sorts and filters the server-rendered rows. `#sort=KEY[:asc|desc]&q=TEXT` in the
# URL is applied on load and kept up to date, so a sorted, filtered view can be linked.
_JS = """
(function () {
  var table = document.getElementById('pages');
  if (!table) return;
  var tb = table.tBodies[0], ths = [].slice.call(table.tHead.rows[0].cells);
  var COL = {title: 0, source: 1, status: 2, score: 3, modified: 4, owner: 5};
  var DIR = {title: 1, source: 1, status: 1, score: -1, modified: 1, owner: 1};
  var q = document.getElementById('q'), shown = document.getElementById('shown');
  var items = null, cur = {k: 'status', d: 1}, timer = null;
  function prep() {
    if (items) return items;
    items = [].map.call(tb.rows, function (r, i) {
      var c = r.cells;
      return {
        r: r, i: i, text: null,
        title: c[0].querySelector('summary').textContent.toLowerCase(),
        source: c[1].textContent.toLowerCase(),
        status: +r.getAttribute('data-r'),
        score: parseFloat(c[3].textContent) || 0,
        modified: c[4].textContent,
        owner: c[5].textContent.toLowerCase()
      };
    });
    return items;
  }
  var coll = window.Intl ? new Intl.Collator(undefined, {numeric: true}) : null;
  function cmp(a, b) {
    if (coll && typeof a === 'string') return coll.compare(a, b);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  function sortBy(k, d) {
    if (!(k in COL)) return;
    d = d || DIR[k];
    prep();
    items.sort(function (a, b) {
      var x = a[k], y = b[k];
      if (k === 'modified' && (!x || !y) && x !== y) return x ? -1 : 1;  // undated last
      return cmp(x, y) * d || a.status - b.status || b.score - a.score ||
        cmp(a.title, b.title) || a.i - b.i;
    });
    var f = document.createDocumentFragment();
    items.forEach(function (o) { f.appendChild(o.r); });
    tb.appendChild(f);
    ths.forEach(function (th) {
      var on = th.getAttribute('data-k') === k;
      th.setAttribute('aria-sort', on ? (d > 0 ? 'ascending' : 'descending') : 'none');
    });
    cur = {k: k, d: d};
  }
  function filter() {
    var s = q.value.trim().toLowerCase(), n = 0;
    prep();
    items.forEach(function (o) {
      if (s && o.text === null) o.text = o.r.textContent.toLowerCase();
      var hide = !!s && o.text.indexOf(s) < 0;
      o.r.hidden = hide;
      if (!hide) n++;
    });
    shown.textContent = s ? n + ' of ' + items.length + ' pages' : items.length + ' pages';
  }
  function remember() {
    try {
      var h = 'sort=' + cur.k + ':' + (cur.d > 0 ? 'asc' : 'desc');
      if (q.value) h += '&q=' + encodeURIComponent(q.value);
      history.replaceState(null, '', '#' + h);
    } catch (e) { /* file:// in some browsers */ }
  }
  ths.forEach(function (th) {
    th.querySelector('button').addEventListener('click', function () {
      var k = th.getAttribute('data-k');
      sortBy(k, cur.k === k ? -cur.d : DIR[k]);
      remember();
    });
  });
  q.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { filter(); remember(); }, 120);
  });
  var h = new URLSearchParams(location.hash.slice(1)), s = h.get('sort');
  if (s) {
    var kd = s.split(':');
    sortBy(kd[0], kd[1] === 'asc' ? 1 : kd[1] === 'desc' ? -1 : 0);
  }
  if (h.get('q')) { q.value = h.get('q'); filter(); }
})();
"""


def _header(run: RunRecord | None, pages: Sequence[PageVerdict], newly: list[str]) -> str:
    counts = Counter(p.verdict.status for p in pages)
    if run is not None:
        meta = f"Run {run.id} · {esc(run.status)} · started {esc(run.started_at)}" + (
            f" · finished {esc(run.finished_at)}" if run.finished_at else ""
        )
    else:
        meta = "No scan run recorded."
    badges = "".join(f'<span class="b {s}">{counts[s]} {s}</span>' for s in _ORDER)
    badges += f'<span class="b total">{len(pages)} pages</span>'
    n_hazard = sum(1 for p in pages if hazards_of(p.verdict))
    if n_hazard:
        badges += f'<span class="b hazard">{n_hazard} with hidden or agent-directed text</span>'
    if newly:
        shown = ", ".join(esc(k) for k in newly[:10])
        if len(newly) > 10:
            shown += f", … {len(newly) - 10} more"
        new = f"<p><strong>{len(newly)} newly stale</strong> in the last run: {shown}</p>"
    else:
        new = '<p class="muted">No page became stale in the last run.</p>'
    return (
        f'<header><h1>stale report</h1><p class="meta">{meta}</p>'
        f'<div class="badges" aria-label="pages by status">{badges}</div>{new}</header>'
    )


class HtmlReporter:
    def write(self, run: RunRecord | None, pages: Sequence[PageVerdict], out: TextIO) -> None:
        ordered = default_order(pages)
        newly = newly_stale(run)
        title = f"stale report — run {run.id}" if run is not None else "stale report"
        out.write(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
            f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>"
        )
        out.write(_header(run, ordered, newly))
        out.write(hazard_section(ordered))
        out.write("<h2>Charts</h2>")
        out.write(charts(run, ordered, newly))
        out.write("<h2>Pages</h2>")
        out.write("".join(table(ordered)))
        out.write(f"</main><script>{_JS}</script></body></html>\n")
