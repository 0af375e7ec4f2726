"""Quality benchmark: scan the generated corpus and score verdicts against the labels.

    python -m bench.quality [--seed 7] [--pages 160] [--dest DIR] [--json] [--check] [--explain]

Builds (or reuses) the corpus under .stale/bench-corpus, runs the real scan
(`stale.scan.run_scan`) over DEST/wiki against DEST/repo, and prints

- page-level precision / recall / F1 of "stale" detection, (a) with suspect
  counted as current and (b) with suspect counted as stale, and accuracy over
  the four statuses, overall and per page format;
- the 4x4 confusion matrix (labelled rows x predicted columns);
- claim-level precision / recall per claim kind (a predicted-bad claim is a
  missing/contradicted finding on a non-historical claim; matched to labelled
  claims by page, kind and subject) and extraction recall per kind;
- the semantic signals (superseded, drift, duplicate): per kind, precision and
  recall of the pages marked with it against the pages labelled with it (a page
  whose label lists the kind under "signals_optional" counts neither way), and
  for superseded how often the named newer page is an acceptable one;
- the targets (precision >= 0.95, recall >= 0.90 in mode (a)) with PASS/FAIL.

Exit code 0 unless --check is given and a target fails. --explain lists every
false positive and false negative page with the verdict's reasons, and every
missed or falsely raised signal with its message and evidence.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("current", "suspect", "stale", "unknown")
BAD_OUTCOMES = ("missing", "contradicted")
TARGET_PRECISION = 0.95
TARGET_RECALL = 0.90
DEFAULT_DEST = Path(".stale") / "bench-corpus"
SOURCE = "wiki"
SIGNAL_KINDS = ("superseded", "drift", "duplicate")


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def prf(pairs: Iterable[tuple[str, str]], positive: Iterable[str] = ("stale",)) -> PRF:
    """Precision/recall of detecting `positive` statuses from (label, predicted) pairs."""
    pos = set(positive)
    tp = fp = fn = 0
    for label, pred in pairs:
        lp, pp = label in pos, pred in pos
        tp += lp and pp
        fp += pp and not lp
        fn += lp and not pp
    return PRF(tp, fp, fn)


def confusion(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """labelled status -> predicted status -> count, over STATUSES."""
    m = {a: dict.fromkeys(STATUSES, 0) for a in STATUSES}
    for label, pred in pairs:
        m[label][pred] += 1
    return m


def accuracy(pairs: Sequence[tuple[str, str]]) -> float:
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else 1.0


# --------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Extracted:
    """One claim the tool extracted, with its finding's outcome ("" when unchecked)."""

    kind: str
    subject: str
    value: str | None
    historical: bool
    outcome: str
    message: str = ""


def _norm_endpoint(s: str) -> tuple[str | None, str]:
    method, _, path = s.partition(" ")
    if path and method.isupper():
        return method, path
    return None, s


def subjects_match(kind: str, labelled: str, extracted: str) -> bool:
    """Same claim subject, allowing what the page may leave implicit: an endpoint
    written without its method, a config key written as a leaf or more nested."""
    if labelled == extracted:
        return True
    if kind == "endpoint":
        lm, lp = _norm_endpoint(labelled)
        em, ep = _norm_endpoint(extracted)
        return lp == ep and (lm is None or em is None)
    if kind == "config":
        return labelled.endswith("." + extracted) or extracted.endswith("." + labelled)
    if kind in ("path", "link"):
        a, b = labelled.removeprefix("./"), extracted.removeprefix("./")
        return a == b or a.endswith("/" + b) or b.endswith("/" + a)
    if kind == "symbol":
        return labelled.split(".")[-1] == extracted.split(".")[-1]
    return False


def _kind_match(label_kind: str, ex_kind: str) -> bool:
    return label_kind == ex_kind or {label_kind, ex_kind} == {"path", "link"}


@dataclass
class ClaimScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    labelled: int = 0
    extracted: int = 0

    def prf(self) -> PRF:
        return PRF(self.tp, self.fp, self.fn)


@dataclass
class PageClaims:
    fp: list[tuple[Extracted, str]] = field(default_factory=list)  # (claim, why)
    fn: list[tuple[dict[str, Any], Extracted | None]] = field(default_factory=list)


def score_claims(
    labelled: Mapping[str, Sequence[Mapping[str, Any]]],
    extracted: Mapping[str, Sequence[Extracted]],
) -> tuple[dict[str, ClaimScore], dict[str, PageClaims]]:
    """Per-kind claim scores and, per page, the false positive / negative claims.

    labelled: page -> label claims (dicts with kind, subject, value, label, historical);
    extracted: page -> the tool's claims."""
    by_kind: dict[str, ClaimScore] = defaultdict(ClaimScore)
    per_page: dict[str, PageClaims] = defaultdict(PageClaims)
    for page, claims in labelled.items():
        ex = list(extracted.get(page, ()))
        for c in claims:
            kind = str(c["kind"])
            score = by_kind[kind]
            score.labelled += 1
            hits = [
                e
                for e in ex
                if _kind_match(kind, e.kind) and subjects_match(kind, c["subject"], e.subject)
            ]
            if hits:
                score.extracted += 1
            if c["label"] == "stale" and not c.get("historical"):
                bad = [e for e in hits if e.outcome in BAD_OUTCOMES and not e.historical]
                if bad:
                    score.tp += 1
                else:
                    score.fn += 1
                    per_page[page].fn.append((dict(c), hits[0] if hits else None))
        for e in ex:
            if e.outcome not in BAD_OUTCOMES or e.historical:
                continue
            match = [
                c
                for c in claims
                if _kind_match(str(c["kind"]), e.kind)
                and subjects_match(str(c["kind"]), str(c["subject"]), e.subject)
            ]
            if any(c["label"] == "stale" and not c.get("historical") for c in match):
                continue
            if any(c.get("historical") for c in match):
                why = "told as history on the page"
            elif match:
                why = "holds at HEAD (labelled ok)"
            else:
                why = "not a claim the generator made (decoy or side text)"
            by_kind[e.kind].fp += 1
            per_page[page].fp.append((e, why))
    return dict(by_kind), dict(per_page)


# --------------------------------------------------------------------------- signals


@dataclass(frozen=True)
class PredSignal:
    """One semantic signal of a verdict: its message and evidence, as text."""

    kind: str
    message: str
    evidence: tuple[str, ...] = ()
    names: str | None = None  # superseded: the page id of the newer page it names


@dataclass
class SignalScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    optional: int = 0  # marked on a page where the label allows it either way
    named_right: int = 0  # superseded: true positives naming an acceptable newer page
    named_wrong: list[tuple[str, str, str | None]] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    false_alarms: list[tuple[str, PredSignal]] = field(default_factory=list)

    def prf(self) -> PRF:
        return PRF(self.tp, self.fp, self.fn)


def score_signals(
    labels: Mapping[str, Mapping[str, Any]], marked: Mapping[str, Sequence[PredSignal]]
) -> dict[str, SignalScore]:
    """Per signal kind: pages marked vs. pages labelled with it.

    labels: page -> label (its "signals", optional "signals_optional", and for
    superseded "superseded_by" / "superseded_accept"); marked: page -> the signals
    its verdict carries."""
    out = {k: SignalScore() for k in SIGNAL_KINDS}
    for pid in sorted(set(labels) | set(marked)):
        lab = labels.get(pid, {})
        want = set(lab.get("signals", ()))
        maybe = set(lab.get("signals_optional", ()))
        got: dict[str, PredSignal] = {}
        for s in marked.get(pid, ()):
            got.setdefault(s.kind, s)
        for kind, score in out.items():
            sig = got.get(kind)
            if kind in want:
                if sig is None:
                    score.fn += 1
                    score.misses.append(pid)
                    continue
                score.tp += 1
                if kind == "superseded":
                    accept = set(lab.get("superseded_accept", ())) | {lab.get("superseded_by")}
                    if sig.names in accept:
                        score.named_right += 1
                    else:
                        score.named_wrong.append((pid, str(lab.get("superseded_by")), sig.names))
            elif sig is not None:
                if kind in maybe:
                    score.optional += 1
                else:
                    score.fp += 1
                    score.false_alarms.append((pid, sig))
    return out


# --------------------------------------------------------------------------- running


@dataclass
class Prediction:
    status: str
    scanned: bool
    reasons: tuple[str, ...] = ()
    claims: tuple[Extracted, ...] = ()
    signals: tuple[PredSignal, ...] = ()


def _pred_signal(sig: Any) -> PredSignal:
    ev = []
    names = None
    for e in sig.evidence:
        where = ":".join(x for x in (e.repo, e.path) if x)
        bits = [where] if where else []
        if e.commit:
            bits.append(e.commit[:10])
        if e.date:
            bits.append(e.date)
        if e.text:
            bits.append(repr(e.text[:100]))
        ev.append(" ".join(bits))
        if sig.kind == "superseded" and names is None and e.repo == SOURCE:
            names = e.path
    return PredSignal(str(sig.kind), sig.message, tuple(ev), names)


def scan_corpus(
    repo: Path, wiki: Path, store_path: Path, repo_name: str
) -> tuple[dict[str, Prediction], float, Any]:
    """Run the real scan; return page id -> prediction, seconds, and the ScanResult."""
    from stale.config import Config, RepoConfig, SourceConfig
    from stale.scan import run_scan
    from stale.store import Store

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(store_path) + suffix).unlink(missing_ok=True)
    cfg = Config(
        store=store_path,
        repos=(RepoConfig(repo_name, repo),),
        sources=(SourceConfig(SOURCE, "markdown", {"path": str(wiki)}),),
    )
    store = Store.open(store_path)
    try:
        started = time.monotonic()
        result = run_scan(cfg, store, full=True)
        elapsed = time.monotonic() - started
        preds: dict[str, Prediction] = {}
        for v in store.verdicts():
            if v.source != SOURCE:
                continue
            ex = []
            for claim, finding in store.claims(SOURCE, v.page_id):
                ex.append(
                    Extracted(
                        str(claim.kind),
                        claim.subject,
                        claim.value,
                        claim.historical,
                        str(finding.outcome) if finding else "",
                        finding.message if finding else "",
                    )
                )
            sigs = tuple(_pred_signal(s) for s in v.signals if s.kind in SIGNAL_KINDS)
            preds[v.page_id] = Prediction(str(v.status), True, tuple(v.reasons), tuple(ex), sigs)
    finally:
        store.close()
    return preds, elapsed, result


def _pairs(
    labels: Mapping[str, Mapping[str, Any]],
    preds: Mapping[str, Prediction],
    fmt: str | None = None,
    suspect_as: str = "current",
) -> list[tuple[str, str]]:
    out = []
    for pid, lab in labels.items():
        if fmt is not None and lab.get("format") != fmt:
            continue
        pred = preds.get(pid)
        p = pred.status if pred else "unknown"
        a = lab["status"]
        if suspect_as != "suspect":
            a = suspect_as if a == "suspect" else a
            p = suspect_as if p == "suspect" else p
        out.append((a, p))
    return out


def evaluate(
    labels: Mapping[str, Mapping[str, Any]], preds: Mapping[str, Prediction]
) -> dict[str, Any]:
    res: dict[str, Any] = {"pages": len(labels), "scanned": sum(p in preds for p in labels)}
    for fmt in (None, "md", "html"):
        name = fmt or "all"
        raw = _pairs(labels, preds, fmt, suspect_as="suspect")
        if not raw:
            continue
        res[name] = {
            "pages": len(raw),
            "a_suspect_as_current": prf(_pairs(labels, preds, fmt, "current")).as_dict(),
            "b_suspect_as_stale": prf(_pairs(labels, preds, fmt, "stale")).as_dict(),
            "accuracy": round(accuracy(raw), 4),
            "confusion": confusion(raw),
        }
    labelled = {pid: lab["claims"] for pid, lab in labels.items()}
    extracted = {pid: p.claims for pid, p in preds.items()}
    by_kind, per_page = score_claims(labelled, extracted)
    res["claims"] = {
        k: {
            **s.prf().as_dict(),
            "labelled": s.labelled,
            "extracted": s.extracted,
            "extraction_recall": round(s.extracted / s.labelled, 4) if s.labelled else None,
        }
        for k, s in sorted(by_kind.items())
    }
    if any("signals" in lab for lab in labels.values()):
        sig = score_signals(labels, {pid: p.signals for pid, p in preds.items()})
        res["signals"] = {
            k: {
                **s.prf().as_dict(),
                "optional": s.optional,
                **({"named_right": s.named_right} if k == "superseded" else {}),
            }
            for k, s in sig.items()
        }
        res["_signals"] = sig
    a = prf(_pairs(labels, preds, None, "current"))
    res["targets"] = {
        "precision": {"value": round(a.precision, 4), "target": TARGET_PRECISION},
        "recall": {"value": round(a.recall, 4), "target": TARGET_RECALL},
        "pass": a.precision >= TARGET_PRECISION and a.recall >= TARGET_RECALL,
    }
    res["_per_page"] = per_page
    return res


# --------------------------------------------------------------------------- output


def _fmt_prf(d: Mapping[str, Any]) -> str:
    return (
        f"P={d['precision']:.3f} R={d['recall']:.3f} F1={d['f1']:.3f} "
        f"(tp={d['tp']} fp={d['fp']} fn={d['fn']})"
    )


def render_text(res: Mapping[str, Any], info: Any, scan_s: float) -> str:
    out = []
    out.append(
        f"corpus: {info.dest} (seed {info.seed}, {info.pages} pages, "
        f"{'reused' if info.reused else f'built in {info.build_s:.1f}s'})"
    )
    rate = res["scanned"] / scan_s if scan_s else 0.0
    out.append(
        f"scan: {scan_s:.2f}s, {res['scanned']} of {res['pages']} pages got a verdict "
        f"({rate:.1f} pages/s)"
    )
    for name in ("all", "md", "html"):
        if name not in res:
            continue
        r = res[name]
        out.append("")
        out.append(f"== pages: {name} ({r['pages']}) ==")
        out.append(f"  stale detection (a) suspect=current: {_fmt_prf(r['a_suspect_as_current'])}")
        out.append(f"  stale detection (b) suspect=stale:   {_fmt_prf(r['b_suspect_as_stale'])}")
        out.append(f"  accuracy (4 statuses): {r['accuracy']:.3f}")
        if name == "all":
            out.append("  confusion (rows: labelled, columns: predicted)")
            out.append("    " + f"{'':>9}" + "".join(f"{s:>9}" for s in STATUSES))
            for a in STATUSES:
                row = r["confusion"][a]
                out.append("    " + f"{a:>9}" + "".join(f"{row[p]:>9}" for p in STATUSES))
    out.append("")
    out.append("== claims (labelled stale vs. missing/contradicted findings) ==")
    out.append(f"  {'kind':<9}{'P':>7}{'R':>7}{'tp':>5}{'fp':>5}{'fn':>5}   extracted/labelled")
    for k, d in res["claims"].items():
        er = d["extraction_recall"]
        out.append(
            f"  {k:<9}{d['precision']:>7.3f}{d['recall']:>7.3f}{d['tp']:>5}{d['fp']:>5}{d['fn']:>5}"
            f"   {d['extracted']}/{d['labelled']}" + (f" ({er:.0%})" if er is not None else "")
        )
    if "signals" in res:
        out.append("")
        out.append("== signals (pages labelled with the signal vs. pages marked with it) ==")
        out.append(f"  {'kind':<11}{'P':>7}{'R':>7}{'tp':>5}{'fp':>5}{'fn':>5}{'optional':>10}")
        for k, d in res["signals"].items():
            out.append(
                f"  {k:<11}{d['precision']:>7.3f}{d['recall']:>7.3f}{d['tp']:>5}{d['fp']:>5}"
                f"{d['fn']:>5}{d['optional']:>10}"
            )
        sup = res["signals"].get("superseded")
        if sup:
            out.append(
                f"  superseded: the named newer page is an expected one on "
                f"{sup['named_right']} of {sup['tp']} marked pages"
            )
    t = res["targets"]
    out.append("")
    out.append(
        f"targets (suspect=current): precision {t['precision']['value']:.3f} >= "
        f"{TARGET_PRECISION} and recall {t['recall']['value']:.3f} >= {TARGET_RECALL}: "
        + ("PASS" if t["pass"] else "FAIL")
    )
    return "\n".join(out)


def render_explain(
    labels: Mapping[str, Mapping[str, Any]],
    preds: Mapping[str, Prediction],
    per_page: Mapping[str, PageClaims],
    signals: Mapping[str, SignalScore] | None = None,
) -> str:
    out = ["", "== false positives (labelled not stale, predicted stale) =="]
    fps = []
    fns = []
    for pid, lab in sorted(labels.items()):
        pred = preds.get(pid)
        p = pred.status if pred else "unknown"
        if p == "stale" and lab["status"] != "stale":
            fps.append(pid)
        if lab["status"] == "stale" and p != "stale":
            fns.append(pid)
    for pid in fps:
        lab, pred = labels[pid], preds[pid]
        out.append(f"- {pid} [{lab['kind']}] labelled {lab['status']}")
        for r in pred.reasons[:4]:
            out.append(f"    reason: {r}")
        for e, why in per_page.get(pid, PageClaims()).fp:
            out.append(f"    claim {e.kind} {e.subject!r} value={e.value!r}: {e.outcome}; {why}")
    out.append("")
    out.append("== false positive claims on other pages ==")
    for pid, pc in sorted(per_page.items()):
        if pid in fps:
            continue
        for e, why in pc.fp:
            status = preds[pid].status if pid in preds else "unknown"
            out.append(
                f"- {pid} [{labels[pid]['kind']}] page {status}: {e.kind} {e.subject!r} "
                f"value={e.value!r}: {e.outcome}; {why}"
            )
    out.append("")
    out.append("== false negatives (labelled stale, predicted otherwise) ==")
    out.extend(_fn_lines(labels, preds, per_page, fns))
    out.append("")
    out.append("== missed stale claims on pages that were still found stale ==")
    found = [p for p in sorted(per_page) if p not in fns and per_page[p].fn]
    out.extend(_fn_lines(labels, preds, per_page, found))
    if signals:
        out.extend(_signal_lines(labels, preds, signals))
    return "\n".join(out)


def _signal_lines(
    labels: Mapping[str, Mapping[str, Any]],
    preds: Mapping[str, Prediction],
    signals: Mapping[str, SignalScore],
) -> list[str]:
    out: list[str] = []
    for kind, s in signals.items():
        out.append("")
        out.append(f"== signal {kind}: missed (labelled, not marked) ==")
        for pid in s.misses:
            lab = labels[pid]
            pred = preds.get(pid)
            status = pred.status if pred else "unknown (page not scanned)"
            extra = (
                f", expected newer page {lab.get('superseded_by')}" if kind == "superseded" else ""
            )
            out.append(
                f"- {pid} [{lab['kind']}] labelled {lab['status']}, predicted {status}{extra}"
            )
            for other in pred.signals if pred else ():
                out.append(f"    has {other.kind}: {other.message}")
        out.append(f"== signal {kind}: false alarms (marked, not labelled) ==")
        for pid, sig in s.false_alarms:
            lab = labels.get(pid, {})
            out.append(f"- {pid} [{lab.get('kind', '?')}] labelled {lab.get('status', '?')}")
            out.append(f"    message: {sig.message}")
            for e in sig.evidence:
                out.append(f"    evidence: {e}")
        if kind == "superseded" and s.named_wrong:
            out.append("== signal superseded: marked, but naming another newer page ==")
            for pid, want, got in s.named_wrong:
                out.append(f"- {pid}: expected {want}, named {got}")
    return out


def _fn_lines(
    labels: Mapping[str, Mapping[str, Any]],
    preds: Mapping[str, Prediction],
    per_page: Mapping[str, PageClaims],
    pids: Sequence[str],
) -> list[str]:
    out = []
    for pid in pids:
        lab = labels[pid]
        pred = preds.get(pid)
        status = pred.status if pred else "unknown (page not scanned)"
        out.append(f"- {pid} [{lab['kind']}] predicted {status}")
        if pred:
            for r in pred.reasons[:3]:
                out.append(f"    reason: {r}")
        for c, hit in per_page.get(pid, PageClaims()).fn:
            if hit is None:
                got = "not extracted"
            else:
                outcome = hit.outcome or "no finding"
                got = f"extracted as {hit.subject!r} value={hit.value!r} -> {outcome}"
                if hit.historical:
                    got += " (marked historical)"
                if hit.message:
                    got += f": {hit.message}"
            out.append(f"    stale claim {c['kind']} {c['subject']!r} value={c['value']!r}: {got}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pages", type=int, default=160)
    ap.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    ap.add_argument("--explain", action="store_true", help="list false positive/negative pages")
    args = ap.parse_args(argv)

    from bench.corpus import build_corpus

    info = build_corpus(args.dest, seed=args.seed, pages=args.pages)
    labels: dict[str, dict[str, Any]] = json.loads(info.labels.read_text(encoding="utf-8"))["pages"]
    preds, scan_s, result = scan_corpus(
        info.repo, info.wiki, info.dest / "bench.db", info.repo_name
    )
    res = evaluate(labels, preds)
    per_page = res.pop("_per_page")
    signals = res.pop("_signals", None)
    res["scan_s"] = round(scan_s, 3)
    res["pages_per_s"] = round(res["scanned"] / scan_s, 2) if scan_s else None
    res["scan_errors"] = list(result.errors)
    if args.json:
        print(json.dumps(res, indent=2, sort_keys=True))
    else:
        print(render_text(res, info, scan_s))
        for err in result.errors:
            print(f"scan error: {err}")
        if args.explain:
            print(render_explain(labels, preds, per_page, signals))
    if args.check and not res["targets"]["pass"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
