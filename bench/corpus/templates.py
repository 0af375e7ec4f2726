"""Page templates. Each writes a Doc from a repository snapshot through a Writer.

`focus` slots (and `focus_paths`) must appear on the page: for a stale page they
are the facts a later commit changed. Everything else is sampled from the same
snapshot, so every claim on a page is something that was true when it was
written; the labels say which still are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bench.corpus.doc import Doc, human_date
from bench.corpus.history import CAST, PROGRAM
from bench.corpus.model import Change, Fact, State
from bench.corpus.writer import Writer

SERVICE_TITLE = {"dispatch": "Dispatch", "tracker": "Tracker", "portal": "Customer portal"}
ENV_OWNER = {"dispatch": "dispatch.settings", "tracker": "tracker.main", "portal": "portal.server"}
API_OWNER = {"dispatch": "dispatch.api", "tracker": "tracker.api", "portal": "portal.server"}
SYMBOL_OWNER = {
    "dispatch": "dispatch.planner",
    "tracker": "tracker.geo",
    "portal": "portal.pricing",
}
PEOPLE = [k for k in CAST]

EXAMPLE_ARG = {
    "--depot": "SEA1",
    "--since": "2024-01-01",
    "--key-id": "alias/dispatch-data",
    "--service": "dispatch",
    "--orders": "250",
    "--index": "shipments",
    "--target": "head",
    "--cluster": "northwind-prod",
    "--bucket": "northwind-db-backups",
    "--s3-bucket": "northwind-db-backups",
    "--retention-days": "14",
    "--tag": "4f2c9e1",
    "--env": "production",
    "--wait": "600",
    "--max-retries": "5",
    "--retries": "5",
    "--input-file": "orders-2024-06-03.csv",
    "--manifest": "manifest-2025-06-03.csv",
    "--out": "june.csv",
    "--log-level": "debug",
    "--batch-size": "100",
    "--workers": "8",
    "--listen": ":9999",
    "--region": "eu-west-1",
    "--zone": "eu-west-1b",
    "--poll-interval": "5s",
}


def service_of(owner: str) -> str:
    head = owner.split(".", 1)[0]
    if head in SERVICE_TITLE:
        return head
    if owner in ("script.tracker_deploy",):
        return "tracker"
    return "dispatch"


def owner_of(slot: str) -> str:
    return slot.split("/", 1)[0]


def _choose(
    w: Writer, items: Sequence[tuple[str, Fact]], focus: Sequence[str], k: int
) -> list[tuple[str, Fact]]:
    """Focus slots first (in snapshot order), then up to k others, snapshot order kept."""
    forced = {s for s, _ in items if s in focus}
    rest = [s for s, _ in items if s not in forced]
    extra = set(w.rng.sample(rest, min(len(rest), max(0, k - len(forced)))))
    return [(s, f) for s, f in items if s in forced or s in extra]


def _new_doc(w: Writer, title: str, tags: list[str]) -> Doc:
    return Doc(title=title, owner=w.pick(PEOPLE) + ".team", tags=tags)


def _default_phrase(w: Writer, shown: str, value: str, note: str) -> str:
    return w.pick(
        [
            f"`{shown}` defaults to `{value}`.",
            f"`{shown}` (default `{value}`): {note}.",
            f"If you leave out `{shown}`, the default is `{value}`.",
            f"The default for `{shown}` is `{value}`; {note}.",
        ]
    )


# --------------------------------------------------------------------------- sections


def options_section(w: Writer, doc: Doc, owner: str, focus: Sequence[str], k: int = 4) -> None:
    flags = _choose(w, w.snap.of(owner, "flag"), focus, k)
    if not flags:
        return
    style = w.rng.random()
    doc.h(w.pick(["Options", "Flags", "Command-line options"]))
    if style < 0.45:
        rows = []
        for slot, f in flags:
            shown = w.c(slot, value=f.value is not None)
            rows.append([f"`{shown}`", f"`{f.value}`" if f.value else "-", f.note.capitalize()])
        doc.table(["Flag", "Default", "Description"], rows)
    else:
        items = []
        for slot, f in flags:
            shown = w.c(slot, value=f.value is not None)
            if f.value is not None:
                items.append(_default_phrase(w, shown, f.value, f.note))
            else:
                items.append(f"`{shown}`: {f.note}.")
        doc.ul(items)


def invocation(w: Writer, doc: Doc, owner: str, focus: Sequence[str]) -> None:
    prog = PROGRAM.get(owner)
    if prog is None:
        return
    where = w.snap.paths.get(owner, "")
    if owner.startswith("script."):
        prog = "./" + where
    elif owner == "dispatch.export":
        prog = "python " + where
    flags = _choose(w, w.snap.of(owner, "flag"), focus, 3)
    parts = [prog]
    for slot, f in flags:
        shown = w.c(slot)
        if f.subject == "--dry-run" or f.subject == "--debug":
            parts.append(shown)
        else:
            parts.append(f"{shown} {EXAMPLE_ARG.get(f.subject, f.value or 'x')}")
    if owner.startswith("script.") or owner == "dispatch.export":
        w.path(where)
    doc.code("bash", " ".join(parts))


def env_section(w: Writer, doc: Doc, owner: str, focus: Sequence[str], k: int = 3) -> None:
    envs = _choose(w, w.snap.of(owner, "env"), focus, k)
    if not envs:
        return
    doc.h(w.pick(["Environment", "Environment variables", "Configuration from the environment"]))
    style = w.rng.random()
    if style < 0.4:
        rows = []
        for slot, f in envs:
            shown = w.c(slot, value=f.value is not None)
            rows.append([f"`{shown}`", f"`{f.value}`" if f.value else "(required)", f.note])
        doc.table(["Variable", "Default", "Meaning"], rows)
    elif style < 0.75:
        items = []
        for slot, f in envs:
            shown = w.c(slot, value=f.value is not None)
            if f.value is not None:
                items.append(_default_phrase(w, shown, f.value, f.note))
            else:
                items.append(f"`{shown}` must be set: {f.note}.")
        doc.ul(items)
    else:
        if w.rng.random() < 0.5:
            doc.p(f"For local runs, copy `{w.path('.env.example')}` to `.env`, or export them:")
        else:
            doc.p("For local runs, export them in your shell or put them in `.env`:")
        lines = []
        for slot, f in envs:
            shown = w.c(slot)
            example = f.value or ("postgresql://localhost/northwind" if "URL" in shown else "xyz")
            lines.append(f"export {shown}={example}")
        doc.code("bash", "\n".join(lines))


def config_section(w: Writer, doc: Doc, owner: str, focus: Sequence[str], k: int = 4) -> None:
    keys = _choose(w, w.snap.of(owner, "config"), focus, k)
    if not keys:
        return
    where = w.snap.paths.get(owner)
    if where and owner != "dispatch.settings":
        doc.p(
            w.pick(
                [
                    f"The settings live in `{w.path(where)}`.",
                    f"Defaults are in `{w.path(where)}`; environments override them.",
                    f"Edit `{w.path(where)}` and open a pull request to change a default.",
                ]
            )
        )
    style = w.rng.random()
    if owner in ("dispatch.yaml", "helm") and style < 0.4:
        tree: dict[str, list[tuple[str, str]]] = {}
        flat: list[tuple[str, str]] = []
        for slot, f in keys:
            w.c(slot, value=True)
            if "." in f.subject:
                head, rest = f.subject.split(".", 1)
                tree.setdefault(head, []).append((rest, f.value or ""))
            else:
                flat.append((f.subject, f.value or ""))
        lines = [f"{k2}: {v}" for k2, v in flat]
        for head, kvs in tree.items():
            lines.append(f"{head}:")
            # one mapping per parent key: a repeated key is a duplicate that every
            # YAML loader resolves by dropping all but the last one
            nested: dict[str, list[tuple[str, str]]] = {}
            for rest, v in kvs:
                if "." in rest:
                    a, b = rest.split(".", 1)
                    nested.setdefault(a, []).append((b, v))
                else:
                    lines.append(f"  {rest}: {v}")
            for a, bvs in nested.items():
                lines.append(f"  {a}:")
                lines += [f"    {b}: {v}" for b, v in bvs]
        doc.code("yaml", "\n".join(lines))
    elif style < 0.75:
        rows = []
        for slot, f in keys:
            shown = w.c(slot, value=True)
            rows.append([f"`{shown}`", f"`{f.value}`", f.note])
        doc.table(["Setting", "Default", "Notes"], rows)
    else:
        items = []
        for slot, f in keys:
            shown = w.c(slot, value=True)
            items.append(_default_phrase(w, shown, f.value or "", f.note))
        doc.ul(items)


def endpoints_section(w: Writer, doc: Doc, owner: str, focus: Sequence[str], k: int = 3) -> None:
    eps = _choose(w, w.snap.of(owner, "endpoint"), focus, k)
    if not eps:
        return
    doc.h(w.pick(["Endpoints", "API", "Routes"]))
    if w.rng.random() < 0.5:
        rows = []
        for slot, f in eps:
            w.c(slot)
            method = f.subject.split(" ", 1)[0]
            rows.append([method, f"`{f.shown}`", f.note.capitalize()])
        doc.table(["Method", "Path", "Description"], rows)
    else:
        items = []
        for slot, f in eps:
            w.c(slot)
            method = f.subject.split(" ", 1)[0]
            items.append(f"`{method} {f.shown}` - {f.note}")
        doc.ul(items)


def symbols_section(w: Writer, doc: Doc, owner: str, focus: Sequence[str], k: int = 3) -> None:
    syms = _choose(w, w.snap.of(owner, "symbol"), focus, k)
    if not syms:
        return
    path = w.snap.paths[owner]
    doc.p(f"The code is in `{w.path(path)}`.")
    items = []
    for slot, f in syms:
        shown = w.c(slot)
        call = f"{shown}()" if owner != "tracker.geo" else shown
        items.append(
            w.pick(
                [
                    f"`{call}` {f.note}.",
                    f"`{call}`: {f.note}.",
                    f"{f.note.capitalize()}: see `{call}`.",
                ]
            )
        )
    doc.ul(items)


def versions_section(w: Writer, doc: Doc, focus: Sequence[str], k: int = 3) -> None:
    vers = _choose(w, w.snap.of("runtime") + w.snap.of("compose"), focus, k)
    names = {"python": "Python", "node": "Node.js", "go": "Go", "postgres": "PostgreSQL"}
    names["redis"] = "Redis"
    images = {
        "python": "python:{v}-slim",
        "node": "node:{v}-alpine",
        "go": "golang:{v}",
        "postgres": "postgres:{v}",
        "redis": "redis:{v}-alpine",
    }
    style = w.rng.random()
    if style < 0.5:
        rows = []
        for slot, f in vers:
            w.c(slot, value=True)
            img = images[f.subject].format(v=f.value)
            rows.append([names[f.subject], f.value or "", f"`{img}`"])
        doc.table(["Component", "Version", "Image"], rows)
    else:
        items = []
        for slot, f in vers:
            w.c(slot, value=True)
            img = images[f.subject].format(v=f.value)
            items.append(
                w.pick(
                    [
                        f"{names[f.subject]} {f.value} (image `{img}`)",
                        f"{names[f.subject]} {f.value}; containers use `{img}`",
                        f"We run {names[f.subject]} {f.value}.",
                    ]
                )
            )
        doc.ul(items)


def commands_section(w: Writer, doc: Doc, owner: str, focus: Sequence[str], k: int = 3) -> None:
    cmds = _choose(w, w.snap.of(owner, "command"), focus, k)
    if not cmds:
        return
    what = {
        "test": "runs the unit tests of all three services",
        "lint": "runs the linters",
        "build": "builds the container images",
        "run-dispatch": "starts the planner locally in dry-run mode",
        "deploy": "deploys to staging",
        "release": "releases all services with Helm",
        "seed-db": "loads demo orders into your local database",
        "docs": "builds the developer docs site",
        "migrate": "applies database migrations",
        "deploy-tracker": "deploys the tracker",
        "dev": "starts the portal with live reload",
        "storybook": "opens the component library on port 6006",
    }
    if w.rng.random() < 0.5:
        items = []
        for slot, f in cmds:
            shown = w.c(slot)
            items.append(f"`{shown}` {what.get(f.subject.split()[-1], 'does what it says')}")
        doc.ul(items)
    else:
        lines = [w.c(slot) for slot, _ in cmds]
        doc.code("bash", "\n".join(lines))


# --------------------------------------------------------------------------- templates


def cli_runbook(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    svc = service_of(owner)
    name = SERVICE_TITLE[svc]
    title = w.pick(
        [
            f"{name} command line",
            f"Running the {svc} binary by hand",
            f"{name}: operator runbook",
            f"How to run {svc} locally",
        ]
    )
    if owner == "dispatch.export":
        title = w.pick(["Exporting delivered orders", "Finance CSV export"])
    doc = _new_doc(w, title, [svc, "runbook", "cli"])
    doc.p(
        w.pick(
            [
                f"This is the page to read before running {svc} from a shell. Most of the time "
                "the service runs in the cluster and you never need it.",
                f"Operators run {svc} by hand for backfills and incident work. "
                "Everything below is what on-call needs.",
                f"A short guide to the {svc} command line, kept by the {svc} team.",
            ]
        )
    )
    if w.rng.random() < 0.5:
        doc.p(f"The entry point is `{w.path(w.snap.paths[owner])}`.")
    doc.h("Usage")
    invocation(w, doc, owner, [s for s in focus if owner_of(s) == owner and w.rng.random() < 0.5])
    options_section(w, doc, owner, [s for s in focus if owner_of(s) == owner])
    env_owner = ENV_OWNER.get(svc)
    env_focus = [s for s in focus if env_owner and owner_of(s) == env_owner]
    if env_owner and (env_focus or w.rng.random() < 0.6):
        env_section(w, doc, env_owner, env_focus)
    doc.h(w.pick(["Troubleshooting", "When it goes wrong"]))
    doc.p(
        w.pick(
            [
                "If the command exits with code 2 it did not understand an option; check the "
                "spelling against the table above.",
                "Most failures are credentials. Ask in #ops-help before retrying more than twice.",
                "Logs go to stderr. Attach them to the ticket when you escalate.",
            ]
        )
    )
    return doc


def env_reference(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    svc = service_of(owner)
    doc = _new_doc(
        w,
        w.pick(
            [
                f"{SERVICE_TITLE[svc]} environment variables",
                f"Configuring {svc} with environment variables",
                f"{svc}: settings reference",
            ]
        ),
        [svc, "configuration"],
    )
    doc.p(
        w.pick(
            [
                f"{svc} reads its settings from the environment at start-up. Variables not "
                "listed here are ignored.",
                "Every deployment sets these through the Helm chart; locally you export them.",
            ]
        )
    )
    env_section(w, doc, owner, focus, k=4)
    if svc == "dispatch" and w.rng.random() < 0.6:
        config_section(
            w, doc, "dispatch.yaml", [s for s in focus if owner_of(s) == "dispatch.yaml"]
        )
    doc.h("Secrets")
    doc.p(
        "Secrets come from the vault, never from the repository. Rotate them with the key "
        "rotation runbook."
    )
    return doc


def config_reference(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    titles = {
        "dispatch.yaml": ["Dispatch configuration reference", "Tuning the dispatch service"],
        "dispatch.settings": ["Dispatch planner settings", "Planner knobs"],
        "helm": ["Helm chart values", "Kubernetes sizing for Northwind services"],
        "tf": ["Terraform variables", "Infrastructure defaults"],
        "portal.config": ["Portal configuration", "Quote cache and limits"],
    }
    tags = {"helm": ["kubernetes", "helm"], "tf": ["terraform", "infra"]}
    doc = _new_doc(w, w.pick(titles[owner]), tags.get(owner, [service_of(owner), "configuration"]))
    doc.p(
        w.pick(
            [
                "These are the defaults we ship. Production overrides are in the deploy "
                "repository and are reviewed by the platform team.",
                "Change these with care: most of them were tuned during load tests.",
                "A reference of the settings people ask about most.",
            ]
        )
    )
    config_section(w, doc, owner, focus, k=4)
    if owner == "dispatch.yaml" and w.rng.random() < 0.4:
        env_section(
            w, doc, "dispatch.settings", [s for s in focus if owner_of(s).endswith("settings")]
        )
    doc.h(w.pick(["Changing a value", "How to change these"]))
    doc.p(
        "Open a pull request, get a review from the owning team, and mention it in the "
        "release notes."
    )
    return doc


def api_reference(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    svc = service_of(owner)
    doc = _new_doc(
        w,
        w.pick([f"{SERVICE_TITLE[svc]} API", f"{svc} HTTP endpoints", f"Calling the {svc} API"]),
        [svc, "api"],
    )
    doc.p(
        w.pick(
            [
                f"The {svc} API is internal; other services and the on-call tools call it.",
                "All endpoints speak JSON and need a service token.",
            ]
        )
    )
    endpoints_section(w, doc, owner, focus, k=4)
    if svc == "dispatch" and w.rng.random() < 0.4:
        doc.p(f"The schema is in `{w.path('services/dispatch/openapi.yaml')}`.")
    doc.h("Example")
    doc.p("From a bastion (replace the token with your own):")
    doc.code(
        "bash",
        w.decoy("external", "curl -fsS -H 'Authorization: Bearer <your-token>' ")
        + f"https://{svc}.internal.example.com/healthz",
    )
    return doc


def runtime_matrix(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    doc = _new_doc(
        w,
        w.pick(["Runtime versions", "What we run in production", "Supported versions"]),
        ["platform", "versions"],
    )
    doc.p(
        w.pick(
            [
                "Versions of languages and databases used by Northwind services. CI and the "
                "container images use the same ones.",
                "Upgrade all services together; the platform team tracks the matrix here.",
            ]
        )
    )
    versions_section(w, doc, focus, k=3)
    if w.rng.random() < 0.4:
        doc.p(f"Local tool versions are pinned in `{w.path('.tool-versions')}`.")
    doc.h("Upgrading")
    doc.p("Bump the image, the CI matrix and the lock files in one pull request.")
    return doc


def dev_workflow(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    doc = _new_doc(
        w,
        w.pick(["Developer workflow", "Local development", "Day one: your first change"]),
        ["onboarding", "dev"],
    )
    doc.p(
        w.pick(
            [
                "Clone the monorepo, install the tools from `.tool-versions`, and you are set.",
                "Everything runs from the repository root through the Makefile.",
            ]
        )
    )
    doc.h("Common tasks")
    commands_section(w, doc, "make", [s for s in focus if owner_of(s) == "make"])
    if owner == "portal.package" or w.rng.random() < 0.5:
        doc.h("Portal")
        doc.p("The portal has its own npm scripts; run them in `services/portal`.")
        commands_section(w, doc, "portal.package", [s for s in focus if owner_of(s) == owner])
    if w.rng.random() < 0.5:
        doc.h("Versions")
        versions_section(w, doc, [s for s in focus if owner_of(s) in ("runtime", "compose")], 2)
    return doc


def code_tour(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    svc = service_of(owner)
    doc = _new_doc(
        w,
        w.pick([f"{SERVICE_TITLE[svc]} code tour", f"How {svc} works inside", f"{svc} internals"]),
        [svc, "architecture"],
    )
    doc.p(
        w.pick(
            [
                "A map of the code for new team members. Start here before your first review.",
                "Where things are and which functions matter.",
            ]
        )
    )
    doc.h("Main pieces")
    symbols_section(w, doc, owner, focus, k=3)
    if w.rng.random() < 0.4:
        endpoints_section(w, doc, API_OWNER[svc], [], k=2)
    return doc


def script_runbook(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    path = w.snap.paths[owner]
    base = path.rsplit("/", 1)[-1]
    titles = {
        "script.backup": ["Database backups", "Backing up the dispatch database"],
        "script.rotate": ["Rotating service keys", "Key rotation runbook"],
        "script.seed": ["Seeding demo data", "Local demo data"],
        "script.reindex": ["Rebuilding the search index", "Search reindex runbook"],
        "script.migrate": ["Running database migrations", "Schema migrations"],
        "script.loadtest": ["Load testing dispatch", "Running a load test"],
        "script.tracker_deploy": ["Deploying the tracker", "Tracker deploys"],
        "script.deploy": ["Deploying a service", "Deploy runbook"],
        "script.release": ["Releasing Northwind", "Release runbook"],
    }
    doc = _new_doc(w, w.pick(titles[owner]), ["ops", "runbook"])
    doc.p(
        w.pick(
            [
                f"We use `{w.path(path)}` for this. Run it from the repository root.",
                f"The script is `{w.path(path)}`; it is safe to run twice.",
                f"Everything is wrapped in `{w.path(path)}` so nobody types the raw commands.",
            ]
        )
    )
    doc.h("Steps")
    invocation(w, doc, owner, [s for s in focus if owner_of(s) == owner])
    options_section(w, doc, owner, [s for s in focus if owner_of(s) == owner], k=3)
    env_section(w, doc, owner, [s for s in focus if owner_of(s) == owner], k=2)
    callers = {"script.seed": "make/seed-db", "script.migrate": "make/migrate"}
    slot = callers.get(owner)
    if slot and slot in w.snap.facts:
        doc.p(f"`{w.c(slot)}` wraps `{base}` with the usual arguments.")
    doc.h("Afterwards")
    doc.p("Post the output in the ops channel so the next person knows it ran.")
    return doc


def deploy_guide(w: Writer, owner: str, focus: Sequence[str], paths: Sequence[str]) -> Doc:
    doc = _new_doc(
        w,
        w.pick(["Deploying to production", "How we deploy", "Deploy and rollback"]),
        ["deploy", "runbook"],
    )
    doc.p(
        "Deploys go out from CI or a laptop with cluster credentials. Announce them in "
        "#deploys first."
    )
    if "script.deploy" in w.snap.paths:
        doc.h("Deploy")
        invocation(w, doc, "script.deploy", ["script.deploy/env", "script.deploy/tag"])
        options_section(
            w, doc, "script.deploy", [s for s in focus if owner_of(s) == "script.deploy"]
        )
        f = w.fact("script.deploy/denv")
        doc.p(
            f"The environment can also come from `{w.c('script.deploy/denv', value=True)}`, "
            f"which defaults to `{f.value}`."
        )
        doc.p(f"For staging, `{w.c('make/deploy')}` does the same with the Makefile defaults.")
    else:
        doc.h("Release")
        invocation(w, doc, "script.release", ["script.release/env", "script.release/tag"])
        options_section(w, doc, "script.release", [], k=3)
        doc.p(f"`{w.c('make/release')}` runs the script for staging with the current commit.")
    if "script.tracker_deploy" in w.snap.paths:
        doc.p("The tracker is deployed separately:")
        invocation(w, doc, "script.tracker_deploy", ["script.tracker_deploy/cluster"])
    elif "make/deploy-tracker" in w.snap.facts and w.rng.random() < 0.6:
        doc.p(f"The tracker is deployed separately with `{w.c('make/deploy-tracker')}`.")
    if w.rng.random() < 0.5:
        doc.h("Sizing")
        config_section(w, doc, "helm", [], k=2)
    doc.h("Rollback")
    doc.p("Deploy the previous tag the same way. Never edit a deployment by hand.")
    return doc


TEMPLATES = {
    "cli-runbook": cli_runbook,
    "env-reference": env_reference,
    "config-reference": config_reference,
    "api-reference": api_reference,
    "runtime-matrix": runtime_matrix,
    "dev-workflow": dev_workflow,
    "code-tour": code_tour,
    "script-runbook": script_runbook,
    "deploy-guide": deploy_guide,
}


def template_for(owner: str, kind: str, rng_pick: float) -> str:
    """Which template writes about facts of `owner`/`kind`."""
    if owner in ("runtime", "compose"):
        return "runtime-matrix" if rng_pick < 0.7 else "dev-workflow"
    if owner in ("make", "portal.package"):
        return "dev-workflow"
    if owner in ("script.deploy", "script.release"):
        return "deploy-guide"
    if owner == "script.tracker_deploy":
        return "deploy-guide" if rng_pick < 0.5 else "script-runbook"
    if owner.startswith("script."):
        return "script-runbook"
    if kind == "symbol" or owner in ("dispatch.planner", "tracker.geo", "portal.pricing"):
        return "code-tour"
    if kind == "endpoint":
        return "api-reference"
    if kind == "flag":
        return "cli-runbook"
    if kind == "env":
        return "env-reference" if rng_pick < 0.6 or owner == "portal.server" else "cli-runbook"
    if kind == "config":
        return "config-reference"
    return "config-reference"


# --------------------------------------------------------------------------- history


def _old_new(before: State, after: State, change: Change) -> list[tuple[str, Fact, Fact | None]]:
    out = []
    for slot in change.slots:
        old = before.facts.get(slot)
        if old is not None:
            out.append((slot, old, after.facts.get(slot)))
    return out


def history_sentences(
    w: Writer, before: State, after: State, change: Change, head: State
) -> tuple[list[str], list[str]]:
    """(past-tense sentences about the change, present-tense sentences about now)."""
    d = date.fromisoformat(change.date)
    when = w.pick([f"on {human_date(d)}", f"in {d.strftime('%B %Y')}", f"in {d.year}"])
    past: list[str] = []
    now: list[str] = []
    names = {
        "python": "Python",
        "node": "Node.js",
        "go": "Go",
        "postgres": "PostgreSQL",
        "redis": "Redis",
    }
    for slot, old, new in _old_new(before, after, change):
        if new is None:
            o = w.c(slot, hist=True, f=old)
            past.append(f"`{o}` was removed {when}.")
            continue
        if old.subject != new.subject:
            o = w.c(slot, hist=True, f=old)
            n = w.c(slot, hist=True, f=new)
            past.append(
                w.pick(
                    [
                        f"`{o}` was renamed to `{n}` {when}.",
                        f"We previously used `{o}`; it was replaced by `{n}` {when}.",
                    ]
                )
            )
            cur = head.facts.get(slot)
            if cur is not None and cur.subject == new.subject:
                now.append(f"Use `{w.c(slot, f=cur)}` today.")
        elif old.kind == "version":
            w.c(slot, value=True, hist=True, f=old)
            if w.rng.random() < 0.5:
                w.c(slot, value=True, hist=True, f=new)
                past.append(
                    f"We previously ran {names[old.subject]} {old.value}; the upgrade to "
                    f"{names[new.subject]} {new.value} landed {when}."
                )
            else:
                past.append(f"Until {d.year} the services used {names[old.subject]} {old.value}.")
            cur = head.facts.get(slot)
            if cur is not None and cur.value == new.value:
                w.c(slot, value=True, f=cur)
                now.append(f"All images are on {names[cur.subject]} {cur.value} now.")
        else:
            o = w.c(slot, value=True, hist=True, f=old)
            past.append(
                w.pick(
                    [
                        f"`{o}` used to default to `{old.value}`; "
                        f"it changed to `{new.value}` {when}.",
                        f"Originally `{o}` was `{old.value}`.",
                    ]
                )
            )
            cur = head.facts.get(slot)
            if cur is not None and cur.value == new.value and cur.subject == new.subject:
                w.c(slot, value=True, f=cur)
                now.append(f"`{cur.shown}` is `{cur.value}` now.")
    for o in change.ops:
        if o.op == "delcomp":
            path = before.paths[o.target]
            past.append(f"`{w.path(path, hist=True)}` was removed {when}.")
        elif o.op == "move":
            old_p, new_p = before.paths[o.target], after.paths[o.target]
            past.append(
                f"`{w.path(old_p, hist=True)}` was moved to `{w.path(new_p, hist=True)}` {when}."
            )
            if head.paths.get(o.target) == new_p:
                now.append(f"The file lives at `{w.path(new_p)}`.")
        elif o.op == "addcomp" and head.paths.get(o.target) == o.path and o.path:
            now.append(f"Run `{w.path(o.path)}` instead.")
        elif o.op == "add" and o.fact is not None and o.target in head.facts:
            now.append(f"`{w.c(o.target, f=head.facts[o.target])}` is the supported way now.")
    return past, now
