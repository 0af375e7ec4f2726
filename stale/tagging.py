"""Write-back: tag stale pages in the wiki, untag them when they are current again.

Write-back is a blast radius, so it is:

* **opt-in** per source: `tagging = { enabled = true }` in its `[[sources]]` entry;
* **previewed**: `plan_tags` (and `stale tag --dry-run`) says exactly which page
  gets which action and why, and changes nothing;
* **capped**: a source with more planned actions than `max_per_run` is not
  touched at all; the run reports it instead of tagging half the wiki. The cap
  counts distinct page writes (tag/untag): the HTTP retries of one write count
  once, reads (`verify`) not at all, and a run never attempts more writes than
  the cap, however many of them fail;
* **recorded**: every attempt goes into the store's `tag_actions` table (time,
  source, page, action, reason, status, error) *before* the wiki is written to
  (`started`), and is closed with its outcome: `ok`, `failed` (the wiki did not
  act) or `unknown` (no answer, or a 5xx, after the write was sent; a run killed
  mid-write leaves `started`, which the next run turns into `unknown`). The
  `tags` table holds what the wiki confirmed, so a rerun does nothing twice;
* **convergent**: a page whose last attempt has an unknown outcome is settled by
  the next run, which reads the wiki before it believes either way: its tag or
  untag is planned again (connectors' `tag`/`untag` read the page and write only
  when needed, so they are idempotent), or, when its verdict asks for neither,
  a `verify` reads whether it is tagged and records that;
* **stopped early** when the wiki keeps failing: after `max_failures`
  consecutive failed or unknown writes, the rest of the source waits for the
  next run;
* **reversible**: a tagged page whose verdict turns `current` is untagged.

The wiki-side form of a tag (a MediaWiki category and/or banner template, a
Confluence label) is the connector's business: the same `tagging` table holds
its keys (`category`, `banner`, `label`), which the connector validates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.base import ConnectorError
from stale.model import Page, Status, Verdict

if TYPE_CHECKING:
    from stale.config import Config, SourceConfig
    from stale.store import Store

DEFAULT_MAX_PER_RUN = 20
#: consecutive failed (or unknown) writes after which a run stops for a source
DEFAULT_MAX_FAILURES = 3
#: the actions that write to the wiki (and count against max_per_run)
WRITES = ("tag", "untag")
#: Keys of a source's `tagging` table every connector accepts.
COMMON_KEYS = frozenset({"enabled", "max_per_run", "statuses"})
_TAGGABLE_STATUSES = ("stale", "suspect")


class TaggingConfigError(ConnectorError):
    """A bad `tagging` table; the message names the key."""


@dataclass(frozen=True)
class TaggingConfig:
    enabled: bool = False
    max_per_run: int = DEFAULT_MAX_PER_RUN
    statuses: tuple[str, ...] = ("stale",)  # verdicts that get a tag
    extra: Mapping[str, Any] = field(default_factory=dict)  # connector keys: category, ...


def parse_tagging(
    source: str, raw: Any, connector_keys: Mapping[str, type] | None = None
) -> TaggingConfig:
    """Validate `sources.<source>.tagging`; `connector_keys` are the connector's own keys."""
    key = f"sources.{source}.tagging"
    if raw is None:
        return TaggingConfig()
    if not isinstance(raw, Mapping):
        raise TaggingConfigError(f"{key}: expected a table, e.g. {{ enabled = true }}")
    own = dict(connector_keys or {})
    allowed = sorted(COMMON_KEYS | set(own))
    for k in raw:
        if k not in COMMON_KEYS and k not in own:
            raise TaggingConfigError(f"{key}.{k}: unknown key; allowed here: {', '.join(allowed)}")
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise TaggingConfigError(f"{key}.enabled: expected true or false, got {enabled!r}")
    cap = raw.get("max_per_run", DEFAULT_MAX_PER_RUN)
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
        raise TaggingConfigError(f"{key}.max_per_run: expected an integer >= 0, got {cap!r}")
    statuses = raw.get("statuses", ["stale"])
    if isinstance(statuses, str):
        statuses = [statuses]
    if not isinstance(statuses, list) or not statuses:
        raise TaggingConfigError(f'{key}.statuses: expected a list, e.g. ["stale"]')
    for s in statuses:
        if s not in _TAGGABLE_STATUSES:
            raise TaggingConfigError(
                f"{key}.statuses: {s!r} cannot be tagged; use {' or '.join(_TAGGABLE_STATUSES)}"
            )
    extra: dict[str, Any] = {}
    for k, want in own.items():
        if k in raw:
            if not isinstance(raw[k], want):
                kind = {str: "a string", bool: "true or false", int: "an integer"}.get(want, "")
                raise TaggingConfigError(f"{key}.{k}: expected {kind}, got {raw[k]!r}")
            extra[k] = raw[k]
    return TaggingConfig(enabled, cap, tuple(statuses), extra)


@dataclass(frozen=True)
class TagAction:
    source: str
    page_id: str
    title: str
    url: str
    action: str  # "tag" | "untag" | "verify" (read only: after an unknown outcome)
    reason: str
    #: the last attempt on this page had an unknown outcome: the wiki is read first
    unsettled: bool = False


@dataclass
class SourcePlan:
    source: str
    enabled: bool
    actions: list[TagAction] = field(default_factory=list)
    max_per_run: int = DEFAULT_MAX_PER_RUN
    note: str = ""  # why nothing happens for this source

    @property
    def writes(self) -> int:
        """Planned wiki writes (tag/untag); `verify` reads do not count."""
        return sum(a.action in WRITES for a in self.actions)

    @property
    def over_cap(self) -> bool:
        return self.writes > self.max_per_run


@dataclass
class TagResult:
    done: list[TagAction] = field(default_factory=list)
    failed: list[tuple[TagAction, str]] = field(default_factory=list)  # the wiki did not act
    #: writes that may or may not have been applied; the next run reads them first
    unknown: list[tuple[TagAction, str]] = field(default_factory=list)
    verified: list[tuple[TagAction, bool]] = field(default_factory=list)  # (verify, found tagged)
    skipped: list[str] = field(default_factory=list)  # one line per source not touched
    stopped: list[str] = field(default_factory=list)  # one line per source stopped early

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown or self.skipped or self.stopped)

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": [vars(a) for a in self.done],
            "failed": [{**vars(a), "error": e} for a, e in self.failed],
            "unknown": [{**vars(a), "error": e} for a, e in self.unknown],
            "verified": [{**vars(a), "tagged": t} for a, t in self.verified],
            "skipped": list(self.skipped),
            "stopped": list(self.stopped),
        }


def source_tagging(src: SourceConfig) -> TaggingConfig:
    """The common part of a source's tagging table (the connector checks its own keys)."""
    raw = src.options.get("tagging")
    extra_keys = {k: object for k in raw} if isinstance(raw, Mapping) else {}
    return parse_tagging(
        src.name, raw, {k: t for k, t in extra_keys.items() if k not in COMMON_KEYS}
    )


def _reason(v: Verdict) -> str:
    if v.reasons:
        return v.reasons[0].splitlines()[0][:200]
    return f"stale found this page {v.status} (score {v.score:.2f})"


def plan_source(store: Store, src: SourceConfig) -> SourcePlan:
    """What tagging would do for one source now: tag pages whose verdict has a
    tagged status and that stale has not tagged yet; untag pages stale tagged that
    are current now."""
    tcfg = source_tagging(src)
    plan = SourcePlan(src.name, tcfg.enabled, max_per_run=tcfg.max_per_run)
    if not tcfg.enabled:
        plan.note = f"tagging is off; set sources.{src.name}.tagging.enabled = true"
        return plan
    tagged = store.tagged(src.name)
    unsettled = store.unsettled_tags(src.name)
    rows = store.conn.execute(
        "SELECT v.page_id, p.title, p.url FROM verdicts v JOIN pages p "
        "ON p.source = v.source AND p.page_id = v.page_id WHERE v.source = ? ORDER BY v.page_id",
        (src.name,),
    ).fetchall()
    for page_id, title, url in rows:
        verdict = store.verdict(src.name, page_id)
        if verdict is None:
            continue
        status = str(verdict.status)
        want_tag = status in tcfg.statuses
        want_untag = verdict.status is Status.CURRENT
        last = unsettled.get(page_id)
        if last is not None:
            # The last write's outcome is unknown: whatever the store says, the
            # wiki decides. tag/untag read the page first; else just read it.
            if want_tag:
                action, reason = "tag", _reason(verdict)
            elif want_untag:
                action, reason = "untag", "the page is current again"
            else:
                action = "verify"
                reason = f"the outcome of the last {last['action']} is unknown; read the wiki"
            plan.actions.append(
                TagAction(src.name, page_id, title, url, action, reason, unsettled=True)
            )
        elif want_tag and page_id not in tagged:
            plan.actions.append(TagAction(src.name, page_id, title, url, "tag", _reason(verdict)))
        elif want_untag and page_id in tagged:
            plan.actions.append(
                TagAction(src.name, page_id, title, url, "untag", "the page is current again")
            )
    return plan


def plan_tags(cfg: Config, store: Store, sources: Sequence[str] = ()) -> list[SourcePlan]:
    """One plan per configured source (or per named source)."""
    from stale.config import ConfigError

    known = {s.name for s in cfg.sources}
    for name in sources:
        if name not in known:
            raise ConfigError(
                f"--source: no source named {name!r}; configured: {', '.join(sorted(known))}"
            )
    plans: list[SourcePlan] = []
    for src in cfg.sources:
        if sources and src.name not in sources:
            continue
        try:
            plans.append(plan_source(store, src))
        except TaggingConfigError as e:
            raise ConfigError(str(e)) from None
    return plans


def _page_for(store: Store, action: TagAction) -> Page:
    sp = store.page(action.source, action.page_id)
    return Page(
        source=action.source,
        page_id=action.page_id,
        url=action.url,
        title=action.title,
        body="",
        content_type=sp.content_type if sp else "",
        labels=sp.labels if sp else (),
        content_hash=sp.content_hash if sp else "",
    )


def _one_line(e: BaseException) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def apply_tags(
    cfg: Config,
    store: Store,
    plans: Sequence[SourcePlan],
    *,
    connector_for: Callable[[SourceConfig], Any] | None = None,
    on_action: Callable[[TagAction, str | None], None] | None = None,
    max_failures: int = DEFAULT_MAX_FAILURES,
) -> TagResult:
    """Carry out `plans`: sources over their cap or without write-back are skipped
    with a reason; every tag/untag is recorded in the store before it is sent and
    closed with its outcome (ok, failed, unknown); a source stops after
    `max_failures` consecutive failed or unknown writes. Holds the store's lock
    (one scan or tag run at a time): `StoreLocked` when another run has it."""
    from stale.store import ScanLock

    with ScanLock(store.path):
        store.interrupt_tag_actions()
        return _apply(cfg, store, plans, connector_for, on_action, max(1, max_failures))


def _apply(
    cfg: Config,
    store: Store,
    plans: Sequence[SourcePlan],
    connector_for: Callable[[SourceConfig], Any] | None,
    on_action: Callable[[TagAction, str | None], None] | None,
    max_failures: int,
) -> TagResult:
    from stale.scan import make_connector

    make = connector_for or make_connector
    by_name = {s.name: s for s in cfg.sources}
    result = TagResult()
    for plan in plans:
        if not plan.enabled or not plan.actions:
            continue
        if plan.over_cap:
            result.skipped.append(
                f"source {plan.source}: {plan.writes} changes planned, more than "
                f"tagging.max_per_run = {plan.max_per_run}; nothing was changed. Review them "
                "with `stale tag --dry-run`, then raise max_per_run"
            )
            continue
        connector: Any = make(by_name[plan.source])
        if not (
            callable(getattr(connector, "tag", None))
            and callable(getattr(connector, "untag", None))
        ):
            result.skipped.append(
                f"source {plan.source}: the {by_name[plan.source].type} connector cannot "
                "write tags back; turn tagging off for it"
            )
            continue
        writes = 0  # distinct page writes attempted: the cap's unit
        failures = 0  # consecutive failed or unknown actions
        last_error = ""
        for i, action in enumerate(plan.actions):
            if failures >= max_failures:
                left = sum(a.action in WRITES for a in plan.actions[i:])
                result.stopped.append(
                    f"source {plan.source}: stopped after {failures} consecutive failures "
                    f"(last: {last_error}); {left} change(s) left for the next run"
                )
                break
            page = _page_for(store, action)
            error: str | None
            if action.action == "verify":
                error = _verify(store, connector, action, page, result)
            else:
                if writes >= plan.max_per_run:  # never: the plan is within the cap
                    result.stopped.append(
                        f"source {plan.source}: tagging.max_per_run = {plan.max_per_run} reached"
                    )
                    break
                writes += 1
                error = _write(store, connector, action, page, result)
            if error is None:
                failures = 0
            else:
                failures += 1
                last_error = error[:160]
            if on_action:
                on_action(action, error)
    return result


def _write(
    store: Store, connector: Any, action: TagAction, page: Page, result: TagResult
) -> str | None:
    """One tag/untag: logged as `started` first, closed with its outcome."""
    row = store.record_tag_action(
        action.source, action.page_id, action.action, action.reason, "started"
    )
    try:
        if action.action == "tag":
            verdict = store.verdict(action.source, action.page_id)
            assert verdict is not None
            connector.tag(page, verdict)
        else:
            connector.untag(page)
    except ConnectorError as e:
        error = _one_line(e)
        unknown = bool(getattr(e, "outcome_unknown", False))
        store.finish_tag_action(row, "unknown" if unknown else "failed", error)
        (result.unknown if unknown else result.failed).append((action, error))
        return error
    except BaseException as e:  # a bug or an interrupt: the outcome is unknown
        store.finish_tag_action(row, "unknown", f"interrupted: {_one_line(e)}")
        raise
    store.finish_tag_action(row, "ok")
    result.done.append(action)
    return None


def _verify(
    store: Store, connector: Any, action: TagAction, page: Page, result: TagResult
) -> str | None:
    """Read whether an unsettled page is tagged and record what the wiki says."""
    check = getattr(connector, "is_tagged", None)
    error: str | None = None
    if not callable(check):
        error = "the connector cannot read tags back (no is_tagged)"
    else:
        try:
            found = bool(check(page))
        except ConnectorError as e:
            error = _one_line(e)
    if error is not None:
        store.record_tag_action(
            action.source, action.page_id, "verify", action.reason, "failed", error
        )
        result.failed.append((action, error))
        return error
    what = "tagged" if found else "not tagged"
    store.record_tag_action(
        action.source,
        action.page_id,
        "verify",
        f"read the wiki: the page is {what}",
        "ok",
        tagged=found,
    )
    result.verified.append((action, found))
    return None
