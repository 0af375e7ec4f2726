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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from stale import __version__, plugins
from stale.config import Config, ConfigError, JudgeConfig, SourceConfig
from stale.judge import judge, unknown_verdict
from stale.model import HINT_KINDS, Claim, ClaimKind, Finding, Outcome, Page, Status, Verdict
from stale.store import SourceRecord, Store

if TYPE_CHECKING:
    from connectors.base import Connector
    from stale.codebase import Codebase
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
        }


def make_connector(src: SourceConfig) -> Connector:
    """Instantiate a configured source's connector; config problems -> ConfigError."""
    from connectors.base import ConnectorError

    try:
        cls = plugins.load("stale.connectors", src.type)
    except plugins.PluginError as e:
        raise ConfigError(f"sources.{src.name}.type: {e}") from None
    try:
        connector: Connector = cls.from_config(src.name, src.options)
    except ConnectorError as e:
        raise ConfigError(str(e)) from None
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


def settings_fingerprint(judge_cfg: JudgeConfig, verifiers: Mapping[ClaimKind, Any]) -> str:
    """What else a verdict depends on: stale's version, the judge settings, the plugins."""
    names = sorted(f"{k}={type(v).__module__}.{type(v).__qualname__}" for k, v in verifiers.items())
    return f"{__version__}|{judge_cfg.fingerprint()}|{','.join(names)}"


def verify_claims(
    claims: Sequence[Claim], code: Codebase, verifiers: Mapping[ClaimKind, Verifier]
) -> list[Finding]:
    """One Finding per checkable claim. Claims told as history are checked too:
    the judge never counts them against a page, but a past-tense claim that
    matches the repository's history is evidence that a postmortem or ADR is an
    accurate record. A verifier that raises gives `unverifiable` for that claim
    (with the error), never a failed page."""
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
        try:
            findings.append(verifier.verify(claim, code))
        except Exception as e:
            findings.append(
                Finding(
                    claim,
                    Outcome.UNVERIFIABLE,
                    message=f"could not check: {type(e).__name__}: {e}",
                )
            )
    return findings


def check_page(
    page: Page,
    code: Codebase,
    verifiers: Mapping[ClaimKind, Verifier],
    judge_cfg: JudgeConfig,
    *,
    now: datetime | None = None,
) -> tuple[list[Claim], Verdict]:
    """Extract, verify and judge one page. Never raises for a bad page: a page
    that cannot be parsed comes back `unknown` with the reason."""
    from stale.extract import ExtractionError, extract_claims

    try:
        claims = extract_claims(page)
    except ExtractionError as e:
        return [], unknown_verdict(page, f"could not read the page: {e}", now)
    except Exception as e:  # a parser bug must cost one page, not the scan
        return [], unknown_verdict(page, f"could not read the page: {type(e).__name__}: {e}", now)
    findings = verify_claims(claims, code, verifiers)
    return claims, judge(page, claims, findings, judge_cfg, now=now)


class _LazyCodebase:
    """Builds the code index for a set of repos on first use only."""

    def __init__(self, repos: Sequence[tuple[str, Any]]) -> None:
        self.repos = list(repos)
        self._code: Codebase | None = None
        self.built = False

    def get(self) -> Codebase:
        if self._code is None:
            from stale.codebase import build_codebase

            self._code = build_codebase(self.repos)
            self.built = True
        return self._code


def code_fingerprint(repos: Iterable[tuple[str, Any]]) -> str:
    from stale.codebase import repo_fingerprint

    return ";".join(f"{name}@{repo_fingerprint(path)}" for name, path in repos)


def run_scan(
    cfg: Config,
    store: Store,
    *,
    full: bool = False,
    on_page: Callable[[Page, Status | None], None] | None = None,
) -> ScanResult:
    """Scan every configured source. Raises ConfigError for bad config,
    ScanError when nothing can run (e.g. a repo cannot be read)."""
    from connectors.base import ConnectorError
    from stale.codebase import CodebaseError

    started = time.monotonic()
    if not cfg.sources:
        raise ConfigError("sources: nothing to scan; pass --wiki DIR or add a [[sources]] entry")
    connectors = [(src, make_connector(src)) for src in cfg.sources]
    verifiers = load_verifiers()
    settings_fp = settings_fingerprint(cfg.judge, verifiers)

    all_repos = [(r.name, r.path) for r in cfg.repos]
    try:
        full_fp = code_fingerprint(all_repos)
    except CodebaseError as e:
        raise ConfigError(str(e)) from None
    for r in cfg.repos:
        store.save_repo(r.name, str(r.path.resolve()), None)

    run_id = store.start_run(full_fp)
    result = ScanResult(run_id=run_id)
    codebases: dict[tuple[str, ...], _LazyCodebase] = {}
    previous = {
        (s, p): st
        for s, p, st in store.conn.execute("SELECT source, page_id, status FROM verdicts")
    }
    now = datetime.now(UTC)
    try:
        for src, connector in connectors:
            repo_names = src.repos or tuple(r.name for r in cfg.repos)
            repos = [(r.name, r.path) for r in cfg.repos if r.name in repo_names]
            code_fp = code_fingerprint(repos)
            lazy = codebases.setdefault(tuple(repo_names), _LazyCodebase(repos))
            describe = getattr(connector, "describe", None)
            store.save_source(
                SourceRecord(
                    name=src.name,
                    type=src.type,
                    location=str(getattr(connector, "location", "")),
                    options=describe() if callable(describe) else {},
                    repos=tuple(repo_names),
                )
            )
            known = store.verdict_fingerprints(src.name)
            batch: list[tuple[Page, list[Claim], Verdict]] = []
            seen_unchanged: list[tuple[str, str]] = []
            crawl_complete = False
            try:
                for page in connector.pages():
                    result.seen += 1
                    fp = known.get(page.page_id)
                    if not full and fp == (page.content_hash, code_fp, settings_fp):
                        result.carried += 1
                        seen_unchanged.append(page.key)
                        status = Status(previous.get(page.key, "unknown"))
                        result.counts[str(status)] = result.counts.get(str(status), 0) + 1
                        if on_page:
                            on_page(page, None)
                        continue
                    if repos:
                        claims, verdict = check_page(
                            page, lazy.get(), verifiers, cfg.judge, now=now
                        )
                    else:
                        claims, verdict = (
                            [],
                            unknown_verdict(
                                page, "no repository configured to check against; pass --repo", now
                            ),
                        )
                    result.rechecked += 1
                    result.counts[str(verdict.status)] = (
                        result.counts.get(str(verdict.status), 0) + 1
                    )
                    before = previous.get(page.key)
                    if verdict.status is Status.STALE and before != "stale":
                        result.newly_stale.append(page.key)
                    if verdict.status is Status.CURRENT and before in ("stale", "suspect"):
                        result.newly_current.append(page.key)
                    batch.append((page, claims, verdict))
                    if on_page:
                        on_page(page, verdict.status)
                    if len(batch) >= BATCH_SIZE:
                        store.save_results(
                            batch,
                            run_id=run_id,
                            code_fingerprint=code_fp,
                            settings_fingerprint=settings_fp,
                        )
                        batch = []
                    if len(seen_unchanged) >= 5000:
                        store.mark_seen(seen_unchanged, run_id)
                        seen_unchanged = []
                crawl_complete = True
            except ConnectorError as e:
                result.errors.append(f"source {src.name}: {e}")
            except CodebaseError as e:
                raise ScanError(str(e)) from None
            finally:
                if batch:
                    store.save_results(
                        batch,
                        run_id=run_id,
                        code_fingerprint=code_fp,
                        settings_fingerprint=settings_fp,
                    )
                store.mark_seen(seen_unchanged, run_id)
            if crawl_complete:
                # Only a complete crawl may conclude that a page is gone.
                result.forgotten += store.forget_unseen(src.name, run_id)
    except BaseException as e:
        result.elapsed_s = time.monotonic() - started
        store.finish_run(run_id, "failed", {**result.as_dict(), "error": str(e)})
        raise
    result.elapsed_s = time.monotonic() - started
    store.finish_run(run_id, "complete" if not result.errors else "partial", result.as_dict())
    return result
