"""`stale export`, `stale serve` and `stale mcp`: the verdicts, for retrieval pipelines.

Registered on `stale.cli.app` by an import at the end of stale/cli.py. Nothing here
imports the MCP SDK or a web framework until the command that needs it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stale.cli import EXIT_RUNTIME, ConfigOpt, StoreOpt, app, fail, resolve_config
from stale.config import ConfigError

if TYPE_CHECKING:
    from stale.filter import StalenessFilter

ManifestOpt = Annotated[
    Path | None,
    typer.Option(
        "--manifest",
        help="Read verdicts from a manifest (`stale export`) instead of the store.",
        dir_okay=False,
    ),
]


def _store_path(config: Path | None, store: Path | None) -> Path:
    try:
        return resolve_config(config, store).store
    except ConfigError as e:
        fail(str(e))


def _load_filter(config: Path | None, store: Path | None, manifest: Path | None) -> StalenessFilter:
    from stale.filter import StalenessFilter
    from stale.manifest import ManifestError
    from stale.store import StoreError

    if manifest is not None and store is not None:
        fail("give --store or --manifest, not both")
    try:
        if manifest is not None:
            return StalenessFilter.from_manifest(manifest)
        return StalenessFilter.from_store(_store_path(config, store))
    except (StoreError, ManifestError) as e:
        fail(str(e))


def export(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Export format: manifest (JSON Lines).")
    ] = "manifest",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
    ] = None,
) -> None:
    """Write every page's verdict as a compact manifest a pipeline can ship without the store."""
    from stale.manifest import statuses_from_store, write_manifest
    from stale.store import Store, StoreError

    if fmt != "manifest":
        fail(f"--format: {fmt!r} is not an export format; use manifest")
    path = _store_path(config, store)
    try:
        with Store.open(path, create=False, readonly=True) as db:
            run = db.last_run()
            pages = list(statuses_from_store(db.conn))
    except StoreError as e:
        fail(str(e))
    try:
        n = write_manifest(
            pages,
            output,
            run_id=run.id if run else None,
            run_finished_at=run.finished_at if run else None,
        )
    except OSError as e:
        fail(f"{output}: cannot write the manifest ({e.strerror})", EXIT_RUNTIME)
    if output is not None:
        typer.echo(f"wrote {output} ({n} pages)")


def serve(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    manifest: ManifestOpt = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free port).")] = 8765,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log requests.")] = False,
) -> None:
    """Serve verdicts and document filtering over HTTP (JSON) until interrupted."""
    from stale.integrations.http_api import make_server

    flt = _load_filter(config, store, manifest)
    try:
        server = make_server(flt, host, port, quiet=quiet)
    except OSError as e:
        fail(f"cannot listen on {host}:{port} ({e.strerror})", EXIT_RUNTIME)
    bound_host, bound_port = server.server_address[:2]
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"warning: listening on {host}: anyone who can reach it can read every verdict",
            err=True,
        )
    typer.echo(f"stale serve: http://{bound_host!s}:{bound_port}/ ({len(flt)} pages)", err=True)
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        flt.close()


def mcp(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    manifest: ManifestOpt = None,
) -> None:
    """Run an MCP server over stdio with the tools is_page_current and search_current_pages."""
    try:
        import mcp.server  # noqa: F401
    except ImportError:
        fail("the MCP server needs the mcp package: pip install 'stale[mcp]'")
    from stale.integrations.mcp_server import run_stdio

    flt = _load_filter(config, store, manifest)
    try:
        run_stdio(flt)
    except KeyboardInterrupt:
        pass
    finally:
        flt.close()


app.command()(export)
app.command()(serve)
app.command("mcp")(mcp)
