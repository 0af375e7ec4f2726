"""The `stale` command line: parses, calls the library, formats, sets the exit code.

Exit codes: 0 nothing stale, 1 stale found, 2 usage or config error,
3 runtime failure. Heavy modules are imported inside the commands that need
them, so `stale --help` and `stale check` start fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from stale.config import DEFAULT_STORE, Config, ConfigError, RepoConfig, SourceConfig
from stale.model import Outcome, Status, Verdict
from stale.store import Store, StoreError

if TYPE_CHECKING:
    from connectors.base import Connector
    from stale.store import StoredPage

EXIT_OK, EXIT_STALE, EXIT_USAGE, EXIT_RUNTIME = 0, 1, 2, 3
DEFAULT_CONFIG_NAME = "stale.toml"

app = typer.Typer(
    name="stale",
    help="Find outdated wiki pages by checking their claims against your code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help=f"TOML config file (default: ./{DEFAULT_CONFIG_NAME} if present).",
        dir_okay=False,
    ),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help=f"SQLite store (default: from config, else {DEFAULT_STORE})."),
]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _load_config(config: Path | None) -> Config:
    from stale.config import load_config

    if config is not None:
        return load_config(config)
    default = Path(DEFAULT_CONFIG_NAME)
    if default.is_file():
        return load_config(default)
    return Config()


def resolve_config(
    config: Path | None,
    store: Path | None,
    wiki: list[Path] | None = None,
    repo: list[Path] | None = None,
) -> Config:
    """Config file (if any) overridden by --store, --wiki and --repo."""
    cfg = _load_config(config)
    changes: dict[str, object] = {}
    if store is not None:
        changes["store"] = store
    if repo:
        repos: list[RepoConfig] = []
        for p in repo:
            name = p.resolve().name
            if any(r.name == name for r in repos):
                name = f"{name}-{len(repos) + 1}"
            repos.append(RepoConfig(name=name, path=p))
        changes["repos"] = tuple(repos)
    if wiki:
        sources = []
        for i, w in enumerate(wiki):
            name = "wiki" if i == 0 else f"wiki{i + 1}"
            sources.append(SourceConfig(name=name, type="markdown", options={"path": str(w)}))
        changes["sources"] = tuple(sources)
    if changes:
        from dataclasses import replace

        cfg = replace(cfg, **changes)  # type: ignore[arg-type]
    return cfg


def _open_store(path: Path, *, create: bool) -> Store:
    try:
        return Store.open(path, create=create)
    except StoreError as e:
        fail(str(e))


# -- scan ------------------------------------------------------------------------


@app.command()
def scan(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    wiki: Annotated[
        list[Path] | None,
        typer.Option("--wiki", help="A folder of Markdown pages to scan (repeatable)."),
    ] = None,
    repo: Annotated[
        list[Path] | None,
        typer.Option("--repo", help="A repository checkout to check against (repeatable)."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-check every page.")] = False,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 when any page is this or worse: stale|suspect."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
) -> None:
    """Crawl the wiki, check every page against the code, store the verdicts."""
    from stale.scan import ScanError, run_scan

    try:
        cfg = resolve_config(config, store, wiki, repo)
    except ConfigError as e:
        fail(str(e))
    threshold = fail_on or cfg.scan.fail_on
    if threshold not in ("stale", "suspect"):
        fail(f"--fail-on: must be stale or suspect, got {threshold!r}")
    db = _open_store(cfg.store, create=True)
    try:
        result = run_scan(cfg, db, full=full)
    except ConfigError as e:
        fail(str(e))
    except ScanError as e:
        fail(str(e), EXIT_RUNTIME)
    except StoreError as e:
        fail(str(e), EXIT_RUNTIME)
    finally:
        db.close()

    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    elif not quiet:
        c = result.counts
        typer.echo(
            f"scanned {result.seen} pages ({result.rechecked} checked, {result.carried} unchanged) "
            f"in {result.elapsed_s:.1f}s"
        )
        typer.echo(
            "  "
            + "  ".join(f"{s}: {c.get(s, 0)}" for s in ("current", "suspect", "stale", "unknown"))
        )
        for s, p in result.newly_stale:
            typer.echo(f"  newly stale: {s}:{p}")
        for s, p in result.newly_current:
            typer.echo(f"  newly current: {s}:{p}")
        typer.echo(f"store: {cfg.store}   details: stale report --store {cfg.store}")
    for err in result.errors:
        typer.echo(f"error: {err}", err=True)
    if result.errors:
        raise typer.Exit(EXIT_RUNTIME)
    bad = result.stale + (result.suspect if threshold == "suspect" else 0)
    raise typer.Exit(EXIT_STALE if bad else EXIT_OK)


# -- check -----------------------------------------------------------------------


def _source_connector(db: Store, cfg: Config, source: str) -> Connector | None:
    from stale.scan import make_connector

    for s in cfg.sources:
        if s.name == source:
            return make_connector(s)
    for rec in db.sources():
        if rec.name == source:
            return make_connector(SourceConfig(name=rec.name, type=rec.type, options=rec.options))
    return None


def _resolve_page(db: Store, cfg: Config, ref: str) -> tuple[str, str]:
    """(source, page_id) for a page id, `source:page_id`, URL or file path."""
    matches = db.find_pages(ref)
    if not matches and ":" in ref and not ref.startswith(("http://", "https://", "file:")):
        source, _, pid = ref.partition(":")
        if db.page(source, pid) is not None:
            matches = [(source, pid)]
    if not matches:
        names = {s.name for s in cfg.sources} | {r.name for r in db.sources()}
        for name in sorted(names):
            try:
                connector = _source_connector(db, cfg, name)
            except ConfigError:
                continue
            owns = getattr(connector, "owns", None)
            owned = owns(ref) if callable(owns) else None
            if isinstance(owned, str):
                matches.append((name, owned))
    if not matches:
        fail(f"{ref}: no such page in {db.path}; give a page id, URL or path from `stale report`")
    if len(matches) > 1:
        options = ", ".join(f"{s}:{p}" for s, p in matches)
        fail(f"{ref}: matches several pages ({options}); name one as SOURCE:PAGE_ID")
    return matches[0]


def _fresh_check(db: Store, cfg: Config, source: str, page_id: str) -> None:
    from stale.scan import check_page, code_fingerprint, load_verifiers, settings_fingerprint

    connector = _source_connector(db, cfg, source)
    if connector is None:
        fail(f"{source}: source is not configured; pass --config or run `stale scan` first")
    repos = [(r.name, r.path) for r in cfg.repos] or [
        (name, Path(path)) for name, path, _ in db.repos()
    ]
    if not repos:
        fail("no repository to check against; pass --config or run `stale scan --repo DIR`")
    rec = next((r for r in db.sources() if r.name == source), None)
    if rec is not None and rec.repos:
        repos = [r for r in repos if r[0] in rec.repos] or repos
    from connectors.base import ConnectorError
    from stale.codebase import CodebaseError, build_codebase

    try:
        page = connector.page(page_id)
        code = build_codebase(repos)
    except (ConnectorError, CodebaseError) as e:
        fail(str(e), EXIT_RUNTIME)
    verifiers = load_verifiers()
    claims, verdict = check_page(page, code, verifiers, cfg.judge)
    run_id = db.start_run(code_fingerprint(repos))
    db.save_results(
        [(page, claims, verdict)],
        run_id=run_id,
        code_fingerprint=code_fingerprint(repos),
        settings_fingerprint=settings_fingerprint(cfg.judge, verifiers),
    )
    db.finish_run(run_id, "complete", {"fresh_check": f"{source}:{page_id}"})


_MARK = {
    Outcome.CONFIRMED: "ok",
    Outcome.CONTRADICTED: "XX",
    Outcome.MISSING: "XX",
    Outcome.UNVERIFIABLE: "--",
}
_COLOR = {
    Status.CURRENT: typer.colors.GREEN,
    Status.SUSPECT: typer.colors.YELLOW,
    Status.STALE: typer.colors.RED,
    Status.UNKNOWN: typer.colors.BLUE,
}


def format_verdict(
    page: StoredPage, v: Verdict, *, verbose: bool = False, color: bool = False
) -> str:
    """The human-readable form of one verdict, evidence included."""
    status = v.status.value.upper()
    if color:
        status = typer.style(status, fg=_COLOR[v.status], bold=True)
    when = v.checked_at.strftime("%Y-%m-%d %H:%M UTC") if v.checked_at else "never"
    lines = [
        f"{status}  {page.title}  [{v.source}:{v.page_id}]",
        f"  score {v.score:.2f}, checked {when}",
        f"  {page.url}",
    ]
    if v.reasons:
        lines.append("  why:")
        lines += [f"    - {r}" for r in v.reasons]
    shown = [
        f
        for f in v.findings
        if verbose or f.outcome in (Outcome.CONTRADICTED, Outcome.MISSING, Outcome.CONFIRMED)
    ]
    if shown:
        lines.append("  claims:")
        order = {
            Outcome.CONTRADICTED: 0,
            Outcome.MISSING: 1,
            Outcome.CONFIRMED: 2,
            Outcome.UNVERIFIABLE: 3,
        }
        # Claims about now first (what is wrong, then what holds), history last.
        for f in sorted(
            shown, key=lambda f: (f.claim.historical, order[f.outcome], f.claim.span.line)
        ):
            c = f.claim
            subj = c.subject + (f" = {c.value}" if c.value else "")
            ctx = f" ({c.context})" if c.context else ""
            mark = "history" if c.historical else _MARK[f.outcome]
            lines.append(f"    [{mark}] line {c.span.line}: {c.kind} {subj}{ctx}: {f.message}")
            if f.suggestion:
                lines.append(f"         suggestion: {f.suggestion}")
            if (f.outcome is not Outcome.CONFIRMED and not c.historical) or verbose:
                for e in f.evidence:
                    lines.append(f"         evidence: {e.describe()}")
    if v.error:
        lines.append(f"  error: {v.error}")
    return "\n".join(lines)


@app.command()
def check(
    page: Annotated[str, typer.Argument(help="Page id, SOURCE:PAGE_ID, URL or file path.")],
    config: ConfigOpt = None,
    store: StoreOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="Re-check the page now.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also list unverifiable claims.")
    ] = False,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="Exit 1 when the page is this or worse.")
    ] = "stale",
) -> None:
    """Is this page current? Prints the stored verdict with its evidence."""
    try:
        cfg = resolve_config(config, store)
    except ConfigError as e:
        fail(str(e))
    db = _open_store(cfg.store, create=False)
    try:
        source, page_id = _resolve_page(db, cfg, page)
        if fresh:
            try:
                _fresh_check(db, cfg, source, page_id)
            except ConfigError as e:
                fail(str(e))
        stored = db.page(source, page_id)
        verdict = db.verdict(source, page_id)
        if stored is None or verdict is None:
            fail(f"{page}: no verdict yet; run `stale scan` or `stale check --fresh`")
        if as_json:
            from stale.report.json_report import verdict_dict

            typer.echo(
                json.dumps(verdict_dict(verdict, url=stored.url, title=stored.title), indent=2)
            )
        else:
            typer.echo(format_verdict(stored, verdict, verbose=verbose, color=sys.stdout.isatty()))
    finally:
        db.close()
    bad = verdict.status is Status.STALE or (
        fail_on == "suspect" and verdict.status is Status.SUSPECT
    )
    raise typer.Exit(EXIT_STALE if bad else EXIT_OK)


# -- report ----------------------------------------------------------------------


@app.command()
def report(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Report format: json or markdown.")
    ] = "markdown",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Every page's verdict, as JSON (a stable contract) or Markdown."""
    from stale import plugins
    from stale.report.interface import collect

    try:
        cfg = resolve_config(config, store)
        reporter_cls = plugins.load("stale.reporters", fmt)
    except (ConfigError, plugins.PluginError) as e:
        fail(str(e))
    db = _open_store(cfg.store, create=False)
    try:
        run, rows = collect(db)
    finally:
        db.close()
    reporter = reporter_cls()
    if output is None:
        reporter.write(run, rows, sys.stdout)
        return
    try:
        with output.open("w", encoding="utf-8") as fh:
            reporter.write(run, rows, fh)
    except OSError as e:
        fail(f"{output}: cannot write the report ({e.strerror})", EXIT_RUNTIME)
    typer.echo(f"wrote {output} ({len(rows)} pages)")


# -- plugins ---------------------------------------------------------------------


@app.command("plugins")
def list_plugins() -> None:
    """List the connectors, verifiers and reporters that are installed."""
    from stale import plugins

    for group in plugins.GROUPS:
        typer.echo(f"{group}:")
        for p in plugins.available(group):
            typer.echo(f"  {p.name:<12} {p.target}  ({p.distribution})")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
