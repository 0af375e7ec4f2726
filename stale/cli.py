"""The `stale` command line: parses, calls the library, formats, sets the exit code.

Exit codes: 0 nothing stale, 1 stale found, 2 usage or config error,
3 runtime failure. Heavy modules are imported inside the commands that need
them, so `stale --help` and `stale check` start fast.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from stale import collector
from stale.config import DEFAULT_STORE, Config, ConfigError, RepoConfig, SourceConfig
from stale.model import Outcome, Status, Verdict
from stale.store import Store, StoreError

if TYPE_CHECKING:
    from connectors.base import Connector
    from stale.store import StoredPage
    from stale.triage import Baseline

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
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format", help="Progress lines on stderr when not a terminal: text or json."
        ),
    ] = "text",
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Processes that check pages (0: one per CPU core; 1: no pool)."
        ),
    ] = None,
) -> None:
    """Crawl the wiki, check every page against the code, store the verdicts."""
    from dataclasses import replace

    from stale.progress import ScanProgress
    from stale.scan import ScanError, run_scan

    try:
        cfg = resolve_config(config, store, wiki, repo)
    except ConfigError as e:
        fail(str(e))
    if workers is not None:
        if workers < 0:
            fail(f"--workers: must be >= 0 (0: one per CPU core), got {workers}")
        cfg = replace(cfg, scan=replace(cfg.scan, workers=workers))
    threshold = fail_on or cfg.scan.fail_on
    if threshold not in ("stale", "suspect"):
        fail(f"--fail-on: must be stale or suspect, got {threshold!r}")
    if log_format not in ("text", "json"):
        fail(f"--log-format: must be text or json, got {log_format!r}")
    db = _open_store(cfg.store, create=True)
    progress = ScanProgress(quiet=quiet, log_format=log_format)
    collector.skip_collection_at_exit()  # a scan is the last thing its process does
    try:
        result = run_scan(cfg, db, full=full, on_page=progress.on_page)
    except ConfigError as e:
        fail(str(e))
    except ScanError as e:
        fail(str(e), EXIT_RUNTIME)
    except StoreError as e:
        fail(str(e), EXIT_RUNTIME)
    finally:
        progress.close()
        db.close()
    if log_format == "json" and not quiet:
        progress.emit("summary", **result.as_dict())

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
        if result.rechecked:
            t = result.timings
            typer.echo(
                "  time: "
                + ", ".join(
                    f"{k} {t[k]:.1f}s"
                    for k in ("crawl", "index", "extract", "verify", "judge", "store", "semantic")
                    if k in t
                )
                + (
                    f" (check stages summed over {result.workers} workers)"
                    if result.workers > 1
                    else ""
                )
            )
        typer.echo(f"  embedder: {_embedder_line(result.embedder, result.semantic)}")
        typer.echo(f"store: {cfg.store}   details: stale report --store {cfg.store}")
    for warning in result.semantic.get("warnings", []):
        typer.echo(f"warning: {warning}", err=True)
    for err in result.errors:
        typer.echo(f"error: {err}", err=True)
    if result.errors:
        raise typer.Exit(EXIT_RUNTIME)
    bad = result.stale + (result.suspect if threshold == "suspect" else 0)
    raise typer.Exit(EXIT_STALE if bad else EXIT_OK)


def _embedder_line(name: str, stats: dict[str, object]) -> str:
    """Which embedder made the page vectors, and what the semantic pass did."""
    if not name:
        return "none ([semantic] is off or was skipped)"
    kind = "built-in, offline" if name.startswith("hashing-") else "sentence-transformers"
    return (
        f"{name} ({kind}; embedded {stats.get('embedded_pages', 0)} pages, "
        f"{stats.get('embedded_chunks', 0)} code chunks)"
    )


# -- check -----------------------------------------------------------------------


def _source_connector(db: Store, cfg: Config, source: str) -> Connector | None:
    from stale.scan import make_connector

    for s in cfg.sources:
        if s.name == source:
            return make_connector(s, cfg.limits)
    for rec in db.sources():
        if rec.name == source:
            return make_connector(
                SourceConfig(name=rec.name, type=rec.type, options=rec.options), cfg.limits
            )
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
    from connectors.base import ConnectorError
    from stale.codebase import CodebaseError
    from stale.scan import (
        RepoSet,
        check_page,
        index_cache_dir,
        load_verifiers,
        page_repos,
        settings_fingerprint,
    )
    from stale.triage import Baseline, TriageError

    connector = _source_connector(db, cfg, source)
    if connector is None:
        fail(f"{source}: source is not configured; pass --config or run `stale scan` first")
    repos = [(r.name, r.path) for r in cfg.repos] or [
        (name, Path(path)) for name, path, _ in db.repos()
    ]
    if not repos:
        fail("no repository to check against; pass --config or run `stale scan --repo DIR`")
    src = next((s for s in cfg.sources if s.name == source), None)
    if src is None:
        rec = next((r for r in db.sources() if r.name == source), None)
        src = SourceConfig(
            name=source, type=rec.type if rec else "", repos=rec.repos if rec else ()
        )
    try:
        repo_set = RepoSet(repos, cfg.limits, index_cache_dir(db.path))
        baseline = Baseline.load(cfg.baseline_path)
        page = connector.page(page_id)
        names = page_repos(page, src, repo_set.names)
        code = repo_set.code(names)
    except TriageError as e:
        fail(str(e))
    except (ConnectorError, CodebaseError) as e:
        fail(str(e), EXIT_RUNTIME)
    verifiers = load_verifiers()
    claims, verdict = check_page(
        page, code, verifiers, cfg.judge, accepted=baseline.reasons(), limits=cfg.limits
    )
    run_id = db.start_run(repo_set.fingerprint(names))
    db.save_results(
        [(page, claims, verdict)],
        run_id=run_id,
        code_fingerprint=repo_set.fingerprint(names),
        settings_fingerprint=settings_fingerprint(cfg.judge, verifiers, cfg.limits),
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
    hazards = [s for s in v.signals if s.kind == "hazard"]
    if hazards:
        head = "HAZARD" if not color else typer.style("HAZARD", fg=typer.colors.MAGENTA, bold=True)
        lines.append(f"  {head}: hidden or agent-directed text (the filter drops it by default):")
        for s in hazards:
            lines.append(f"    ! {s.message}")
            lines += [f"         line {e.line}: {e.text}" for e in s.evidence]
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
            if f.accepted is not None:
                mark = "accepted"
            lines.append(f"    [{mark}] line {c.span.line}: {c.kind} {subj}{ctx}: {f.message}")
            if f.suggestion:
                lines.append(f"         suggestion: {f.suggestion}")
            if f.accepted is not None:
                lines.append(f"         accepted: {f.accepted}")
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
        str, typer.Option("--format", "-f", help="markdown, json, html or sarif.")
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
    except sqlite3.DatabaseError as e:  # damaged pages the open did not touch
        fail(f"{cfg.store}: the store is damaged ({e}); see `stale db check`", EXIT_RUNTIME)
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


# -- triage ----------------------------------------------------------------------

triage_app = typer.Typer(
    help="Accept reviewed findings: a baseline keyed without line numbers.",
    no_args_is_help=True,
)
app.add_typer(triage_app, name="triage")

BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline", help="Baseline file (default: [triage] baseline, else beside the store)."
    ),
]


def _triage_setup(
    config: Path | None, store: Path | None, baseline: Path | None
) -> tuple[Config, Store, Baseline]:
    from dataclasses import replace

    from stale.triage import Baseline, TriageError, sync_baseline

    try:
        cfg = resolve_config(config, store)
    except ConfigError as e:
        fail(str(e))
    if baseline is not None:
        cfg = replace(cfg, baseline=baseline)
    db = _open_store(cfg.store, create=False)
    try:
        base = Baseline.load(cfg.baseline_path)
        sync_baseline(db, base, cfg.judge)
    except TriageError as e:
        db.close()
        fail(str(e))
    return cfg, db, base


@triage_app.command("list")
def triage_list(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    baseline: BaselineOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list findings already accepted.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List contradicted and missing findings with the ids `accept` takes."""
    from stale.triage import open_findings

    _, db, _ = _triage_setup(config, store, baseline)
    try:
        findings = [f for f in open_findings(db) if show_all or f.accepted is None]
    finally:
        db.close()
    if as_json:
        rows = [
            {
                "id": f.claim.key,
                "source": f.claim.source,
                "page_id": f.claim.page_id,
                "kind": str(f.claim.kind),
                "subject": f.claim.subject,
                "value": f.claim.value,
                "outcome": str(f.outcome),
                "line": f.claim.span.line,
                "message": f.message,
                "accepted": f.accepted,
            }
            for f in findings
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if not findings:
        typer.echo("no open findings")
        return
    for f in findings:
        c = f.claim
        tag = f"  [accepted: {f.accepted}]" if f.accepted is not None else ""
        typer.echo(
            f"{c.key}  {c.source}:{c.page_id}:{c.span.line}  {c.kind} {c.subject}  "
            f"{f.outcome}{tag}\n    {f.message}"
        )


@triage_app.command("accept")
def triage_accept(
    ids: Annotated[list[str], typer.Argument(help="Finding ids from `stale triage list`.")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="Why it is fine (required).")],
    by: Annotated[str | None, typer.Option("--by", help="Who accepts it (default: $USER).")] = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    baseline: BaselineOpt = None,
) -> None:
    """Accept findings: they stay visible but no longer count against their page."""
    import getpass

    from stale.triage import TriageError, resolve_finding, sync_baseline

    if not reason.strip():
        fail("--reason: say why the finding is fine; it is kept in the baseline")
    cfg, db, base = _triage_setup(config, store, baseline)
    try:
        who = by or getpass.getuser()
        for ident in ids:
            f = resolve_finding(db, ident)
            base.accept(f, reason.strip(), who)
            typer.echo(
                f"accepted {f.claim.key}  {f.claim.page_id}: {f.claim.kind} {f.claim.subject}"
            )
        base.save()
        changed = sync_baseline(db, base, cfg.judge)
        for source, page_id in changed:
            v = db.verdict(source, page_id)
            if v is not None:
                typer.echo(f"  {source}:{page_id} is now {v.status}")
        typer.echo(f"baseline: {base.path}")
    except TriageError as e:
        fail(str(e))
    finally:
        db.close()


@triage_app.command("revoke")
def triage_revoke(
    ids: Annotated[list[str], typer.Argument(help="Ids of accepted findings.")],
    config: ConfigOpt = None,
    store: StoreOpt = None,
    baseline: BaselineOpt = None,
) -> None:
    """Take an acceptance back: the finding counts against its page again."""
    from stale.triage import TriageError, resolve_finding, sync_baseline

    cfg, db, base = _triage_setup(config, store, baseline)
    try:
        for ident in ids:
            f = resolve_finding(db, ident)
            key = (f.claim.source, f.claim.page_id, f.claim.key)
            if not base.revoke(key):
                fail(f"{ident}: not accepted in {base.path}")
            typer.echo(f"revoked {f.claim.key}")
        base.save()
        for source, page_id in sync_baseline(db, base, cfg.judge):
            v = db.verdict(source, page_id)
            if v is not None:
                typer.echo(f"  {source}:{page_id} is now {v.status}")
    except TriageError as e:
        fail(str(e))
    finally:
        db.close()


# -- plugins ---------------------------------------------------------------------


@app.command("plugins")
def list_plugins() -> None:
    """List the connectors, verifiers and reporters that are installed."""
    from stale import plugins

    for group in plugins.GROUPS:
        typer.echo(f"{group}:")
        for p in plugins.available(group):
            typer.echo(f"  {p.name:<12} {p.target}  ({p.distribution})")


from stale import cli_db as _cli_db  # noqa: E402,F401  (registers db check/backup)
from stale import cli_filter as _cli_filter  # noqa: E402,F401  (registers export/serve/mcp)
from stale import cli_search as _cli_search  # noqa: E402,F401  (registers search)
from stale import cli_tag as _cli_tag  # noqa: E402,F401  (registers tag/sources)

#: Commands run as a one-command app: those a user waits for interactively.
FAST_COMMANDS = ("check",)


def _single_command(first: list[str]) -> typer.Typer | None:
    """An app holding only the command named by the first argument, when it is one
    of FAST_COMMANDS (its help, options and errors are the same)."""
    if not first or first[0] not in FAST_COMMANDS:
        return None
    for info in app.registered_commands:
        if info.callback is not None and (info.name or info.callback.__name__) == first[0]:
            one = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
            one.registered_commands.append(info)
            return one
    return None


def _program_name() -> str:
    """How the user ran us (`stale`, `python -m stale`), as click shows it in usage."""
    try:
        from typer._click.utils import _detect_program_name  # the click typer bundles

        return str(_detect_program_name())
    except (ImportError, AttributeError):
        return Path(sys.argv[0]).name


def main() -> None:
    """Console-script entry point. A store damaged where opening it did not look
    surfaces as an SQLite error deep in any command: one line and exit 3, never
    a traceback (and never exit 1, which means "stale found")."""
    import sqlite3

    try:
        fast = _single_command(sys.argv[1:2])
        if fast is not None:
            # typer builds a click command for every command of an app before it
            # parses anything (~40 ms for ours); `stale check` builds only its own
            fast(args=sys.argv[2:], prog_name=f"{_program_name()} {sys.argv[1]}")
        else:
            app()
    except sqlite3.DatabaseError as e:
        typer.echo(f"error: the store is damaged ({e}); run `stale db check`", err=True)
        raise SystemExit(EXIT_RUNTIME) from None


if __name__ == "__main__":
    # `python -m stale.cli` runs this file as a second module named __main__;
    # run the real stale.cli, on which every command module registered itself.
    from stale.cli import main as _real_main

    _real_main()
