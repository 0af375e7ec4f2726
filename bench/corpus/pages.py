"""The page mix: stale pages for every change kind, current pages, hard true
negatives (old-but-true pages, history, external tools, console output and
placeholders, coincidental values), suspect and unknown pages."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.corpus.doc import Doc
from bench.corpus.model import Change, State
from bench.corpus.templates import (
    PEOPLE,
    SERVICE_TITLE,
    TEMPLATES,
    commands_section,
    config_section,
    env_section,
    history_sentences,
    invocation,
    options_section,
    owner_of,
    template_for,
    versions_section,
)
from bench.corpus.writer import ClaimRec, Writer, label_claims

LAST_DAY = date(2025, 9, 30)
FIRST_DAY = date(2022, 1, 10)

#: Share of each page kind in the mix; "stale" takes the remainder.
MIX = {
    "current": 0.14,
    "old-true": 0.08,
    "history": 0.10,
    "external-tools": 0.05,
    "console-cookbook": 0.05,
    "coincidence": 0.04,
    "suspect": 0.05,
    "unknown": 0.05,
}


@dataclass
class PageOut:
    page_id: str
    fmt: str  # "md" | "html"
    day: date
    kind: str
    status: str
    doc: Doc
    claims: list[ClaimRec] = field(default_factory=list)
    decoys: list[dict[str, str]] = field(default_factory=list)
    topic: str = ""  # the component the page's template wrote about, "" when none
    signals: list[str] = field(default_factory=list)  # expected semantic signals
    signals_optional: list[str] = field(default_factory=list)  # neither required nor wrong
    superseded_by: str | None = None  # the newer page expected to be named
    superseded_accept: list[str] = field(default_factory=list)  # every acceptable newer page
    written_from: date | None = None  # the snapshot its facts came from, when not `day`'s


@dataclass
class World:
    timeline: list[tuple[date, State]]  # state after each commit, in order
    changes: list[Change]
    head: State
    head_files: set[str]
    churn: list[Change] = field(default_factory=list)  # rework commits (drift fixtures)

    def state_at(self, d: date) -> State:
        cur = self.timeline[0][1]
        for when, st in self.timeline:
            if when <= d:
                cur = st
            else:
                break
        return cur


def _rand_day(rng: random.Random, lo: date, hi: date) -> date:
    if hi <= lo:
        return lo
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def _status(claims: list[ClaimRec], marker: bool) -> str:
    if any(c.label == "stale" and not c.historical for c in claims):
        return "stale"
    if marker:
        return "suspect"
    if not claims:
        return "unknown"
    return "current"


def _touches(change: Change, owner: str) -> bool:
    return any(owner_of(s) == owner for s in change.slots) or owner in change.components


def _last_change_for(world: World, owners: set[str]) -> date:
    last = FIRST_DAY
    for ch in world.changes:
        if any(_touches(ch, o) for o in owners):
            last = max(last, date.fromisoformat(ch.date))
    return last


def _owners(claims: list[ClaimRec]) -> set[str]:
    return {c.owner for c in claims if c.owner != "file"}


# --------------------------------------------------------------------------- stale


def _focus_of(before: State, change: Change) -> tuple[str, list[str], list[str]]:
    """(owner, focus slots, focus paths) of a change, as seen before it."""
    slots = [s for s in change.slots if s in before.facts]
    paths: list[str] = []
    owner = ""
    for o in change.ops:
        if o.op == "delcomp":
            owner = owner or o.target
            slots += [s for s, _ in before.of(o.target)]
            paths.append(before.paths[o.target])
        elif o.op == "move":
            owner = owner or o.target
            paths.append(before.paths[o.target])
    if change.kind == "replaced-deploy":
        owner = "script.deploy" if "script.deploy" in before.paths else "script.tracker_deploy"
    if not owner:
        owner = owner_of(slots[0])
    return owner, slots, paths


def stale_page(rng: random.Random, world: World, idx: int) -> PageOut:
    change = world.changes[idx]
    before = world.timeline[idx][1]  # timeline[0] is the initial commit
    owner, slots, _paths = _focus_of(before, change)
    # The page was written while the old facts held.
    start = FIRST_DAY
    for ch in world.changes[:idx]:
        if any(s in ch.slots for s in slots) or owner in ch.components:
            start = max(start, date.fromisoformat(ch.date) + timedelta(days=1))
    end = date.fromisoformat(change.date) - timedelta(days=1)
    day = _rand_day(rng, start, end)
    snap = world.state_at(day)
    kind = before.facts[slots[0]].kind if slots else "path"
    tpl = template_for(owner, kind, rng.random())
    best: PageOut | None = None
    for _ in range(6):
        w = Writer(rng, snap)
        doc = TEMPLATES[tpl](w, owner, slots, _paths)
        page = _finish(world, w, doc, day, f"stale/{change.kind}")
        page.topic = owner
        if page.status == "stale":
            return page
        best = best or page
    assert best is not None
    return best


def _finish(world: World, w: Writer, doc: Doc, day: date, kind: str) -> PageOut:
    label_claims(w.claims, world.head, world.head_files)
    status = _status(w.claims, w.marker)
    return PageOut("", "md", day, kind, status, doc, list(w.claims), list(w.decoys))


# --------------------------------------------------------------------------- current


CURRENT_TOPICS: list[tuple[str, str]] = [
    ("dispatch.cli", "flag"),
    ("tracker.main", "flag"),
    ("dispatch.settings", "env"),
    ("tracker.main", "env"),
    ("portal.server", "env"),
    ("dispatch.yaml", "config"),
    ("helm", "config"),
    ("tf", "config"),
    ("portal.config", "config"),
    ("dispatch.settings", "config"),
    ("dispatch.api", "endpoint"),
    ("tracker.api", "endpoint"),
    ("portal.server", "endpoint"),
    ("dispatch.planner", "symbol"),
    ("tracker.geo", "symbol"),
    ("portal.pricing", "symbol"),
    ("runtime", "version"),
    ("make", "command"),
    ("portal.package", "command"),
    ("script.backup", "flag"),
    ("script.rotate", "flag"),
    ("script.migrate", "flag"),
    ("script.loadtest", "env"),
    ("script.release", "flag"),
]


def current_page(rng: random.Random, world: World, *, marker: bool = False) -> PageOut:
    owner, kind = rng.choice(CURRENT_TOPICS)
    tpl = template_for(owner, kind, rng.random())
    w = Writer(rng, world.head)
    doc = TEMPLATES[tpl](w, owner, [], [])
    if marker:
        w.marker = True
        doc.blocks.insert(
            0,
            (
                "p",
                rng.choice(
                    [
                        "**This page is outdated.** TODO: update after the next release.",
                        "> Warning: this page is outdated and may not reflect the current setup.",
                        "TODO: update this page - parts of it predate the platform migration.",
                        "**Deprecated:** this page will be merged into the new handbook.",
                    ]
                ),
            ),
        )
    if not marker and rng.random() < 0.3:
        _add_background(rng, world, w, doc, owner)
    last = _last_change_for(world, _owners(w.claims) | {owner})
    day = _rand_day(rng, last + timedelta(days=2), LAST_DAY)
    page = _finish(world, w, doc, day, "suspect" if marker else f"current/{tpl}")
    page.topic = owner
    return page


def _add_background(rng: random.Random, world: World, w: Writer, doc: Doc, owner: str) -> None:
    """A past-tense note about an earlier change to this topic: history, not a claim about now."""
    related = [i for i, ch in enumerate(world.changes) if _touches(ch, owner)]
    if not related:
        return
    i = rng.choice(related)
    before, after = world.timeline[i][1], world.timeline[i + 1][1]
    past, _now = history_sentences(w, before, after, world.changes[i], world.head)
    if past:
        doc.h(rng.choice(["Background", "History"]))
        doc.p(" ".join(past))


def old_true_page(rng: random.Random, world: World) -> PageOut:
    """Edited in 2022 and never since, yet every claim still holds."""
    day = _rand_day(rng, date(2022, 2, 1), date(2022, 12, 15))
    snap = world.state_at(day)
    head = world.head
    stable = State(
        facts={s: f for s, f in snap.facts.items() if head.facts.get(s) == f},
        paths={c: p for c, p in snap.paths.items() if head.paths.get(c) == p},
    )
    for s in list(stable.facts):
        comp = owner_of(s)
        if comp in snap.paths and comp not in stable.paths:
            del stable.facts[s]
    topics = [
        t
        for t in CURRENT_TOPICS
        if stable.of(t[0], t[1]) and (t[0] in stable.paths or t[0] in ("runtime", "make"))
    ]
    topics = [t for t in topics if t[0] not in ("script.release", "runtime")]
    for _ in range(10):
        owner, kind = rng.choice(topics)
        tpl = template_for(owner, kind, rng.random())
        if tpl == "deploy-guide":
            continue
        w = Writer(rng, stable)
        try:
            doc = TEMPLATES[tpl](w, owner, [], [])
        except KeyError:
            continue
        page = _finish(world, w, doc, day, "old-true")
        page.topic = owner
        if page.status == "current":
            return page
    return current_page(rng, world)


# --------------------------------------------------------------------------- history


HISTORY_KINDS = {
    "postmortem": {
        "renamed-flag",
        "renamed-env",
        "changed-port",
        "deleted-script",
        "replaced-deploy",
        "endpoint-v2",
        "moved-file",
        "changed-default",
    },
    "adr": {"runtime-bump", "db-image-bump", "replaced-deploy", "renamed-config", "endpoint-v2"},
    "migration-notes": {
        "renamed-flag",
        "renamed-env",
        "renamed-config",
        "renamed-symbol",
        "make-target-removed",
        "changed-default",
        "moved-file",
    },
}


def history_page(rng: random.Random, world: World, style: str, adr_no: int) -> PageOut:
    cands = [i for i, ch in enumerate(world.changes) if ch.kind in HISTORY_KINDS[style]]
    i = rng.choice(cands)
    ch = world.changes[i]
    before, after = world.timeline[i][1], world.timeline[i + 1][1]
    when = date.fromisoformat(ch.date)
    day = _rand_day(rng, when + timedelta(days=3), min(LAST_DAY, when + timedelta(days=90)))
    w = Writer(rng, world.head)
    past, now = history_sentences(w, before, after, ch, world.head)
    if style == "postmortem":
        doc = Doc(
            title=f"Postmortem {when.strftime('%Y-%m')}: {_incident_title(ch, before)}",
            owner=rng.choice(PEOPLE) + ".team",
            tags=["postmortem", "incident"],
        )
        if rng.random() < 0.5:
            doc.front["type"] = "postmortem"
        doc.p(
            f"**Date of incident:** {(when + timedelta(days=1)).isoformat()}. "
            "**Impact:** delayed deliveries planning for about two hours. **Status:** closed."
        )
        doc.h("Summary")
        doc.p(
            "A change merged the day before broke callers outside the repository. " + " ".join(past)
        )
        doc.h("Timeline (UTC)")
        doc.ul(
            [
                "09:05 First alert from the planner job.",
                "09:40 On-call retried twice, assuming a flaky runner.",
                "10:55 We found the change in the repository history.",
                "11:20 Callers fixed; jobs green again.",
            ]
        )
        doc.h("What went wrong")
        doc.p(
            "The change was reviewed as a local refactoring, and nobody searched for callers "
            "in the pipelines and on the wiki."
        )
        doc.h("What we changed")
        doc.ul(now or ["Renames of operational interfaces now need an announcement."])
        page_id_hint = f"postmortems/{when.strftime('%Y-%m')}-{_slug(_incident_title(ch, before))}"
        kind = "history/postmortem"
    elif style == "adr":
        doc = Doc(
            title=f"ADR-{adr_no:04d}: {_adr_title(w, ch, before, after)}",
            owner=rng.choice(PEOPLE) + ".team",
            tags=["adr", "architecture"],
        )
        if rng.random() < 0.5:
            doc.front["type"] = "adr"
        doc.p(f"**Status:** accepted. **Date:** {when.isoformat()}.")
        doc.h("Context")
        doc.p(" ".join(past))
        doc.h("Decision")
        doc.p(
            "We made the change in one pull request across all services, with the CI matrix "
            "updated at the same time."
        )
        doc.h("Consequences")
        doc.ul(now or ["Old instructions on the wiki need an update."])
        page_id_hint = f"adr/{adr_no:04d}-{_slug(doc.title.split(': ', 1)[1])}"
        kind = "history/adr"
    else:
        owner = _focus_of(before, ch)[0]
        topic_kind = before.facts[ch.slots[0]].kind if ch.slots else "path"
        tpl = template_for(owner, topic_kind, rng.random())
        try:
            doc = TEMPLATES[tpl](w, owner, [], [])
        except KeyError:
            doc = TEMPLATES["dev-workflow"](w, "make", [], [])
        doc.title += " (with migration notes)"
        doc.h(rng.choice(["History", "What changed", "Changelog"]))
        doc.ul(past)
        page_id_hint = ""
        kind = "history/migration-notes"
    page = _finish(world, w, doc, day, kind)
    page.page_id = page_id_hint
    if kind == "history/migration-notes":
        page.topic = owner
    return page


def _service(before: State, ch: Change) -> str:
    owner = _focus_of(before, ch)[0]
    head = owner.split(".", 1)[0]
    return head if head in SERVICE_TITLE else "ops"


def _incident_title(ch: Change, before: State) -> str:
    svc = _service(before, ch)
    return {
        "renamed-flag": f"{svc} jobs failed after a flag rename",
        "renamed-env": f"{svc} failed to start after an environment variable rename",
        "changed-port": f"{svc} unreachable after a port change",
        "deleted-script": "runbook step failed because a script was removed",
        "replaced-deploy": "deploys blocked after the deploy process change",
        "endpoint-v2": f"{svc} clients broke when an endpoint moved to v2",
        "moved-file": "nightly job failed after a file move",
        "changed-default": f"{svc} capacity incident after a default changed",
    }[ch.kind]


def _adr_title(w: Writer, ch: Change, before: State, after: State) -> str:
    names = {"python": "Python", "node": "Node.js", "go": "Go", "postgres": "PostgreSQL"}
    names["redis"] = "Redis"
    if ch.kind in ("runtime-bump", "db-image-bump"):
        slot = ch.slots[0]
        new = after.facts[slot]
        w.c(slot, value=True, hist=True, f=new)
        verb = "Upgrade to" if ch.kind == "runtime-bump" else "Move to"
        return f"{verb} {names[new.subject]} {new.value}"
    return {
        "replaced-deploy": "Replace the deploy script with Helm releases",
        "renamed-config": "Consistent configuration key names",
        "endpoint-v2": f"Version 2 of the {_service(before, ch)} API",
    }[ch.kind]


# --------------------------------------------------------------------------- hard negatives


def external_tools_page(rng: random.Random, world: World) -> PageOut:
    w = Writer(rng, world.head)
    doc = Doc(
        title=rng.choice(["Ops cheat sheet", "On-call toolbox", "Cluster and database commands"]),
        owner=rng.choice(PEOPLE) + ".team",
        tags=["ops", "cheatsheet"],
    )
    doc.p("Commands on-call uses most. None of these tools live in our repository.")
    doc.h("Kubernetes")
    doc.code(
        "bash",
        w.decoy("external", "kubectl -n northwind-production get pods -l app=dispatch -o wide")
        + "\n"
        + w.decoy("external", "kubectl rollout undo deployment/dispatch --to-revision=3")
        + "\n"
        + w.decoy("external", "helm history northwind -n northwind-production --max 5"),
    )
    doc.h("Database")
    db = w.c("dispatch.settings/dburl")
    doc.p(f"Connect with the URL from `{db}`:")
    doc.code(
        "bash",
        w.decoy("external", f'psql "${db}" --no-psqlrc -v ON_ERROR_STOP=1 -c "select 1"'),
    )
    doc.h("Infrastructure")
    doc.code(
        "bash",
        w.decoy("external", "terraform plan -var-file=prod.tfvars -out=plan.bin -lock-timeout=60s")
        + "\n"
        + w.decoy("external", "aws s3 ls s3://northwind-db-backups/ --recursive --human-readable")
        + "\n"
        + w.decoy("external", "docker compose logs -f --tail 100 dispatch"),
    )
    if rng.random() < 0.6:
        doc.p(
            f"Variables are declared in `{w.path(world.head.paths['tf'])}`; the chart values are "
            f"in `{w.path(world.head.paths['helm'])}`."
        )
    doc.h("Releasing")
    doc.p(f"Releases go through `{w.c('make/release')}`; see the release runbook.")
    last = _last_change_for(world, _owners(w.claims))
    return _finish(world, w, doc, _rand_day(rng, last, LAST_DAY), "external-tools")


def console_cookbook_page(rng: random.Random, world: World) -> PageOut:
    head = world.head
    w = Writer(rng, head)
    doc = Doc(
        title=rng.choice(["Dispatch CLI cookbook", "Planner recipes", "Dispatch: common recipes"]),
        owner=rng.choice(PEOPLE) + ".team",
        tags=["dispatch", "how-to"],
    )
    doc.p(
        "Recipes for the planner CLI. Add the bastion to your `~/.ssh/config` and export your "
        "token (replace `<your-token>` with your own) first."
    )
    w.decoy("placeholder", "~/.ssh/config")
    w.decoy("placeholder", "<your-token>")
    doc.code("bash", "ssh dispatch-bastion\nexport NW_TOKEN=<your-token>")
    w.decoy("placeholder", "NW_TOKEN")
    doc.h("Dry run first")
    depot = w.c("dispatch.cli/depot")
    dry = w.c("dispatch.cli/dryrun")
    batch = head.val("dispatch.cli/batch")
    doc.p("Lines without a `$` are output:")
    doc.code(
        "console",
        f"$ python -m dispatch.cli {depot} SEA1 {dry}\n"
        f"planning SEA1 (batch size {batch})\n"
        "--> 42 stops, 3 routes, dry run: true\n"
        "hint: pass --help to list every option\n"
        "status: ok",
    )
    w.decoy("output", "--help in output")
    doc.p(
        "The last line is `status: ok` when planning worked; `true` in the dry-run line means "
        "nothing was saved."
    )
    w.decoy("word", "true")
    w.decoy("word", "status")
    doc.h("Changing a recipe")
    doc.p(
        "Work on a branch (`git checkout -b my-branch`), try it against staging, and open a "
        "pull request against `main`. Example payloads use `example.com` addresses only."
    )
    w.decoy("placeholder", "my-branch")
    w.decoy("word", "main")
    options_section(w, doc, "dispatch.cli", [], k=2)
    last = _last_change_for(world, _owners(w.claims))
    return _finish(world, w, doc, _rand_day(rng, last, LAST_DAY), "console-cookbook")


def coincidence_page(rng: random.Random, world: World) -> PageOut:
    """True claims next to numbers that occur in the code in another context."""
    head = world.head
    w = Writer(rng, head)
    variant = rng.randrange(3)
    if variant == 0:
        doc = Doc("Tracker capacity notes", rng.choice(PEOPLE) + ".team", ["tracker", "capacity"])
        workers = w.c("tracker.main/workers", value=True)
        doc.p(
            f"`{workers}` defaults to `{head.val('tracker.main/workers')}`; each worker writes "
            "pings to Redis in pipelines."
        )
        doc.p(
            "PgBouncer in front of PostgreSQL runs with a pool of `8` threads, and the "
            "vendor feed delivers at most `4096` pings per second at peak."
        )
        w.decoy("number", "8")
        w.decoy("number", "4096")
        env_section(w, doc, "tracker.main", [], k=2)
    elif variant == 1:
        doc = Doc("Portal timeouts", rng.choice(PEOPLE) + ".team", ["portal", "configuration"])
        doc.p(
            "The portal calls dispatch for every quote, so its timeouts are short. "
            "`http.timeout` defaults to `10` seconds in the portal (dispatch uses a longer one)."
        )
        w.rec("config", "http.timeout", "10", "portal.config")
        port = w.c("portal.server/port", value=True)
        doc.p(f"`{port}` defaults to `{head.val('portal.server/port')}`.")
        doc.p("The cluster service in front of it listens on port `80` like every other service.")
        w.decoy("number", "80")
        config_section(w, doc, "portal.config", [], k=2)
    else:
        doc = Doc("Dispatch retries and sizing", rng.choice(PEOPLE) + ".team", ["dispatch"])
        r = w.c("dispatch.cli/retries", value=True)
        doc.p(
            f"`{r}` defaults to `{head.val('dispatch.cli/retries')}`, and the chart runs "
            f"`{w.c('helm/replicas', value=True)}` = `{head.val('helm/replicas')}` pods."
        )
        doc.p(
            "`http.timeout` is `30` for outbound calls from dispatch; planning itself may "
            "take `120` seconds for a big depot."
        )
        w.rec("config", "http.timeout", "30", "dispatch.yaml")
        w.decoy("number", "120")
        config_section(w, doc, "dispatch.yaml", [], k=2)
    last = _last_change_for(world, _owners(w.claims))
    return _finish(world, w, doc, _rand_day(rng, last, LAST_DAY), "coincidence")


UNKNOWN_TEXTS = [
    (
        "On-call rotation",
        [
            "Each team member is on call for one week at a time, Monday to Monday.",
            "Swap shifts in the scheduling tool and tell the team channel.",
            "Hand over open incidents in writing at the end of your week.",
        ],
    ),
    (
        "Team rituals",
        [
            "We plan every other Monday and keep the planning meeting under an hour.",
            "Demos are on Friday afternoons; anyone can show anything.",
            "Retrospectives rotate their facilitator.",
        ],
    ),
    (
        "Hiring loop",
        [
            "Every candidate meets four people: a hiring manager, two engineers and a product "
            "manager.",
            "Write your feedback before talking to the other interviewers.",
            "Decisions are made in a debrief within two working days.",
        ],
    ),
    (
        "Writing good incident updates",
        [
            "Say what is broken, for whom, and when the next update comes.",
            "Avoid guessing at causes in customer-facing updates.",
            "Post updates every thirty minutes while the incident is open.",
        ],
    ),
    (
        "Code review etiquette",
        [
            "Review within one working day, or say when you will.",
            "Ask questions rather than giving orders.",
            "Approve when the change is better than what is there, not when it is perfect.",
        ],
    ),
]


def unknown_page(rng: random.Random, world: World) -> PageOut:
    title, paras = rng.choice(UNKNOWN_TEXTS)
    w = Writer(rng, world.head)
    doc = Doc(title, rng.choice(PEOPLE) + ".team", ["team", "process"])
    for p in paras:
        doc.p(p)
    doc.h("Questions")
    doc.p("Ask your manager or the team channel.")
    return _finish(world, w, doc, _rand_day(rng, FIRST_DAY, LAST_DAY), "unknown")


# --------------------------------------------------------------------------- the mix


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def _folder(page: PageOut) -> str:
    tags = page.doc.tags
    for t in ("dispatch", "tracker", "portal"):
        if t in tags:
            return t
    if "postmortem" in tags:
        return "postmortems"
    if "adr" in tags:
        return "adr"
    if "onboarding" in tags:
        return "onboarding"
    if "team" in tags:
        return "team"
    if "ops" in tags or "deploy" in tags:
        return "ops"
    return "platform"


def _interleave(rng: random.Random, changes: list[Change]) -> list[int]:
    by_kind: dict[str, list[int]] = {}
    for i, ch in enumerate(changes):
        by_kind.setdefault(ch.kind, []).append(i)
    kinds = sorted(by_kind)
    rng.shuffle(kinds)
    for k in kinds:
        rng.shuffle(by_kind[k])
    order: list[int] = []
    while any(by_kind.values()):
        for k in kinds:
            if by_kind[k]:
                order.append(by_kind[k].pop())
    return order


def generate(world: World, seed: int, n: int) -> list[PageOut]:
    rng = random.Random(seed)
    counts = {k: max(1, round(share * n)) for k, share in MIX.items()}
    counts["stale"] = max(1, n - sum(counts.values()))
    pages: list[PageOut] = []
    order = _interleave(rng, world.changes)
    for j in range(counts["stale"]):
        pages.append(stale_page(rng, world, order[j % len(order)]))
    makers: dict[str, Callable[[], PageOut]] = {
        "current": lambda: current_page(rng, world),
        "old-true": lambda: old_true_page(rng, world),
        "external-tools": lambda: external_tools_page(rng, world),
        "console-cookbook": lambda: console_cookbook_page(rng, world),
        "coincidence": lambda: coincidence_page(rng, world),
        "suspect": lambda: current_page(rng, world, marker=True),
        "unknown": lambda: unknown_page(rng, world),
    }
    adr_no = 1
    for kind, count in counts.items():
        if kind == "stale":
            continue
        for j in range(count):
            if kind == "history":
                style = ("postmortem", "adr", "migration-notes")[j % 3]
                pages.append(history_page(rng, world, style, adr_no))
                adr_no += style == "adr"
            else:
                pages.append(makers[kind]())
    rng.shuffle(pages)
    # formats and page ids
    used: set[str] = set()
    n_html = 0
    for k, page in enumerate(pages):
        page.fmt = "html" if rng.random() < 0.3 else "md"
        if k == len(pages) - 1 and n_html == 0:
            page.fmt = "html"
        n_html += page.fmt == "html"
        base = page.page_id or f"{_folder(page)}/{_slug(page.doc.title)[:50]}"
        cand, i = base, 2
        while cand in used:
            cand, i = f"{base}-{i}", i + 1
        used.add(cand)
        page.page_id = f"{cand}.{page.fmt}"
    if all(p.fmt == "html" for p in pages):
        pages[0].fmt = "md"
        pages[0].page_id = pages[0].page_id.removesuffix(".html") + ".md"
    return pages


def assign_ids(rng: random.Random, pages: list[PageOut], taken: list[PageOut]) -> None:
    """Formats and page ids for pages added after `generate`, unique among `taken`."""
    used = {p.page_id.rsplit(".", 1)[0] for p in taken}
    for page in pages:
        page.fmt = "html" if rng.random() < 0.3 else "md"
        base = f"{_folder(page)}/{_slug(page.doc.title)[:50]}"
        cand, i = base, 2
        while cand in used:
            cand, i = f"{base}-{i}", i + 1
        used.add(cand)
        page.page_id = f"{cand}.{page.fmt}"


__all__ = [
    "SERVICE_TITLE",
    "PageOut",
    "World",
    "assign_ids",
    "commands_section",
    "generate",
    "invocation",
    "versions_section",
]
