"""`stale search QUERY`: the wiki pages closest in meaning to a question, with their status.

Registered on `stale.cli.app` by an import at the end of stale/cli.py. Uses the page
index `stale scan` leaves beside the store (docs/semantic.md); nothing heavy is
imported until the command runs.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from stale.cli import _COLOR, ConfigOpt, StoreOpt, app, fail, resolve_config
from stale.config import ConfigError
from stale.model import Status

_FLAG = {
    "stale": "STALE: out of date, do not rely on it",
    "suspect": "suspect: possibly out of date",
    "unknown": "unknown: not checked against the code",
}


def search(
    query: Annotated[str, typer.Argument(help="What you are looking for, in your words.")],
    config: ConfigOpt = None,
    store: StoreOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many pages to show.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Find pages by meaning (semantic search), each with its verdict; stale ones flagged."""
    from stale.semantic.interface import EmbedderError
    from stale.semantic.search import SemanticSearch
    from stale.store import Store, StoreError

    if limit < 1:
        fail(f"--limit: must be at least 1, got {limit}")
    try:
        cfg = resolve_config(config, store)
    except ConfigError as e:
        fail(str(e))
    try:
        db = Store.open(cfg.store, create=False, readonly=True)
    except StoreError as e:
        fail(str(e))
    try:
        try:
            engine = SemanticSearch.open(cfg.store)
        except EmbedderError as e:
            fail(str(e))
        rows: list[dict[str, Any]] = []
        for source, page_id, score in engine.query(query, limit):
            stored = db.page(source, page_id)
            v = db.conn.execute(
                "SELECT status, reasons, checked_at FROM verdicts WHERE source = ? AND page_id = ?",
                (source, page_id),
            ).fetchone()
            if stored is None:
                continue
            status = v[0] if v else "unknown"
            rows.append(
                {
                    "source": source,
                    "page_id": page_id,
                    "title": stored.title,
                    "url": stored.url,
                    "similarity": round(score, 4),
                    "status": status,
                    "stale": status == "stale",
                    "current": status == "current",
                    "reasons": json.loads(v[1])[:3] if v else [],
                    "checked_at": v[2] if v else None,
                }
            )
    finally:
        db.close()
    if as_json:
        typer.echo(
            json.dumps(
                {"query": query, "embedder": engine.embedder.name, "results": rows}, indent=2
            )
        )
        return
    if not rows:
        typer.echo("no pages found")
        return
    color = sys.stdout.isatty()
    for i, r in enumerate(rows, 1):
        label = r["status"].upper()
        if color:
            label = typer.style(label, fg=_COLOR[Status(r["status"])], bold=True)
        ref = f"{r['source']}:{r['page_id']}"
        typer.echo(f"{i:>2}. {r['similarity']:.2f}  {label:<8} {r['title']}  [{ref}]")
        if r["status"] in _FLAG:
            typer.echo(
                f"      !! {_FLAG[r['status']]}" + (f": {r['reasons'][0]}" if r["reasons"] else "")
            )
        if r["url"]:
            typer.echo(f"      {r['url']}")
    typer.echo(f"(embedder: {engine.embedder.name})")


app.command()(search)
