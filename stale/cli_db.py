"""`stale db check` and `stale db backup`: the store's health and a safe copy of it.

Registered on `stale.cli.app` by an import at the end of stale/cli.py. Neither
command migrates or rewrites the store: a damaged or newer-schema database is
reported, never "repaired" in place.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stale.cli import EXIT_OK, EXIT_RUNTIME, ConfigOpt, StoreOpt, app, fail, resolve_config
from stale.config import ConfigError

db_app = typer.Typer(
    help="Check the store's integrity or back it up.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


def _store_path(config: Path | None, store: Path | None) -> Path:
    try:
        return resolve_config(config, store).store
    except ConfigError as e:
        fail(str(e))


@db_app.command("check")
def db_check(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Integrity and quick check, schema version, orphaned rows. Exit 0 ok, 3 not."""
    from stale.store import SCHEMA_VERSION, StoreError, check_store, store_schema_version

    path = _store_path(config, store)
    try:
        problems = check_store(path)
    except StoreError as e:
        fail(str(e))
    if as_json:
        doc = {
            "store": str(path),
            "ok": not problems,
            "schema_version": store_schema_version(path),
            "supported_schema_version": SCHEMA_VERSION,
            "problems": problems,
        }
        typer.echo(json.dumps(doc, indent=2))
    elif problems:
        for p in problems:
            typer.echo(f"problem: {p}")
    else:
        typer.echo(f"ok: {path} (schema {store_schema_version(path)})")
    raise typer.Exit(EXIT_RUNTIME if problems else EXIT_OK)


@db_app.command("backup")
def db_backup(
    dest: Annotated[Path, typer.Argument(help="File to write the copy to.", dir_okay=False)],
    config: ConfigOpt = None,
    store: StoreOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite DEST if it already exists.")
    ] = False,
) -> None:
    """A consistent copy of the store (SQLite online backup), safe while a scan runs."""
    from stale.store import StoreError, backup_store

    path = _store_path(config, store)
    if dest.exists() and not force:
        fail(f"{dest}: already exists; pass --force to overwrite it")
    try:
        size = backup_store(path, dest, force=force)
    except StoreError as e:
        fail(str(e), EXIT_RUNTIME)
    typer.echo(f"backed up {path} to {dest} ({size} bytes)")
