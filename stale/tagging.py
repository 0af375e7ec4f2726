"""Write-back: tag stale pages in the wiki, untag them when they are current again.

Write-back is a blast radius, so it is:

* **opt-in** per source: `tagging = { enabled = true }` in its `[[sources]]` entry;
* **previewed**: `plan_tags` (and `stale tag --dry-run`) says exactly which page
  gets which action and why, and changes nothing;
* **capped**: a source with more planned actions than `max_per_run` is not
  touched at all; the run reports it instead of tagging half the wiki;
* **recorded**: every attempt goes into the store's `tag_actions` table (time,
  source, page, action, reason, ok/failed, error), and the `tags` table holds
  what stale has tagged, so a rerun does nothing twice;
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
    action: str  # "tag" | "untag"
    reason: str


@dataclass
class SourcePlan:
    source: str
    enabled: bool
    actions: list[TagAction] = field(default_factory=list)
    max_per_run: int = DEFAULT_MAX_PER_RUN
    note: str = ""  # why nothing happens for this source

    @property
    def over_cap(self) -> bool:
        return len(self.actions) > self.max_per_run


@dataclass
class TagResult:
    done: list[TagAction] = field(default_factory=list)
    failed: list[tuple[TagAction, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per source not touched

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": [vars(a) for a in self.done],
            "failed": [{**vars(a), "error": e} for a, e in self.failed],
            "skipped": list(self.skipped),
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
        if status in tcfg.statuses and page_id not in tagged:
            plan.actions.append(TagAction(src.name, page_id, title, url, "tag", _reason(verdict)))
        elif verdict.status is Status.CURRENT and page_id in tagged:
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


def apply_tags(
    cfg: Config,
    store: Store,
    plans: Sequence[SourcePlan],
    *,
    connector_for: Callable[[SourceConfig], Any] | None = None,
    on_action: Callable[[TagAction, str | None], None] | None = None,
) -> TagResult:
    """Carry out `plans`: sources over their cap or without write-back are skipped
    with a reason; every tag/untag is recorded in the store, ok or failed."""
    from stale.scan import make_connector

    make = connector_for or make_connector
    by_name = {s.name: s for s in cfg.sources}
    result = TagResult()
    for plan in plans:
        if not plan.enabled or not plan.actions:
            continue
        if plan.over_cap:
            result.skipped.append(
                f"source {plan.source}: {len(plan.actions)} changes planned, more than "
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
        for action in plan.actions:
            page = _page_for(store, action)
            error: str | None = None
            try:
                if action.action == "tag":
                    verdict = store.verdict(plan.source, action.page_id)
                    assert verdict is not None
                    connector.tag(page, verdict)
                else:
                    connector.untag(page)
            except ConnectorError as e:
                error = str(e).splitlines()[0] if str(e) else type(e).__name__
            store.record_tag_action(
                action.source,
                action.page_id,
                action.action,
                action.reason,
                "failed" if error else "ok",
                error,
            )
            if error:
                result.failed.append((action, error))
            else:
                result.done.append(action)
            if on_action:
                on_action(action, error)
    return result
