"""The pipeline: connector -> extract -> verify -> judge -> store.

Incremental: a page whose content hash, code fingerprint (repo HEADs) and
settings fingerprint all match its stored verdict is carried over without any
work; the code index is only built when some page needs a check. Results are
committed in batches; a page's verdict is replaced in one transaction, so a
killed scan leaves every earlier verdict intact.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stale import __version__, collector, plugins
from stale.config import Config, ConfigError, JudgeConfig, LimitsConfig, SourceConfig
from stale.judge import judge, unknown_verdict
from stale.model import (
    HINT_KINDS,
    Claim,
    ClaimKind,
    Finding,
    Outcome,
    Page,
    Signal,
    Status,
    Verdict,
)
from stale.parallel import CheckContext, Forked, PageChecker, resolve_workers
from stale.store import (
    PageRows,
    ScanLock,
    SourceRecord,
    Store,
    StoredCheck,
    StoredFinding,
    page_rows,
)

if TYPE_CHECKING:
    from connectors.base import Connector
    from stale.codebase import Codebase
    from stale.incremental import ClaimTouch, RepoChange
    from stale.verify.interface import Verifier

BATCH_SIZE = 200


class ScanError(Exception):
    """A failure that stops the whole scan (not one page or one source)."""


@dataclass
class ScanResult:
    run_id: int
    seen: int = 0
    rechecked: int = 0
    carried: int = 0
    forgotten: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # statuses of the pages seen
    newly_stale: list[tuple[str, str]] = field(default_factory=list)
    newly_current: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one line per failed source
    elapsed_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    embedder: str = ""  # what made the page embeddings ("" when [semantic] is off)
    semantic: dict[str, Any] = field(default_factory=dict)  # the semantic pass's counts
    workers: int = 1  # processes that checked pages
    index_cached: list[str] = field(default_factory=list)  # repos indexed from the cache

    @property
    def stale(self) -> int:
        return self.counts.get(str(Status.STALE), 0)

    @property
    def suspect(self) -> int:
        return self.counts.get(str(Status.SUSPECT), 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "seen": self.seen,
            "rechecked": self.rechecked,
            "carried": self.carried,
            "forgotten": self.forgotten,
            "counts": dict(self.counts),
            "newly_stale": [f"{s}:{p}" for s, p in self.newly_stale],
            "newly_current": [f"{s}:{p}" for s, p in self.newly_current],
            "errors": list(self.errors),
            "elapsed_s": round(self.elapsed_s, 3),
            "timings": {k: round(v, 3) for k, v in sorted(self.timings.items())},
            "embedder": self.embedder,
            "semantic": dict(self.semantic),
            "workers": self.workers,
            "index_cached": list(self.index_cached),
        }


def make_connector(src: SourceConfig, limits: LimitsConfig | None = None) -> Connector:
    """Instantiate a configured source's connector; config problems -> ConfigError.
    A connector with a `max_page_bytes` attribute reads pages up to `[limits]
    max_page_bytes` (the scan enforces the limit for every connector anyway)."""
    from connectors.base import ConnectorError

    try:
        cls = plugins.load("stale.connectors", src.type)
    except plugins.PluginError as e:
        raise ConfigError(f"sources.{src.name}.type: {e}") from None
    try:
        connector: Connector = cls.from_config(src.name, src.options)
    except ConnectorError as e:
        raise ConfigError(str(e)) from None
    if limits is not None and hasattr(connector, "max_page_bytes"):
        connector.max_page_bytes = limits.max_page_bytes
    if limits is not None:  # the markdown connector: symlinks and export archives
        for attr, value in (
            ("follow_symlinks_inside", limits.symlinks == "inside"),
            ("max_archive_bytes", limits.max_archive_bytes),
            ("max_archive_members", limits.max_archive_members),
        ):
            if hasattr(connector, attr):
                setattr(connector, attr, value)
    return connector


def load_verifiers() -> dict[ClaimKind, Verifier]:
    """Claim kind -> the verifier registered for it (entry points, built-ins included)."""
    by_kind: dict[ClaimKind, Verifier] = {}
    for name, cls in plugins.load_all("stale.verifiers").items():
        try:
            verifier = cls()
        except Exception as e:
            raise ScanError(f"verifier {name!r} could not be created: {e}") from None
        for kind in verifier.kinds:
            by_kind.setdefault(kind, verifier)
    return by_kind


def settings_fingerprint(
    judge_cfg: JudgeConfig,
    verifiers: Mapping[ClaimKind, Any],
    limits: LimitsConfig | None = None,
) -> str:
    """What else a verdict depends on: stale's version, the judge settings, the
    plugins, the hazard rules (a store scanned before them gets its hazards on the
    next scan) and the limits (a raised claim cap must re-read the capped pages).
    A digest: it is stored with every verdict and read for every page on every
    scan, and the settings spelled out are hundreds of characters."""
    import hashlib

    from stale.hazard import HAZARD_VERSION

    names = sorted(f"{k}={type(v).__module__}.{type(v).__qualname__}" for k, v in verifiers.items())
    fp = f"{__version__}|{judge_cfg.fingerprint()}|{','.join(names)}|hazard{HAZARD_VERSION}"
    if limits is not None and limits != LimitsConfig():
        fp += f"|{limits.fingerprint()}"
    return hashlib.sha256(fp.encode("utf-8", "surrogatepass")).hexdigest()[:24]


#: (kind, subject, value, context) -> the finding a verifier gave for that claim
#: identity against one codebase. See `verify_claims`.
FindingMemo = dict[tuple[str, str, str | None, str | None], Finding]
#: A memo holding this many findings starts over (a bound on a worker's memory).
MEMO_MAX_FINDINGS = 50_000


def _verify_one(claim: Claim, code: Codebase, verifier: Verifier) -> Finding:
    try:
        return verifier.verify(claim, code)
    except Exception as e:
        return Finding(
            claim, Outcome.UNVERIFIABLE, message=f"could not check: {type(e).__name__}: {e}"
        )


def verify_claims(
    claims: Sequence[Claim],
    code: Codebase,
    verifiers: Mapping[ClaimKind, Verifier],
    memo: FindingMemo | None = None,
) -> list[Finding]:
    """One Finding per checkable claim. Claims told as history are checked too:
    the judge never counts them against a page, but a past-tense claim that
    matches the repository's history is evidence that a postmortem or ADR is an
    accurate record. A verifier that raises gives `unverifiable` for that claim
    (with the error), never a failed page.

    With `memo` (one per codebase), a verifier that declares `memoizable = True`
    (its finding depends only on the claim's kind, subject, value and context,
    never on the page) checks each claim identity once: wikis cite the same env
    vars, paths and keys on page after page."""
    findings: list[Finding] = []
    for claim in claims:
        if claim.kind in HINT_KINDS:
            continue
        verifier = verifiers.get(claim.kind)
        if verifier is None:
            findings.append(
                Finding(claim, Outcome.UNVERIFIABLE, message=f"no verifier for {claim.kind} claims")
            )
            continue
        if memo is None or not getattr(verifier, "memoizable", False):
            findings.append(_verify_one(claim, code, verifier))
            continue
        ident = (str(claim.kind), claim.subject, claim.value, claim.context)
        found = memo.get(ident)
        if found is None:
            found = _verify_one(claim, code, verifier)
            if len(memo) >= MEMO_MAX_FINDINGS:
                memo.clear()
            memo[ident] = found
        findings.append(found if found.claim is claim else replace(found, claim=claim))
    return findings


def check_page(
    page: Page,
    code: Codebase,
    verifiers: Mapping[ClaimKind, Verifier],
    judge_cfg: JudgeConfig,
    *,
    accepted: dict[tuple[str, str, str], str] | None = None,
    now: datetime | None = None,
    timings: dict[str, float] | None = None,
    limits: LimitsConfig | None = None,
    memo: FindingMemo | None = None,
    stored: StoredCheck | None = None,
    touched: ClaimTouch | None = None,
) -> tuple[list[Claim], Verdict]:
    """Extract, verify and judge one page. Never raises for a bad page: a page
    that cannot be parsed, or is over `[limits] max_page_bytes`, comes back
    `unknown` with the reason. `accepted` are the triage baseline's entries
    (findings a person accepted).

    With `stored` (the page's last check) and `touched` (whether what moved in
    the code since that check can touch a claim), a claim the edited page still
    makes keeps its stored finding when nothing that moved can touch it: an edit
    costs the verification of what it added, not of the whole page. Only findings
    of verifiers that declare `memoizable` carry over (theirs depend on the claim
    alone)."""
    from stale.extract import ExtractionError, extract_claims

    limits = limits or LimitsConfig()
    body = page.body if isinstance(page.body, str) else ""
    # Cheap bound first: a UTF-8 encoding is at most 4 bytes per character.
    if len(body) > limits.max_page_bytes // 4:
        size = len(body.encode("utf-8", "surrogatepass"))
        stated = page.prop("bytes")  # a connector that cut the page says its real size
        if stated and stated.isdigit():
            size = max(size, int(stated))
        if size > limits.max_page_bytes:
            why = (
                f"the page is {size} bytes, over [limits] max_page_bytes "
                f"({limits.max_page_bytes}); split the page or raise the limit"
            )
            return [], unknown_verdict(page, why, now)
    clock = time.perf_counter
    t0 = clock()
    try:
        claims = extract_claims(page, max_claims=limits.max_claims_per_page)
    except ExtractionError as e:
        return [], unknown_verdict(page, f"could not read the page: {e}", now)
    except Exception as e:  # a parser bug must cost one page, not the scan
        return [], unknown_verdict(page, f"could not read the page: {type(e).__name__}: {e}", now)
    if timings is not None:
        timings["extract"] = timings.get("extract", 0.0) + (clock() - t0)
    carried: tuple[StoredFinding | None, ...] = ()
    if stored is not None and touched is not None:
        carried = carried_findings(claims, stored, verifiers)
    return recheck_page(
        Recheck(page, tuple(claims), findings=carried),
        code,
        verifiers,
        judge_cfg,
        accepted=accepted,
        now=now,
        timings=timings,
        memo=memo,
        touched=touched if carried else None,
    )


def carried_findings(
    claims: Sequence[Claim], stored: StoredCheck, verifiers: Mapping[ClaimKind, Verifier]
) -> tuple[StoredFinding | None, ...]:
    """For each of `claims` (a page as extracted now), the finding stored for the
    same claim identity (kind, subject, value, context: what a memoizable finding
    depends on) at the page's last check, or None."""
    by_identity: dict[tuple[ClaimKind, str, str | None, str | None], StoredFinding] = {}
    for claim, finding in zip(stored.claims, stored.findings, strict=True):
        if finding is not None:
            ident = (claim.kind, claim.subject, claim.value, claim.context)
            by_identity.setdefault(ident, finding)
    if not by_identity:
        return ()
    return tuple(
        by_identity.get((c.kind, c.subject, c.value, c.context))
        if getattr(verifiers.get(c.kind), "memoizable", False)
        else None
        for c in claims
    )


@dataclass(frozen=True)
class FromStore:
    """A page to check with what the store holds for it, read where it is checked
    (a worker reads the store itself: the scan process sends three strings, not
    the claims). The stored findings hold under code `since_fp`.

    `page`: the page as read now. Its stored claims are used when its text, title
    and properties are unchanged (a git checkout moves every mtime); else it is
    extracted and keeps the findings of the claims it still makes. None: the page
    was not read (the wiki says unchanged, only the code moved); checked from its
    stored claims, or handed back (no rows) when the store has no check for it."""

    source: str
    page_id: str
    since_fp: str
    page: Page | None = None


@dataclass(frozen=True)
class Recheck:
    """A page's claims, known before it is verified and judged: those just
    extracted, or those stored with its last check (then `findings` are their
    stored findings, None for a hint, and `hazards` those found in its body)."""

    page: Page
    claims: tuple[Claim, ...]
    hazards: tuple[Signal, ...] = ()
    findings: tuple[StoredFinding | None, ...] = ()


def recheck_page(
    item: Recheck,
    code: Codebase,
    verifiers: Mapping[ClaimKind, Verifier],
    judge_cfg: JudgeConfig,
    *,
    accepted: dict[tuple[str, str, str], str] | None = None,
    now: datetime | None = None,
    timings: dict[str, float] | None = None,
    memo: FindingMemo | None = None,
    touched: ClaimTouch | None = None,
) -> tuple[list[Claim], Verdict]:
    """Verify and judge a page whose claims are known (`check_page` after it has
    extracted them). With `touched` (whether what moved in the code since the
    stored findings can touch a claim), a claim that nothing changed can touch
    keeps its stored finding; only the rest is verified."""
    from stale.triage import apply_accepted

    clock = time.perf_counter
    t1 = clock()
    claims = list(item.claims)
    kept: dict[int, Finding] = {}
    if touched is not None and len(item.findings) == len(claims):
        for i, (claim, stored) in enumerate(zip(claims, item.findings, strict=True)):
            if stored is None or claim.kind in HINT_KINDS:
                continue
            if not touched(claim.kind, claim.subject, claim.value, stored.evidence):
                kept[i] = stored.finding(claim)
    to_verify = [c for i, c in enumerate(claims) if i not in kept]
    fresh = iter(verify_claims(to_verify, code, verifiers, memo))  # one per claim but hints
    found = [
        kept[i] if i in kept else next(fresh)
        for i, claim in enumerate(claims)
        if claim.kind not in HINT_KINDS
    ]
    findings = apply_accepted(found, accepted or {})
    t2 = clock()
    verdict = judge(item.page, claims, findings, judge_cfg, signals=item.hazards, now=now)
    if timings is not None:
        timings["verify"] = timings.get("verify", 0.0) + (t2 - t1)
        timings["judge"] = timings.get("judge", 0.0) + (clock() - t2)
    return claims, verdict


class RepoSet:
    """The configured repositories: cheap fingerprints up front, the code index
    built on first use only, and views of any subset of repos."""

    def __init__(
        self,
        repos: Sequence[tuple[str, Any]],
        limits: LimitsConfig | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        from stale.codebase import repo_fingerprint

        self.repos = list(repos)
        self.limits = limits
        self.cache_dir = cache_dir  # the on-disk index cache (stale/codebase/cache.py)
        self.cached: list[str] = []  # repos whose index came from the cache
        self.names = tuple(name for name, _ in self.repos)
        self.fingerprints = {name: repo_fingerprint(path) for name, path in self.repos}
        self._full: Codebase | None = None
        self._fps: dict[tuple[str, ...], str] = {}
        self._views: dict[tuple[str, ...], Codebase] = {}
        self._changes: dict[tuple[str, str], RepoChange | None] = {}
        self._touch: dict[str, dict[str, str]] = {}
        self._touched: dict[tuple[str, str, tuple[str, ...]], set[str] | None] = {}
        # per source: the touched sets a forked child is working out (`prefetch_touched`)
        self._prefetch: dict[str, Forked[dict[tuple[str, tuple[str, ...]], set[str]] | None]] = {}
        self._memos: dict[tuple[str, ...], FindingMemo] = {}
        self._since: dict[tuple[str, tuple[str, ...]], list[RepoChange] | None] = {}
        self._claim_touch: dict[tuple[str, tuple[str, ...]], ClaimTouch | None] = {}
        self.index_seconds = 0.0

    def fingerprint(self, names: Sequence[str]) -> str:
        key = tuple(names)
        fp = self._fps.get(key)
        if fp is None:
            fp = self._fps[key] = ";".join(f"{n}@{self.fingerprints[n]}" for n in key)
        return fp

    def change(self, name: str, old: str) -> RepoChange | None:
        """What changed in repo `name` since commit `old` (cached), or None if unknown."""
        from stale.incremental import repo_change

        key = (name, old)
        if key not in self._changes:
            path = dict(self.repos)[name]
            self._changes[key] = repo_change(Path(path), old, self.fingerprints[name])
        return self._changes[key]

    def unaffected(
        self, store: Store, source: str, page_id: str, old_fp: str, names: tuple[str, ...]
    ) -> bool:
        """True when the repos moved but nothing this page claims can read differently."""
        key = (source, old_fp, names)
        # asked of every page: one dict lookup once the source's pages are worked out
        touched = self._touched[key] if key in self._touched else self.touched(*key, store)
        # a page without touch points has no claims: nothing in the code can change it
        return touched is not None and page_id not in touched

    def touched(
        self, source: str, old_fp: str, names: tuple[str, ...], store: Store
    ) -> set[str] | None:
        """The pages of `source` whose claims what changed in `names` since `old_fp`
        can touch (None: unknown, every page may be), worked out for every page at
        once (one pass in C calls) and kept."""
        key = (source, old_fp, names)
        if key not in self._touched and source in self._prefetch:
            found = self._prefetch.pop(source).result()
            for (fp, ns), ids in (found or {}).items():
                self._touched[(source, fp, ns)] = ids
        if key not in self._touched:
            from stale.incremental import touched_pages

            changes = self.changes_since(old_fp, names)
            self._touched[key] = (
                None
                if changes is None
                else touched_pages(self._touch_points(store, source), changes)
            )
        return self._touched[key]

    def prefetch_touched(
        self, store: Store, source: str, keys: Iterable[tuple[str, tuple[str, ...]]]
    ) -> None:
        """Start working out, in a forked child, which pages of `source` the changes
        since each (old fingerprint, repo names) touch, for `unaffected` to pick up.
        Reading and testing every page's touch points takes about a second per
        100k pages; meanwhile this process builds the code index."""
        from stale.incremental import touched_pages

        changes = {
            key: found
            for key in keys
            if (source, *key) not in self._touched
            and (found := self.changes_since(*key)) is not None
        }
        if not changes or source in self._prefetch:
            return
        path = store.path

        def work() -> dict[tuple[str, tuple[str, ...]], set[str]] | None:
            with Store.open(path, create=False, readonly=True) as reader:
                rows = dict(reader.all_page_touch(source))
            if any(t is None for t in rows.values()):
                return None  # stored before touch points: `_touch_points` fills them in
            touches = {pid: t for pid, t in rows.items() if t}
            return {key: touched_pages(touches, found) for key, found in changes.items()}

        self._prefetch[source] = Forked(work)

    def close(self) -> None:
        """Stop what `prefetch_touched` started and nothing asked for."""
        for pending in self._prefetch.values():
            pending.cancel()
        self._prefetch.clear()

    def prepare_changes(self, fingerprints: Iterable[str]) -> None:
        """Work out `changes_since` for stored code fingerprints of configured repos."""
        from stale.incremental import split_fingerprint

        for fp in sorted(fingerprints):
            names = tuple(split_fingerprint(fp))
            if names and set(names) <= set(self.names) and fp != self.fingerprint(names):
                self.changes_since(fp, names)

    def changes_since(self, old_fp: str, names: tuple[str, ...]) -> list[RepoChange] | None:
        """What changed in `names` since the fingerprint `old_fp` (None: unknown, or
        other repos); the same few fingerprints come back for every page."""
        from stale.incremental import split_fingerprint

        key = (old_fp, names)
        if key not in self._since:
            old = split_fingerprint(old_fp)
            found: list[RepoChange] | None = None
            if set(old) == set(names):
                moved = [n for n in names if old[n] != self.fingerprints[n]]
                changes = [self.change(n, old[n]) for n in moved]
                if all(c is not None for c in changes):
                    found = [c for c in changes if c is not None]
            self._since[key] = found
        return self._since[key]

    def claim_touch(self, old_fp: str, names: tuple[str, ...]) -> ClaimTouch | None:
        """Whether what changed in `names` since `old_fp` can touch a claim (None:
        unknown): one per process and fingerprint, so its answers are reused."""
        from stale.incremental import ClaimTouch

        key = (old_fp, names)
        if key not in self._claim_touch:
            changes = self.changes_since(old_fp, names)
            self._claim_touch[key] = ClaimTouch(changes) if changes is not None else None
        return self._claim_touch[key]

    def _touch_points(self, store: Store, source: str) -> dict[str, str]:
        """Every page's touch points (PageTouch JSON) for a source, read once per
        scan (a moved repo makes the scan ask about every page). Kept as JSON: most
        pages are asked once, and sets cost more to build than to skip."""
        from stale.incremental import PageTouch, touch_points

        if source not in self._touch:
            rows = dict(store.all_page_touch(source))
            missing = [pid for pid, t in rows.items() if t is None]
            if missing:  # verdicts stored before touch points were: read the claims, once
                from_claims = touch_points(store.all_touch_points(source))
                empty = PageTouch(frozenset(), frozenset(), frozenset())
                filled = [(pid, from_claims.get(pid, empty).to_json()) for pid in missing]
                store.set_touch(source, filled)
                rows.update(filled)
            self._touch[source] = {pid: t for pid, t in rows.items() if t}
        return self._touch[source]

    def finding_memo(self, names: Sequence[str]) -> FindingMemo:
        """The verifier memo for the codebase of `names` (each process has its own:
        a worker forked with the parent's keeps using it, it is never sent back)."""
        return self._memos.setdefault(tuple(names), {})

    def code(self, names: Sequence[str]) -> Codebase:
        from stale.codebase import Codebase
        from stale.codebase.cache import build_index_cached

        if self._full is None:
            t0 = time.perf_counter()
            indexes = []
            for name, path in self.repos:
                index, hit = build_index_cached(
                    name, Path(path), self.limits, self.cache_dir, background=True
                )
                indexes.append(index)
                if hit:
                    self.cached.append(name)
            self._full = Codebase(indexes)
            self.index_seconds = time.perf_counter() - t0
        key = tuple(names)
        if key == self.names:
            return self._full
        if key not in self._views:
            self._views[key] = Codebase([r for r in self._full.repos if r.name in key])
        return self._views[key]


def index_cache_dir(store_path: Path) -> Path:
    """Where the code indexes of a store's repos are cached: beside the store."""
    return store_path.parent / "cache" / "index"


def code_fingerprint(repos: Iterable[tuple[str, Any]]) -> str:
    from stale.codebase import repo_fingerprint

    return ";".join(f"{name}@{repo_fingerprint(path)}" for name, path in repos)


def _split_names(value: str) -> list[str]:
    return [n.strip() for n in value.replace(";", ",").split(",") if n.strip()]


def page_repos(page: Page, src: SourceConfig, all_names: Sequence[str]) -> tuple[str, ...]:
    """The repos a page's claims resolve against: the page's own `repo`/`repos`
    (front matter) first, then the source's repo_map (by `space` or page-id
    folder prefix, longest prefix wins), then the source's repos, then all.
    Names that are not configured are dropped (the page says which it meant)."""
    return repos_for(page.page_id, page.properties, src, all_names)


def repos_for(
    page_id: str,
    properties: Sequence[tuple[str, str]],
    src: SourceConfig,
    all_names: Sequence[str],
) -> tuple[str, ...]:
    """`page_repos` from a page's id and properties (no Page needed)."""
    props = dict(reversed(properties)) if properties else {}  # the first of a name wins
    declared = props.get("repos") or props.get("repo")
    if declared:
        return tuple(n for n in _split_names(declared) if n in all_names)
    if src.repo_map:
        space = props.get("space")
        if space and space in src.repo_map:
            return src.repo_map[space]
        best = ""
        for prefix in src.repo_map:
            norm = prefix.rstrip("/") + "/"
            if page_id.startswith(norm) and len(norm) > len(best.rstrip("/") + "/"):
                best = prefix
        if best:
            return src.repo_map[best]
    return src.repos or tuple(all_names)


# -- the semantic pass (stale/semantic): embeddings, superseded/drift/duplicate ---------


def _semantic_pass(cfg: Config, store: Store, result: ScanResult) -> Any:
    """The semantic pass when `[semantic] enabled`, else None. Imported here only."""
    if not cfg.semantic.enabled:
        return None
    from stale.semantic.scanpass import SemanticPass

    warnings: list[str] = result.semantic.setdefault("warnings", [])
    return SemanticPass(cfg, store, warn=warnings.append)


def _finish_semantic(semantic: Any, result: ScanResult, repo_set: RepoSet) -> None:
    """Embed, index, compute the signals, re-judge; a failure here costs the signals
    (one warning), never the scan."""
    if semantic is None:
        return
    try:
        stats = semantic.finish(result, repo_set)
    except Exception as e:
        result.semantic.setdefault("warnings", []).append(
            f"semantic signals skipped: {type(e).__name__}: {e}"
        )
        return
    result.embedder = stats.embedder
    result.semantic.update(stats.as_dict())


def run_scan(
    cfg: Config,
    store: Store,
    *,
    full: bool = False,
    on_page: Callable[[Page, Status | None], None] | None = None,
) -> ScanResult:
    """Scan every configured source. Raises ConfigError for bad config,
    ScanError when nothing can run (e.g. a repo cannot be read), StoreLocked
    when another scan holds the store."""
    from stale.codebase.cache import wait_for_writes

    with ScanLock(store.path):
        store.mark_interrupted()
        try:
            return _run_scan(cfg, store, full=full, on_page=on_page)
        finally:
            wait_for_writes()  # the index cache, written beside the scan


def _run_scan(
    cfg: Config,
    store: Store,
    *,
    full: bool,
    on_page: Callable[[Page, Status | None], None] | None,
) -> ScanResult:
    from connectors.base import ConnectorError, PageNotFound
    from stale.codebase import CodebaseError
    from stale.triage import Baseline, TriageError, sync_baseline

    started = time.monotonic()
    if not cfg.sources:
        raise ConfigError("sources: nothing to scan; pass --wiki DIR or add a [[sources]] entry")
    connectors = [(src, make_connector(src, cfg.limits)) for src in cfg.sources]
    verifiers = load_verifiers()
    settings_fp = settings_fingerprint(cfg.judge, verifiers, cfg.limits)
    try:
        repo_set = RepoSet(
            [(r.name, r.path) for r in cfg.repos], cfg.limits, index_cache_dir(cfg.store)
        )
        baseline = Baseline.load(cfg.baseline_path)
    except (CodebaseError, TriageError) as e:
        raise ConfigError(str(e)) from None
    for r in cfg.repos:
        store.save_repo(r.name, str(r.path.resolve()), repo_set.fingerprints[r.name])
    # Pages whose accepted findings changed since the last run are re-judged now.
    sync_baseline(store, baseline, cfg.judge)
    accepted = baseline.reasons()

    run_id = store.start_run(repo_set.fingerprint(repo_set.names))
    result = ScanResult(run_id=run_id)
    semantic = _semantic_pass(cfg, store, result)  # [semantic]: None when off
    store_seconds = 0.0
    checker = PageChecker(
        CheckContext(
            repo_set=repo_set,
            verifiers=verifiers,
            judge_cfg=cfg.judge,
            accepted=accepted,
            now=datetime.now(UTC),
            limits=cfg.limits,
            store_path=store.path,
        ),
        resolve_workers(cfg.scan.workers),
        result.timings,
    )
    now = checker.ctx.now

    def save(batch: Sequence[tuple[PageRows, str]]) -> None:
        nonlocal store_seconds
        t0 = time.perf_counter()
        store.write_rows(batch, run_id=run_id, settings_fingerprint=settings_fp)
        store_seconds += time.perf_counter() - t0
        collector.collect_young()  # automatic collections are paused meanwhile

    def scan_source(src: SourceConfig, connector: Connector) -> None:
        describe = getattr(connector, "describe", None)
        store.save_source(
            SourceRecord(
                name=src.name,
                type=src.type,
                location=str(getattr(connector, "location", "")),
                options=describe() if callable(describe) else {},
                repos=tuple(src.repos or repo_set.names),
            )
        )
        max_age = cfg.scan.max_age_days
        # page id -> (content hash, code fingerprint, status, usable): a verdict
        # that is not usable (other settings, aged out) holds nothing over
        known = store.verdict_states(
            src.name,
            settings_fp,
            checked_before=(now - timedelta(days=max_age)).isoformat() if max_age else None,
        )
        batch: list[tuple[PageRows, str]] = []
        seen_unchanged: list[tuple[str, str]] = []
        refingerprint: list[tuple[str, str, str, int]] = []
        # Verdicts under an old code fingerprint that still hold under the new one
        # are recorded as one alias per (old, new) after a complete crawl, not by
        # rewriting every carried verdict (~2 s per 100k pages).
        aliases = store.code_fp_aliases(src.name)
        moved_fps: set[tuple[str, str]] = set()
        lost_any = False
        # What moved in the code since the stored verdicts, worked out before the
        # worker pool forks so that every worker inherits it (rechecks ask it).
        # (the fingerprints usable stored verdicts hold under, aliases followed)
        stored_fps = {aliases.get(v[1], v[1]) for v in known.values() if v[3]}
        repo_set.prepare_changes(stored_fps)
        # A connector that can list what changed since a time (MediaWiki recent
        # changes, Confluence CQL) is asked only for that, after a complete crawl.
        crawled_at = store.crawled_at(src.name)
        since = (
            crawled_at
            if not full and crawled_at is not None and getattr(connector, "incremental", False)
            else None
        )
        seen_ids: set[str] = set()
        # Pages the crawl will likely not return (unchanged in the wiki) but the
        # code moved under: sent to the workers while the crawl is still reading,
        # so that checking them overlaps with it (see `feed`).
        early: list[tuple[str, tuple[str, ...], str]] = []
        early_sent: set[str] = set()
        # A page can be checked twice in a run (sent early, then returned edited by
        # the crawl): the status its last result counted, to take back if another
        # result replaces it, and the pages counted as seen.
        recorded: dict[str, str] = {}
        counted: set[str] = set()
        gone: set[str] = set()  # forgotten this run: a result that comes back is dropped

        def see(page_id: str) -> None:
            if page_id not in counted:
                counted.add(page_id)
                result.seen += 1

        def carry(key: tuple[str, str]) -> None:
            result.carried += 1
            if since is None:  # only a complete listing may forget the pages it did not see
                seen_unchanged.append(key)
            held = known.get(key[1])
            status = held[2] if held is not None else "unknown"
            result.counts[status] = result.counts.get(status, 0) + 1
            if len(seen_unchanged) >= 5000:
                store.mark_seen(seen_unchanged, run_id)
                seen_unchanged.clear()

        def up_to_date(
            page_id: str, content_hash: str, names: tuple[str, ...], code_fp: str
        ) -> bool:
            """The stored verdict still holds (refingerprinted when the repos
            moved but not under anything the page claims). `content_hash`: the
            page as read now ("": not read, unchanged in the wiki)."""
            stored = known.get(page_id)
            if full or stored is None or not stored[3]:
                return False
            if stored[0] != content_hash and content_hash:
                return False
            if stored[1] == code_fp:
                return True
            old_fp = aliases.get(stored[1], stored[1])
            if old_fp == code_fp:
                return True
            if repo_set.unaffected(store, src.name, page_id, old_fp, names):
                refingerprint.append((src.name, page_id, code_fp, run_id))
                moved_fps.add((old_fp, code_fp))
                return True
            return False

        def process(page: Page) -> None:
            see(page.page_id)
            seen_ids.add(page.page_id)
            if semantic is not None:
                semantic.see(page)
            names = page_repos(page, src, repo_set.names)
            code_fp = repo_set.fingerprint(names)
            if up_to_date(page.page_id, page.content_hash, names, code_fp):
                carry(page.key)
                if on_page:
                    on_page(page, None)
                return
            if names:
                # a page with a usable stored check keeps what still holds of it
                item: Page | FromStore = (
                    FromStore(src.name, page.page_id, stored_fp(page.page_id), page)
                    if stored_usable(page.page_id)
                    else page
                )
                check(item, names, (page, code_fp))
                return
            declared = page.prop("repos") or page.prop("repo") or ""
            why = (
                f"the page names repos that are not configured: {declared}"
                if repo_set.names
                else "no repository configured to check against; pass --repo"
            )
            record(page, page_rows(page, [], unknown_verdict(page, why, now)), code_fp)

        def stored_fp(page_id: str) -> str:
            """The code fingerprint a stored verdict holds under (aliases followed)."""
            fp = known[page_id][1]
            return aliases.get(fp, fp)

        def stored_usable(page_id: str) -> bool:
            """Whether a page's stored check may be built on: its verdict is neither
            aged out nor from other settings (and no --full)."""
            stored = known.get(page_id)
            return not full and stored is not None and stored[3]

        def check(item: Page | FromStore, names: tuple[str, ...], tag: tuple[Page, str]) -> None:
            take(checker.add(item, names, tag))

        def take(done: list[tuple[tuple[Page, str], PageRows | None]]) -> None:
            for (page, code_fp), rows in done:
                if rows is not None:
                    record(page, rows, code_fp)
                else:  # the store holds no check for this unread page: read it
                    fetch(page.page_id)

        def fetch(page_id: str) -> None:
            """Read a page the crawl did not return, and check it."""
            try:
                fetched = connector.page(page_id)
            except PageNotFound:
                forget(page_id)
                return
            process(fetched)

        def forget(page_id: str) -> None:
            """A page gone from the wiki: its rows go, and a result for it that is
            still on its way is dropped."""
            store.forget_page(src.name, page_id)
            result.forgotten += 1
            gone.add(page_id)
            batch[:] = [(rows, fp) for rows, fp in batch if rows.page_id != page_id]
            if page_id in counted:
                counted.discard(page_id)
                result.seen -= 1
            uncount(page_id)

        def check_unread(page_id: str, names: tuple[str, ...], code_fp: str) -> None:
            """Check a page the crawl did not return (unchanged in the wiki) because
            the code moved under it: from its stored claims, read by the worker."""
            see(page_id)
            if semantic is not None:
                semantic.rechecked((src.name, page_id))
            stub = Page(src.name, page_id, url="", title="", body="", content_type="")
            check(FromStore(src.name, page_id, stored_fp(page_id)), names, (stub, code_fp))

        def moved_under(page_id: str, names: tuple[str, ...], code_fp: str) -> bool:
            """The page's stored verdict is usable but the code moved under its
            claims: it is checked again from its stored claims if the wiki did not
            change it (`up_to_date` without its bookkeeping)."""
            if not (names and stored_usable(page_id)):
                return False
            old_fp = stored_fp(page_id)
            return old_fp != code_fp and not repo_set.unaffected(
                store, src.name, page_id, old_fp, names
            )

        def moved_pages() -> list[tuple[str, tuple[str, ...], str]]:
            """(page id, repo names, code fingerprint) of every stored page the code
            moved under (`moved_under`), in page order. Pages checked against the
            source's repos are taken by stored fingerprint, a set at a time."""
            out: list[tuple[str, tuple[str, ...], str]] = []
            by_fp: dict[str, list[str]] = {}
            for page_id, state in known.items():
                if plain is None or props.get(page_id):
                    names = names_of(page_id)
                    code_fp = repo_set.fingerprint(names)
                    if moved_under(page_id, names, code_fp):
                        out.append((page_id, names, code_fp))
                elif state[3]:
                    by_fp.setdefault(state[1], []).append(page_id)
            if plain and not full:
                plain_fp = repo_set.fingerprint(plain)
                for fp, ids in by_fp.items():
                    old_fp = aliases.get(fp, fp)
                    if old_fp == plain_fp:
                        continue
                    touched = repo_set.touched(src.name, old_fp, plain, store)
                    moved = ids if touched is None else [pid for pid in ids if pid in touched]
                    out.extend((page_id, plain, plain_fp) for page_id in moved)
            out.sort()
            return out

        def feed() -> None:
            """Send early pages while the workers have little queued. A page the
            crawl returns after all (its text changed too) is checked again from
            what was read, and that result replaces the early one (`record`)."""
            while early and checker.hungry():
                page_id, names, code_fp = early.pop()
                if page_id not in seen_ids:
                    early_sent.add(page_id)
                    check_unread(page_id, names, code_fp)

        def flush() -> None:
            """Record every page still being checked."""
            while done := checker.finish():  # a page read here is checked too
                take(done)
            nonlocal lost_any
            lost_any = lost_any or bool(checker.lost)
            for (page, _), why in checker.lost:
                carry(page.key)  # seen this run: kept, never forgotten as gone
                result.errors.append(
                    f"source {src.name}: {page.page_id}: not checked, {why}; its earlier "
                    "verdict is kept (rerun with [scan] workers = 1 to find the cause)"
                )
            checker.lost.clear()

        def uncount(page_id: str) -> None:
            """Take back what recording a page's result counted."""
            replaced = recorded.pop(page_id, None)
            if replaced is None:
                return
            result.rechecked -= 1
            result.counts[replaced] -= 1
            for keys in (result.newly_stale, result.newly_current):
                if (src.name, page_id) in keys:
                    keys.remove((src.name, page_id))

        def record(page: Page, rows: PageRows, code_fp: str) -> None:
            if page.page_id in gone:
                return
            status = rows.status
            uncount(page.page_id)  # checked before in this run: this result counts
            recorded[page.page_id] = status
            result.rechecked += 1
            result.counts[status] = result.counts.get(status, 0) + 1
            held = known.get(page.page_id)
            before = held[2] if held is not None else None
            if status == Status.STALE and before != "stale":
                result.newly_stale.append(page.key)
            if status == Status.CURRENT and before in ("stale", "suspect"):
                result.newly_current.append(page.key)
            batch.append((rows, code_fp))
            if on_page:
                on_page(page, Status(status))
            if len(batch) >= BATCH_SIZE:
                save(batch)
                batch.clear()

        props: dict[str, tuple[tuple[str, str], ...]] = {}
        # without a repo_map, a page without properties checks against the
        # source's repos: worked out once, not per page
        plain = None if src.repo_map else repos_for("", (), src, repo_set.names)

        def names_of(page_id: str) -> tuple[str, ...]:
            page_props = props.get(page_id)
            if plain is not None and not page_props:
                return plain
            return repos_for(page_id, page_props or (), src, repo_set.names)

        crawl_complete = False
        try:
            if since is not None and known:
                props = store.all_page_properties(src.name)
                if plain:
                    # Which pages the code moved under is worked out beside the code
                    # index (needed anyway: the workers fork with it), not after it.
                    moved = stored_fps - {repo_set.fingerprint(plain)}
                    if moved and checker.workers > 1:  # on one core, nothing to overlap
                        repo_set.prefetch_touched(store, src.name, [(fp, plain) for fp in moved])
                        checker.build_index()
                early.extend(reversed(moved_pages()))  # popped in page order
                feed()
            for page in connector.pages(since=since) if since else connector.pages():
                process(page)
                feed()
            if since is not None:
                stored = store.verdict_page_ids(src.name)
                listed = getattr(connector, "listed_ids", None)
                if isinstance(listed, set):
                    # A connector that lists every page id cheaply (a folder) tells
                    # pages that are gone from pages that did not change, and pages
                    # that appeared with an old timestamp (a moved folder) are read.
                    for page_id in sorted(stored - listed - seen_ids):
                        forget(page_id)
                    stored &= listed
                    for page_id in sorted(listed - stored - seen_ids):
                        try:
                            process(connector.page(page_id))
                        except PageNotFound:
                            continue
                # Pages the partial crawl did not return are unchanged in the wiki;
                # fetch one only when the code moved under it or its verdict aged.
                unseen = sorted(stored - seen_ids - early_sent)
                if unseen and not props:
                    props = store.all_page_properties(src.name)
                for page_id in unseen:
                    names = names_of(page_id)
                    code_fp = repo_set.fingerprint(names)
                    if up_to_date(page_id, "", names, code_fp):
                        see(page_id)
                        carry((src.name, page_id))
                    elif names and stored_usable(page_id):
                        check_unread(page_id, names, code_fp)
                    else:
                        fetch(page_id)
            flush()
            crawl_complete = True
        except ConnectorError as e:
            result.errors.append(f"source {src.name}: {e}")
        except CodebaseError as e:
            raise ScanError(str(e)) from None
        finally:
            if batch:
                save(batch)
            store.mark_seen(seen_unchanged, run_id)
            if crawl_complete and not lost_any:
                # every verdict under an old fingerprint was checked again or carried
                store.alias_code_fingerprints(src.name, moved_fps)
            else:
                store.refingerprint(refingerprint)
        if crawl_complete:
            store.set_crawled_at(src.name, now)
            if since is None:
                # Only a complete crawl may conclude that a page is gone.
                result.forgotten += store.forget_unseen(src.name, run_id)

    try:
        with checker, collector.paused():  # see stale.collector (the semantic pass: as usual)
            for src, connector in connectors:
                scan_source(src, connector)
        result.workers = checker.workers if checker.pooled else 1
        semantic_t0 = time.perf_counter()
        _finish_semantic(semantic, result, repo_set)
        semantic_seconds = time.perf_counter() - semantic_t0
    except BaseException as e:
        result.elapsed_s = time.monotonic() - started
        store.finish_run(run_id, "failed", {**result.as_dict(), "error": str(e)})
        raise
    finally:
        repo_set.close()
    result.elapsed_s = time.monotonic() - started
    result.timings["index"] = repo_set.index_seconds
    result.index_cached = list(repo_set.cached)
    result.timings["store"] = store_seconds
    # extract/verify/judge are CPU seconds summed over the workers; what is left of
    # the wall clock after checking, indexing, storing and the semantic pass is
    # reading pages from the sources (and bookkeeping)
    waited = checker.wait_seconds - repo_set.index_seconds  # the index is built on first check
    result.timings["crawl"] = max(
        0.0,
        result.elapsed_s
        - max(waited, 0.0)
        - repo_set.index_seconds
        - store_seconds
        - semantic_seconds,
    )
    store.finish_run(run_id, "complete" if not result.errors else "partial", result.as_dict())
    return result
