"""Pages for the semantic signals, and the expected signals of every page.

Fixtures (added on top of the base page mix, with their own random stream so the
base pages stay exactly as they were):

- superseded pairs: an older page and a newer page on the same topic. In four
  the newer page states the fact a later commit changed (`--region` -> `--zone`)
  and the code agrees with it; in two the newer page says in words what replaced
  something the older one still describes ("We moved the tracker paging rota to
  Opsgenie"), while every claim of the older page still holds.
- drift pages: every claim still holds, but the file they describe received
  `CHURN_COMMITS` rework commits after the page was written (history.churn).
- near-duplicate groups: copies of one page with a sentence added.
- harder negatives, for precision: "stale copies" (a page on the topic of a
  conflict pair, edited after the newer page of the pair but written from the
  snapshot before the change, as when old text is pasted into a new page: newer
  than both pages of the pair and stale, yet superseding neither; superseded only
  by a page newer still), and "same-template twins" (two current pages from one
  template about one component, stating all its facts of one kind, one in
  Markdown and one in HTML; of the candidates for the second, the one most alike
  the first while still under OPTIONAL_DUPLICATE_JACCARD is kept).

Expected signals are then derived for *every* page from the generator's record:

- `drift`: the files the page's current claims live in at HEAD got at least
  DRIFT_MIN_COMMITS commits and DRIFT_MIN_LINES changed lines on or after the
  page's date (from `git log --numstat` of the built repository);
- `superseded`: a newer page states, about the same slot, a fact that holds at
  HEAD where this page states one that no longer does. Required when both pages
  are about the same topic (the component their template wrote about), optional
  ("signals_optional": flagging it is no false alarm, missing it no miss) when
  the conflict is only a side remark of one of them;
- `duplicate`: pages whose texts share >= DUPLICATE_JACCARD of their word
  3-shingles (optional from OPTIONAL_DUPLICATE_JACCARD).

Records of history (postmortems, ADRs) get neither superseded nor drift.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bench.corpus.doc import Doc, to_markdown
from bench.corpus.history import CHURN_START, DRIFT_COMPONENTS
from bench.corpus.model import State
from bench.corpus.pages import (
    LAST_DAY,
    PageOut,
    World,
    _finish,
    _last_change_for,
    _rand_day,
    assign_ids,
)
from bench.corpus.templates import PEOPLE, TEMPLATES, service_of, symbols_section

#: The product's default `[semantic]` thresholds (stale/config.py): "many" commits
#: and lines for drift. tests/test_bench_corpus.py checks they agree.
DRIFT_MIN_COMMITS = 8
DRIFT_MIN_LINES = 400
DUPLICATE_JACCARD = 0.85
OPTIONAL_DUPLICATE_JACCARD = 0.6

#: (change message prefix, owner, focus slot, template) of the conflict pairs.
CONFLICT_PAIRS: tuple[tuple[str, str, str, str], ...] = (
    ("tracker: --region -> --zone", "tracker.main", "tracker.main/region", "cli-runbook"),
    ("dispatch: --input-file -> --manifest", "dispatch.cli", "dispatch.cli/input", "cli-runbook"),
    ("backup_db.sh: --bucket", "script.backup", "script.backup/bucket", "script-runbook"),
    ("helm: autoscaling.max", "helm", "helm/hpamax", "config-reference"),
)

#: (owner, template, what the older page says, what the newer page says).
REPLACEMENT_PAIRS: tuple[tuple[str, str, str, str], ...] = (
    (
        "tracker.main",
        "cli-runbook",
        "Tracker paging rota: alerts page the on-call engineer through PagerDuty; "
        "acknowledge within 15 minutes.",
        "We moved the tracker paging rota to `Opsgenie` in spring; acknowledge pages "
        "in the Opsgenie app within 15 minutes.",
    ),
    (
        "portal.server",
        "env-reference",
        "Watch the portal Kibana dashboards after changing any of these; latency shows "
        "up there first.",
        "The portal Kibana dashboards were replaced by `Grafana`; the latency panel is "
        "on the portal board.",
    ),
)

DRIFT_TITLES = {
    "dispatch.routing": ("Dispatch route legs", "How dispatch builds route legs"),
    "tracker.replay": ("Tracker ping replay", "Replaying archived pings in the tracker"),
    "portal.invoices": ("Portal invoices", "How the portal renders invoices"),
}


#: (owner, template, claim kind) of the same-template twins (harder duplicate
#: negatives): both pages state every fact of that kind the component has.
TWIN_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("tracker.main", "cli-runbook", "flag"),
    ("portal.config", "config-reference", "config"),
    ("dispatch.settings", "env-reference", "env"),
)
#: Candidates drawn for the second twin; the most alike one still under
#: OPTIONAL_DUPLICATE_JACCARD is kept (the hardest honest negative).
TWIN_TRIES = 12
#: How many conflict pairs (the first ones) get a stale copy.
STALE_COPIES = 2


@dataclass
class Fixtures:
    pages: list[PageOut]
    superseded_by: dict[int, PageOut]  # id(older page) -> the newer page
    duplicate_groups: list[list[PageOut]]
    twins: list[tuple[PageOut, PageOut]] = field(default_factory=list)  # md / html


def _page(
    world: World,
    rng: random.Random,
    snap: State,
    tpl: str,
    owner: str,
    focus: Sequence[str],
    day: date,
    kind: str,
) -> tuple[PageOut, Any]:
    from bench.corpus.writer import Writer

    w = Writer(rng, snap)
    doc = TEMPLATES[tpl](w, owner, list(focus), [])
    page = _finish(world, w, doc, day, kind)
    page.topic = owner
    return page, w


def _retry(want: str, *args: Any) -> PageOut:
    """`_page(*args)` until the page has the `want` status (at most 12 tries)."""
    best = None
    for _ in range(12):
        page = _page(*args)[0]
        if page.status == want:
            return page
        best = best or page
    assert best is not None
    return best


def fixture_pages(world: World, seed: int, taken: list[PageOut]) -> Fixtures:
    """The fixtures, with page ids unique among `taken` (the base pages)."""
    fx = _fixtures(world, seed)
    assign_ids(random.Random(seed * 7919 + 1301), fx.pages, taken)
    for group in fx.duplicate_groups:  # copies within one space share its format
        for page in group:
            if page.fmt != group[0].fmt:
                _set_format(page, group[0].fmt)
    for a, b in fx.twins:  # one in each format
        _set_format(a, "md")
        _set_format(b, "html")
    return fx


def _set_format(page: PageOut, fmt: str) -> None:
    page.page_id = page.page_id.rsplit(".", 1)[0] + "." + fmt
    page.fmt = fmt


def _fixtures(world: World, seed: int) -> Fixtures:
    rng = random.Random(seed * 7919 + 104729)
    pages: list[PageOut] = []
    sup: dict[int, PageOut] = {}
    head = world.head

    copies: list[tuple[str, str, str, str, date]] = []
    for prefix, owner, slot, tpl in CONFLICT_PAIRS:
        idx = next(i for i, ch in enumerate(world.changes) if ch.message.startswith(prefix))
        change_day = date.fromisoformat(world.changes[idx].date)
        lo = max(date(2022, 6, 1), change_day - timedelta(days=150))
        day_old = _rand_day(rng, lo, change_day - timedelta(days=7))
        snap = world.state_at(day_old)
        old = _retry("stale", world, rng, snap, tpl, owner, [slot], day_old, "superseded/old")
        last = _last_change_for(world, {owner})
        day_new = _rand_day(rng, max(last, change_day) + timedelta(days=20), LAST_DAY)
        new = _retry("current", world, rng, head, tpl, owner, [slot], day_new, "superseded/new")
        new.topic = old.topic = owner
        pages += [old, new]
        sup[id(old)] = new
        copies.append((owner, slot, tpl, day_old.isoformat(), day_new))

    for owner, tpl, old_text, new_text in REPLACEMENT_PAIRS:
        last = _last_change_for(world, {owner})
        day_old = _rand_day(rng, last + timedelta(days=5), last + timedelta(days=60))
        kind = "superseded/old-replaced"
        old = _retry("current", world, rng, head, tpl, owner, [], day_old, kind)
        old.doc.h("Monitoring")
        old.doc.p(old_text)
        day_new = _rand_day(rng, day_old + timedelta(days=90), LAST_DAY)
        kind = "superseded/new-replacing"
        new = _retry("current", world, rng, head, tpl, owner, [], day_new, kind)
        new.doc.h("Monitoring")
        new.doc.p(new_text)
        pages += [old, new]
        sup[id(old)] = new

    for owner in DRIFT_COMPONENTS:
        start = date.fromisoformat(CHURN_START[owner])
        for variant in range(2):
            day = _rand_day(rng, start - timedelta(days=200), start - timedelta(days=10))
            pages.append(_drift_page(world, rng, owner, day, variant))

    groups: list[list[PageOut]] = []
    for owner, tpl, n in (
        ("dispatch.settings", "env-reference", 2),
        ("portal.config", "config-reference", 3),
    ):
        last = _last_change_for(world, {owner})
        day = last + timedelta(days=3)
        first = _retry("current", world, rng, head, tpl, owner, [], day, "duplicate")
        first.day = _rand_day(rng, last + timedelta(days=3), LAST_DAY - timedelta(days=30))
        group = [first]
        for k in range(1, n):
            twin = copy.deepcopy(first)
            twin.day = _rand_day(rng, first.day, LAST_DAY)
            twin.doc.owner = rng.choice(PEOPLE) + ".team"
            twin.doc.p(
                ["Copied from the team space.", "A copy kept for the on-call handbook."][k % 2]
            )
            group.append(twin)
        pages += group
        groups.append(group)

    # harder negatives (drawn last: the fixtures above stay exactly as they were)
    for owner, slot, tpl, snap_day, after in copies[:STALE_COPIES]:
        snap = world.state_at(date.fromisoformat(snap_day))
        day = _rand_day(rng, after + timedelta(days=1), LAST_DAY)
        copy_ = _retry("stale", world, rng, snap, tpl, owner, [slot], day, "negative/stale-copy")
        copy_.topic = owner
        copy_.written_from = date.fromisoformat(snap_day)
        pages.append(copy_)
    twins: list[tuple[PageOut, PageOut]] = []
    for owner, tpl, kind in TWIN_TEMPLATES:
        last = _last_change_for(world, {owner})
        slots = [slot for slot, _ in head.of(owner, kind)]
        day = _rand_day(rng, last + timedelta(days=3), LAST_DAY)
        first = _retry("current", world, rng, head, tpl, owner, slots, day, "negative/twin")
        first_sh = shingles(first)
        best: tuple[float, PageOut] | None = None
        for _ in range(TWIN_TRIES):
            day = _rand_day(rng, last + timedelta(days=3), LAST_DAY)
            cand = _page(world, rng, head, tpl, owner, slots, day, "negative/twin")[0]
            j = jaccard(first_sh, shingles(cand))
            fits = cand.status == "current" and j < OPTIONAL_DUPLICATE_JACCARD
            if fits and (best is None or j > best[0]):
                best = (j, cand)
        if best is not None:
            first.topic = best[1].topic = owner
            pages += [first, best[1]]
            twins.append((first, best[1]))
    return Fixtures(pages, sup, groups, twins)


def _drift_page(world: World, rng: random.Random, owner: str, day: date, variant: int) -> PageOut:
    from bench.corpus.writer import Writer

    w = Writer(rng, world.state_at(day))
    svc = service_of(owner)
    doc = Doc(DRIFT_TITLES[owner][variant], rng.choice(PEOPLE) + ".team", [svc, "architecture"])
    doc.p(
        rng.choice(
            [
                "What this part of the code does and where to start reading.",
                "A short map of this module for reviewers.",
            ]
        )
    )
    doc.h("Main pieces")
    symbols_section(w, doc, owner, [s for s, _ in w.snap.of(owner, "symbol")], k=3)
    doc.p("The tuning table at the top of the file is adjusted by hand after load tests.")
    page = _finish(world, w, doc, day, "drift")
    page.topic = owner
    return page


# --------------------------------------------------------------------------- labels


def is_record(page: PageOut) -> bool:
    return page.kind in ("history/postmortem", "history/adr")


def _slot(world: World, page: PageOut, kind: str, subject: str, owner: str) -> str | None:
    for st in (world.state_at(page.written_from or page.day), world.head):
        for slot, f in st.of(owner, kind):
            if f.subject == subject:
                return slot
    return None


def successors(world: World) -> dict[str, str]:
    """Component -> the component that replaced it in one commit (deploy.sh ->
    release.sh): their facts of the same kind and subject are the same slot."""
    out: dict[str, str] = {}
    for ch in world.changes:
        gone = [o.target for o in ch.ops if o.op == "delcomp"]
        new = [o.target for o in ch.ops if o.op == "addcomp"]
        if len(gone) == 1 and len(new) == 1:
            out[gone[0]] = new[0]
    return out


def _canon(slot_or_owner: str, succ: Mapping[str, str]) -> str:
    owner, sep, rest = slot_or_owner.partition("/")
    while owner in succ:
        owner = succ[owner]
    return owner + sep + rest


def _slots(world: World, page: PageOut, label: str) -> set[str]:
    succ = successors(world)
    out = set()
    for c in page.claims:
        if c.historical or c.label != label:
            continue
        if c.kind == "path":
            # a file is one slot wherever it moves: the component that owns it
            if c.owner:
                out.add(_canon(f"{c.owner}/path", succ))
            continue
        s = _slot(world, page, c.kind, c.subject, c.owner)
        if s is not None:
            out.add(_canon(s, succ))
    return out


def _described_files(world: World, page: PageOut) -> set[str]:
    files = set()
    for c in page.claims:
        if c.historical:
            continue
        if c.kind == "path":
            if c.subject in world.head_files:
                files.add(c.subject)
        elif c.owner in world.head.paths and c.label == "ok":
            files.add(world.head.paths[c.owner])
    return files


_WORD = re.compile(r"[0-9a-z]+")


def shingles(page: PageOut) -> set[tuple[str, ...]]:
    words = _WORD.findall(to_markdown(page.doc, None).lower())
    return {tuple(words[i : i + 3]) for i in range(max(0, len(words) - 2))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def label_signals(
    pages: Sequence[PageOut],
    world: World,
    log: Mapping[str, Sequence[tuple[date, str, int]]],
    fixtures: Fixtures,
) -> None:
    """Set each page's expected signals (and its status, where a signal makes it suspect)."""
    # drift
    for p in pages:
        if is_record(p):
            continue
        commits: set[str] = set()
        lines = 0
        for f in _described_files(world, p):
            for when, sha, n in log.get(f, ()):
                if when >= p.day:
                    commits.add(sha)
                    lines += n
        if len(commits) >= DRIFT_MIN_COMMITS and lines >= DRIFT_MIN_LINES:
            p.signals.append("drift")
    # superseded
    succ = successors(world)
    stale_slots = {id(p): _slots(world, p, "stale") for p in pages}
    ok_slots = {id(p): _slots(world, p, "ok") for p in pages}
    for a in pages:
        if is_record(a):
            continue
        designed = fixtures.superseded_by.get(id(a))
        same: list[tuple[int, date, PageOut]] = []
        other: list[PageOut] = []
        for b in pages:
            if b is a or is_record(b) or b.day <= a.day:
                continue
            n = len(stale_slots[id(a)] & ok_slots[id(b)])
            if not n:
                continue
            if a.topic and _canon(a.topic, succ) == _canon(b.topic, succ):
                same.append((n, b.day, b))
            else:
                other.append(b)
        same.sort(key=lambda t: (-t[0], -t[1].toordinal(), t[2].page_id))
        accept = [b.page_id for _, _, b in same] + sorted(b.page_id for b in other)
        if designed is not None:
            p_by = designed.page_id
            accept = [p_by, *[x for x in accept if x != p_by]]
        elif same:
            p_by = same[0][2].page_id
        elif other:
            a.signals_optional.append("superseded")
            a.superseded_accept = accept
            continue
        else:
            continue
        a.signals.append("superseded")
        a.superseded_by = p_by
        a.superseded_accept = accept
    # duplicates
    sh = {id(p): shingles(p) for p in pages}
    in_group = {id(p): g for g in fixtures.duplicate_groups for p in g}
    for a in pages:
        best = 0.0
        for b in pages:
            if b is not a:
                best = max(best, jaccard(sh[id(a)], sh[id(b)]))
        if id(a) in in_group or best >= DUPLICATE_JACCARD:
            a.signals.append("duplicate")
        elif best >= OPTIONAL_DUPLICATE_JACCARD:
            a.signals_optional.append("duplicate")
    for p in pages:
        if p.status in ("current", "unknown") and {"drift", "superseded"} & set(p.signals):
            p.status = "suspect"
