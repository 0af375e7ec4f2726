"""`stale tag` (write-back) and `stale sources` (what is configured, can it be reached).

Registered on `stale.cli.app` by an import in stale/cli.py.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from stale.cli import EXIT_RUNTIME, ConfigOpt, StoreOpt, app, fail, resolve_config
from stale.config import ConfigError


@app.command("tag")
def tag(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", "-n", help="Show what would change; change nothing.")
    ] = False,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Only this source (repeatable)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan or result as JSON.")
    ] = False,
    max_failures: Annotated[
        int,
        typer.Option(
            "--max-failures",
            min=1,
            help="Stop a source after this many consecutive failed writes (default 3).",
        ),
    ] = 3,
) -> None:
    """Tag stale pages in the wiki and untag pages that are current again (opt-in per source)."""
    from stale.store import Store, StoreError
    from stale.tagging import apply_tags, plan_tags

    try:
        cfg = resolve_config(config, store)
    except ConfigError as e:
        fail(str(e))
    try:
        db = Store.open(cfg.store, create=False)
    except StoreError as e:
        fail(str(e))
    with db:
        try:
            plans = plan_tags(cfg, db, source or ())
        except ConfigError as e:
            fail(str(e))
        if dry_run:
            if as_json:
                out: list[dict[str, Any]] = [
                    {
                        "source": p.source,
                        "enabled": p.enabled,
                        "max_per_run": p.max_per_run,
                        "writes": p.writes,
                        "over_cap": p.over_cap,
                        "note": p.note,
                        "actions": [vars(a) for a in p.actions],
                    }
                    for p in plans
                ]
                typer.echo(json.dumps(out, indent=2))
                return
            for p in plans:
                if not p.enabled:
                    typer.echo(f"{p.source}: {p.note}")
                    continue
                cap = (
                    f" (over max_per_run = {p.max_per_run}: a real run would change nothing)"
                    if p.over_cap
                    else ""
                )
                reads = len(p.actions) - p.writes
                also = f", {reads} page(s) to read back" if reads else ""
                typer.echo(f"{p.source}: {p.writes} change(s) planned{also}{cap}")
                for a in p.actions:
                    note = (
                        " [last outcome unknown: the wiki is read first]"
                        if a.unsettled and a.action != "verify"
                        else ""
                    )
                    typer.echo(f"  {a.action:<6} {a.page_id}  ({a.reason}){note}")
            typer.echo("dry run: nothing was changed")
            return
        try:
            result = apply_tags(cfg, db, plans, max_failures=max_failures)
        except ConfigError as e:
            fail(str(e))
        except StoreError as e:  # another scan or tag run holds the store
            fail(str(e), EXIT_RUNTIME)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for a in result.done:
            typer.echo(f"{a.action:<5} {a.source}:{a.page_id}  ({a.reason})")
        for a, found in result.verified:
            typer.echo(
                f"verify {a.source}:{a.page_id}  (the wiki shows it "
                f"{'tagged' if found else 'not tagged'}; recorded)"
            )
        for a, err in result.failed:
            typer.echo(f"error: {a.action} {a.source}:{a.page_id} failed: {err}", err=True)
        for a, err in result.unknown:
            typer.echo(
                f"error: {a.action} {a.source}:{a.page_id}: outcome unknown ({err}); "
                "the next run reads the page before acting",
                err=True,
            )
        for line in result.skipped + result.stopped:
            typer.echo(f"error: {line}", err=True)
        for p in plans:
            if not p.enabled:
                typer.echo(f"{p.source}: {p.note}")
        unknown = f", {len(result.unknown)} unknown" if result.unknown else ""
        stopped = f", {len(result.stopped)} stopped early" if result.stopped else ""
        typer.echo(
            f"{len(result.done)} change(s) made, {len(result.failed)} failed{unknown}, "
            f"{len(result.skipped)} source(s) skipped{stopped}"
        )
    if not result.ok:
        raise typer.Exit(EXIT_RUNTIME)


@app.command("sources")
def sources(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not contact the sources; store counts only.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the sources as JSON.")] = False,
) -> None:
    """List configured sources: type, location, reachability and page counts from the store."""
    from connectors.base import ConnectorError
    from stale.scan import make_connector
    from stale.store import Store, StoreError

    try:
        cfg = resolve_config(config, store)
    except ConfigError as e:
        fail(str(e))
    counts: dict[str, dict[str, int]] = {}
    if cfg.store.exists():
        try:
            with Store.open(cfg.store, create=False, readonly=True) as db:
                counts = db.page_counts()
        except StoreError:
            counts = {}
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for src in cfg.sources:
        row: dict[str, Any] = {"name": src.name, "type": src.type, "location": ""}
        by_status = counts.get(src.name, {})
        row["pages"] = sum(by_status.values())
        row["statuses"] = by_status
        try:
            connector: Any = make_connector(src)
            row["location"] = str(getattr(connector, "location", ""))
            if offline:
                row["reachable"] = None
            else:
                check = getattr(connector, "check", None)
                if callable(check):
                    row["detail"] = str(check())
                else:
                    next(iter(connector.pages()), None)
                row["reachable"] = True
        except (ConfigError, ConnectorError) as e:
            row["reachable"] = False
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            if not msg.startswith(f"source {src.name}") and src.name not in msg:
                msg = f"source {src.name}: {msg}"
            row["error"] = msg
            errors.append(msg)
        rows.append(row)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        if not rows:
            typer.echo("no sources configured; add a [[sources]] entry (see docs/connectors.md)")
        for r in rows:
            state = {True: "ok", False: "UNREACHABLE", None: "not checked"}[r["reachable"]]
            stat = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
            typer.echo(
                f"{r['name']:<16} {r['type']:<11} {state:<12} {r['pages']:>6} pages"
                f"{f' ({stat})' if stat else ''}  {r['location']}"
            )
        for msg in errors:
            typer.echo(f"error: {msg}", err=True)
    if errors:
        raise typer.Exit(EXIT_RUNTIME)
