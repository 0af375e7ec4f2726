"""`[limits]`: every limit through the real path, with its config key.

- max_file_bytes, skip / skip_defaults, symlinks: `build_index` on a real git
  repository (committed symlinks included) and on a plain folder;
- max_page_bytes, max_claims_per_page, skip_defaults: `stale scan` via the CLI
  with a config file;
- symlinks in the wiki: the markdown connector; max_page_bytes over HTTP: a
  local server (connectors/http.py);
- the config errors: one line naming the key.
Archive limits (max_archive_bytes, max_archive_members) are in test_archive.py.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GitRepo
from typer.testing import CliRunner

from connectors.base import ConnectorError
from connectors.confluence import ConfluenceConnector
from connectors.htmlsite import HtmlSiteConnector
from connectors.http import BodyTooLarge, HttpClient
from connectors.markdown import MarkdownFolderConnector
from connectors.mediawiki import MediaWikiConnector
from stale.cli import app
from stale.codebase import build_index
from stale.codebase.index import MAX_SKIP_RECORDS, SkipGlobs
from stale.config import DEFAULT_SKIP_GLOBS, ConfigError, LimitsConfig, SourceConfig, parse_config
from stale.judge import JudgeConfig
from stale.scan import check_page, load_verifiers, make_connector

runner = CliRunner()

CLI_PY = 'import argparse\np = argparse.ArgumentParser()\np.add_argument("{flag}")\n'


# -- config keys -------------------------------------------------------------------------


def test_defaults_and_every_key_parses() -> None:
    cfg = parse_config({}, Path("."))
    assert cfg.limits == LimitsConfig()
    assert cfg.limits.skip_globs == DEFAULT_SKIP_GLOBS
    raw = {
        "max_page_bytes": 10,
        "max_claims_per_page": 2,
        "max_file_bytes": 100,
        "skip": ["gen/**"],
        "skip_defaults": False,
        "symlinks": "never",
        "max_archive_bytes": 1000,
        "max_archive_members": 5,
    }
    lim = parse_config({"limits": raw}, Path(".")).limits
    assert lim.skip_globs == ("gen/**",)
    assert {k: getattr(lim, k) for k in raw} == {**raw, "skip": ("gen/**",)}


@pytest.mark.parametrize(
    "body,key",
    [
        ("max_file_bytes = 0", "limits.max_file_bytes"),
        ("max_page_bytes = -5", "limits.max_page_bytes"),
        ("max_claims_per_page = 0", "limits.max_claims_per_page"),
        ('symlinks = "maybe"', "limits.symlinks"),
        ("max_pages_bytes = 10", "limits.max_pages_bytes"),
        ('skip = "vendor/**"', "limits.skip"),
        ('skip = [""]', "limits.skip"),
        ('skip_defaults = "no"', "limits.skip_defaults"),
        ('max_archive_bytes = "1GB"', "limits.max_archive_bytes"),
    ],
)
def test_a_bad_limit_is_one_line_naming_the_key(tmp_path: Path, body: str, key: str) -> None:
    cfg = tmp_path / "stale.toml"
    cfg.write_text(f"[limits]\n{body}\n")
    res = runner.invoke(app, ["scan", "--config", str(cfg)])
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and key in lines[0], res.output
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        import tomllib

        parse_config(tomllib.loads(f"[limits]\n{body}\n"), tmp_path)


# -- the repository index ------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / "acme")
    r.write("app/main.py", CLI_PY.format(flag="--region"))
    r.write("config/big.yaml", "big_key: 1\n" + "pad: x\n" * 400)  # ~2.8 KB
    r.write("vendor/lib/cli.py", CLI_PY.format(flag="--turbo-mode"))
    for i in range(300):
        r.write(f"node_modules/pkg{i}/index.js", "process.env.NODE_THING\n")
    r.write("api/v1_pb2.py", "class ProtoMessage:\n    pass\n")
    r.write("gen/tool.py", CLI_PY.format(flag="--generated-flag"))
    r.write("scripts/build", "#!/bin/sh\necho build\n")  # a file named build is no folder
    os.symlink("app/main.py", r.root / "inside.py")
    os.symlink("../../etc/passwd", r.root / "climb.py")
    os.symlink("/etc/passwd", r.root / "abs.py")
    os.symlink("app", r.root / "applink")
    os.symlink("applink/../../outside", r.root / "via.py")  # leaves through another link
    r.commit("all", "2025-01-01T00:00:00+00:00")
    return r


def skipped(index: object) -> dict[str, str]:
    return dict(index.skipped)  # type: ignore[attr-defined]


def test_max_file_bytes_leaves_a_larger_file_unread(repo: GitRepo) -> None:
    assert build_index("acme", repo.root).find_config("big_key")[0]
    idx = build_index("acme", repo.root, LimitsConfig(max_file_bytes=1000))
    why = skipped(idx)["config/big.yaml"]
    assert why.startswith("too large") and "[limits] max_file_bytes = 1000" in why
    assert idx.find_config("big_key") == ([], [])
    assert idx.has_path("config/big.yaml")  # still a path that exists


def test_vendored_and_generated_files_are_skipped_with_one_line_per_folder(repo: GitRepo) -> None:
    idx = build_index("acme", repo.root)
    assert "--region" in idx.flags and "--turbo-mode" not in idx.flags
    assert not idx.find_symbols("ProtoMessage") and "NODE_THING" not in idx.env
    why = skipped(idx)
    assert why["vendor/"] == "skipped by the [limits] skip glob **/vendor/**"
    assert why["node_modules/"] == "skipped by the [limits] skip glob **/node_modules/**"
    assert why["api/v1_pb2.py"] == "skipped by the [limits] skip glob **/*_pb2.py"
    assert not any(p.startswith("node_modules/pkg") for p in why)  # not 300 lines
    assert idx.has_path("vendor/lib/cli.py") and idx.has_path("node_modules/pkg7/index.js")
    assert "scripts/build" in idx.programs or "scripts/build" not in why
    assert idx.grep("--turbo-mode") == []  # grep leaves vendored code out too


def test_skip_defaults_false_indexes_vendored_code(repo: GitRepo) -> None:
    idx = build_index("acme", repo.root, LimitsConfig(skip_defaults=False))
    assert "--turbo-mode" in idx.flags and idx.find_symbols("ProtoMessage")
    assert "NODE_THING" in idx.env
    assert not any("skip glob" in why for why in skipped(idx).values())
    assert [loc.path for loc, _ in idx.grep("--turbo-mode")] == ["vendor/lib/cli.py"]


def test_a_custom_skip_glob(repo: GitRepo) -> None:
    assert "--generated-flag" in build_index("acme", repo.root).flags
    idx = build_index("acme", repo.root, LimitsConfig(skip=("gen/**",)))
    assert "--generated-flag" not in idx.flags and "--region" in idx.flags
    assert skipped(idx)["gen/"] == "skipped by the [limits] skip glob gen/**"
    assert "--turbo-mode" not in idx.flags  # the defaults still apply


def test_skip_lines_are_capped_per_glob(tmp_path: Path) -> None:
    r = GitRepo(tmp_path / "many")
    for i in range(MAX_SKIP_RECORDS + 50):
        r.write(f"m/f{i:03}.min.js", "x\n")
    r.commit("min", "2025-01-01T00:00:00+00:00")
    idx = build_index("many", r.root)
    lines = [(p, w) for p, w in idx.skipped if "skip glob" in w]
    assert len(lines) == MAX_SKIP_RECORDS + 1
    assert lines[-1] == ("**/*.min.js", "and 50 more paths skipped by this [limits] skip glob")


def test_committed_symlinks_inside_are_listed_never_read_and_leaving_ones_dropped(
    repo: GitRepo,
) -> None:
    idx = build_index("acme", repo.root)
    assert idx.has_path("inside.py") and idx.has_path("applink")
    assert "inside.py" not in idx.program_flags  # never read through
    why = skipped(idx)
    for link in ("climb.py", "abs.py", "via.py"):
        assert not idx.has_path(link), link
        assert why[link] == "symlink leaves the repository; not followed"
    never = build_index("acme", repo.root, LimitsConfig(symlinks="never"))
    for link in ("inside.py", "applink", "climb.py", "abs.py"):
        assert not never.has_path(link)
        assert skipped(never)[link] == 'symlink not followed ([limits] symlinks = "never")'


def test_plain_folder_follows_the_same_limits(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "app").mkdir(parents=True)
    (root / "vendor" / "lib").mkdir(parents=True)
    (root / "app" / "main.py").write_text(CLI_PY.format(flag="--region"))
    (root / "vendor" / "lib" / "cli.py").write_text(CLI_PY.format(flag="--turbo-mode"))
    (root / "app" / "big.yaml").write_text("big_key: 1\n" + "pad: x\n" * 400)
    (tmp_path / "secret.py").write_text(CLI_PY.format(flag="--secret"))
    os.symlink(tmp_path / "secret.py", root / "out.py")
    os.symlink("app/main.py", root / "in.py")
    os.symlink(tmp_path, root / "outdir")  # a folder link is never walked
    os.mkfifo(root / "run")  # a script name: once read (and blocked on) by the indexer
    idx = build_index("plain", root, LimitsConfig(max_file_bytes=1000))
    why = skipped(idx)
    assert (
        "--region" in idx.flags and "--turbo-mode" not in idx.flags and "--secret" not in idx.flags
    )
    assert why["vendor/"].startswith("skipped by the [limits] skip glob")
    assert why["app/big.yaml"].startswith("too large")
    assert why["out.py"] == "symlink leaves the repository; not followed"
    assert why["run"] == "not a regular file"
    assert idx.has_path("in.py") and not idx.has_path("out.py")
    assert not any(f.startswith("outdir/") for f in idx.files)
    loose = build_index("plain", root, LimitsConfig(skip_defaults=False, symlinks="never"))
    assert "--turbo-mode" in loose.flags and not loose.has_path("in.py")


@pytest.mark.parametrize(
    "glob,path,hit",
    [
        ("**/vendor/**", "vendor/a.py", "vendor"),
        ("**/vendor/**", "x/y/vendor/z/a.py", "x/y/vendor"),
        ("**/vendor/**", "vendor", None),  # a file named vendor
        ("**/build/**", "scripts/build", None),
        ("*.lock", "a/b/poetry.lock", "a/b/poetry.lock"),
        ("docs/old", "docs/old/x.md", "docs/old"),
        ("/docs/*.md", "docs/a.md", "docs/a.md"),
        ("/docs/*.md", "x/docs/a.md", None),
        ("src/**/gen_*.py", "src/gen_a.py", "src/gen_a.py"),
        ("src/**/gen_*.py", "src/a/b/gen_a.py", "src/a/b/gen_a.py"),
        ("src/**/gen_*.py", "lib/src/gen_a.py", None),
        ("v[0-9]?/*.py", "v12/a.py", "v12/a.py"),
        ("v[!0-9]/*.py", "v1/a.py", None),
        ("**/*.generated.*", "ui/api.generated.ts", "ui/api.generated.ts"),
    ],
)
def test_glob_semantics(glob: str, path: str, hit: str | None) -> None:
    m = SkipGlobs((glob,)).match(path)
    assert (m[0] if m else None) == hit


def test_glob_matching_is_not_exponential_on_hostile_paths() -> None:
    globs = SkipGlobs((*DEFAULT_SKIP_GLOBS, "**/a*a*a*a*a*a*b", "x/**/a*a*a*b/**/y"))
    deep = "/".join(["a" * 3] * 1500) + "/" + "a" * 3000
    started = time.perf_counter()
    for _ in range(3):
        assert globs.match(deep) is None
        assert globs.match("x/" + deep) is None
    assert time.perf_counter() - started < 5


# -- the scan, through the CLI ---------------------------------------------------------------


def scan_config(tmp_path: Path, repo: Path, wiki: Path, limits: str) -> Path:
    cfg = tmp_path / "stale.toml"
    cfg.write_text(
        f'store = "{tmp_path / "s.db"}"\n[[repos]]\npath = "{repo}"\n'
        f'[[sources]]\nname = "wiki"\ntype = "markdown"\npath = "{wiki}"\n'
        f"[semantic]\nenabled = false\n[limits]\n{limits}\n"
    )
    return cfg


def scan(cfg: Path) -> dict:
    res = runner.invoke(app, ["scan", "--config", str(cfg), "--json"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


def check(tmp_path: Path, page: str) -> dict:
    res = runner.invoke(app, ["check", page, "--store", str(tmp_path / "s.db"), "--json"])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.stdout)


@pytest.fixture
def wiki(tmp_path: Path) -> Path:
    w = tmp_path / "wiki"
    w.mkdir()
    (w / "turbo.md").write_text("# Speed\n\nThe tool takes `--turbo-mode` to go fast.\n")
    (w / "region.md").write_text("# Run\n\nRun `python app/main.py --region eu`.\n")
    return w


def test_scan_over_size_page_is_unknown_and_the_rest_is_checked(
    tmp_path: Path, repo: GitRepo, wiki: Path
) -> None:
    (wiki / "huge.md").write_text("# Huge\n\n" + "Run `python app/main.py --region eu`.\n" * 200)
    cfg = scan_config(tmp_path, repo.root, wiki, "max_page_bytes = 1000")
    summary = scan(cfg)
    assert summary["seen"] == 3 and summary["errors"] == []
    huge = check(tmp_path, "huge.md")
    assert huge["status"] == "unknown" and huge["findings"] == []
    assert "[limits] max_page_bytes (1000)" in huge["error"], huge
    assert check(tmp_path, "region.md")["status"] == "current"


def test_scan_caps_claims_per_page(tmp_path: Path, repo: GitRepo, wiki: Path) -> None:
    (wiki / "many.md").write_text(
        "# Vars\n\n" + "".join(f"- set `ACME_VAR_{i}` first\n" for i in range(40))
    )
    scan(scan_config(tmp_path, repo.root, wiki, ""))
    assert len(check(tmp_path, "many.md")["findings"]) >= 40
    scan(scan_config(tmp_path, repo.root, wiki, "max_claims_per_page = 5"))  # a new limit re-checks
    assert len(check(tmp_path, "many.md")["findings"]) == 5


def test_scan_a_flag_only_in_vendored_code_is_not_confirmed_unless_skip_defaults_false(
    tmp_path: Path, repo: GitRepo, wiki: Path
) -> None:
    scan(scan_config(tmp_path, repo.root, wiki, ""))
    (finding,) = check(tmp_path, "turbo.md")["findings"]
    assert finding["subject"] == "--turbo-mode" and finding["outcome"] != "confirmed"
    scan(scan_config(tmp_path, repo.root, wiki, "skip_defaults = false"))
    turbo = check(tmp_path, "turbo.md")
    assert turbo["status"] == "current"
    assert turbo["findings"][0]["evidence"][0]["path"] == "vendor/lib/cli.py"


def test_scan_custom_glob_and_max_file_bytes(tmp_path: Path, repo: GitRepo, wiki: Path) -> None:
    (wiki / "gen.md").write_text("# Gen\n\nThe generator takes `--generated-flag`.\n")
    scan(scan_config(tmp_path, repo.root, wiki, ""))
    assert check(tmp_path, "gen.md")["status"] == "current"
    scan(scan_config(tmp_path, repo.root, wiki, 'skip = ["gen/**"]'))
    assert check(tmp_path, "gen.md")["findings"][0]["outcome"] != "confirmed"
    flag = [f for f in check(tmp_path, "region.md")["findings"] if f["kind"] == "flag"]
    assert [f["outcome"] for f in flag] == ["confirmed"]
    scan(scan_config(tmp_path, repo.root, wiki, "max_file_bytes = 50"))  # app/main.py is ~80 B
    flag = [f for f in check(tmp_path, "region.md")["findings"] if f["kind"] == "flag"]
    assert [f["outcome"] for f in flag] != ["confirmed"]


# -- symlinks in the wiki (markdown connector) ----------------------------------------------


@pytest.fixture
def linked_wiki(tmp_path: Path) -> Path:
    w = tmp_path / "lw"
    (w / "real").mkdir(parents=True)
    (w / ".shared").mkdir()
    (w / "real" / "a.md").write_text("# A\n")
    (w / ".shared" / "s.md").write_text("# S\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "o.md").write_text("# outside\n")
    os.symlink("real/a.md", w / "alias.md")  # same file twice: read once, as real/a.md
    os.symlink("real", w / "mirror")  # a folder reached twice
    os.symlink("..", w / "real" / "loop")  # a loop
    os.symlink(tmp_path / "outside", w / "out")  # a folder outside the root
    os.symlink(tmp_path / "outside" / "o.md", w / "o.md")  # a file outside the root
    os.symlink(".shared/s.md", w / "shared.md")  # into a hidden folder: not followed
    os.symlink("dangling.md", w / "gone.md")
    return w


def test_markdown_symlinks_inside_are_read_once_outside_never(linked_wiki: Path) -> None:
    c = MarkdownFolderConnector("w", linked_wiki)
    pages = list(c.pages())
    # alias.md, mirror/a.md and real/loop/real/a.md are all real/a.md: read once, by its plain id
    assert [p.page_id for p in pages] == ["real/a.md"]
    assert "# outside" not in "".join(p.body for p in pages)
    # a file reached only through an inside link is read under the link's id
    (linked_wiki / "notes").mkdir()
    (linked_wiki / "notes" / "guide.txt").write_text("# Guide\n")
    os.symlink("notes/guide.txt", linked_wiki / "guide.md")
    assert [p.page_id for p in c.pages()] == ["guide.md", "real/a.md"]
    assert c.page("guide.md").title == "Guide"


def test_markdown_folder_links_never_reach_skipped_or_hidden_folders(tmp_path: Path) -> None:
    w = tmp_path / "w"
    (w / ".drafts").mkdir(parents=True)
    (w / ".drafts" / "d.md").write_text("# D\n")
    os.symlink(".drafts", w / "published")
    c = MarkdownFolderConnector("w", w)
    assert [p.page_id for p in c.pages()] == []
    (w / "pub").mkdir()
    (w / "pub" / "p.md").write_text("# P\n")
    os.symlink("pub", w / "alias")
    assert [p.page_id for p in c.pages()] == ["pub/p.md"]


def test_symlinks_never_reads_no_symlink_at_all(linked_wiki: Path) -> None:
    (linked_wiki / "notes").mkdir()
    (linked_wiki / "notes" / "guide.txt").write_text("# Guide\n")
    os.symlink("notes/guide.txt", linked_wiki / "guide.md")
    src = SourceConfig(name="w", type="markdown", options={"path": str(linked_wiki)})
    inside = make_connector(src, LimitsConfig())
    never = make_connector(src, LimitsConfig(symlinks="never"))
    assert inside.follow_symlinks_inside is True
    assert never.follow_symlinks_inside is False
    assert [p.page_id for p in inside.pages()] == ["guide.md", "real/a.md"]
    assert [p.page_id for p in never.pages()] == ["real/a.md"]
    with pytest.raises(ConnectorError):
        never._read(linked_wiki.resolve(), linked_wiki.resolve() / "guide.md")


def test_markdown_over_size_page_is_cut_and_unknown(tmp_path: Path) -> None:
    w = tmp_path / "w"
    w.mkdir()
    (w / "big.md").write_text("# Big\n" + "word " * 2000)
    (w / "ok.md").write_text("# Ok\n")
    c = MarkdownFolderConnector("w", w)
    c.max_page_bytes = 1000
    pages = {p.page_id: p for p in c.pages()}
    big = pages["big.md"]
    assert len(big.body.encode()) == 1001 and big.prop("bytes") == str(10006)
    assert "[limits] max_page_bytes (1000)" in (big.prop("too_large") or "")
    _, verdict = check_page(
        big, None, load_verifiers(), JudgeConfig(), limits=LimitsConfig(max_page_bytes=1000)
    )  # type: ignore[arg-type]
    assert str(verdict.status) == "unknown" and "[limits] max_page_bytes" in (verdict.error or "")
    assert "10006 bytes" in (verdict.error or "")  # the real size, not the cut one
    assert pages["ok.md"].body.startswith("# Ok")


# -- max_page_bytes over HTTP ------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            size = int(self.path.rsplit("/", 1)[-1].split(".")[0] or 0)
            body = b"<html><title>T</title><body><main>" + b"x" * size + b"</main></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_http_answer_over_the_cap_is_refused_with_the_key(server: str) -> None:
    client = HttpClient("docs", retries=0)
    assert len(client.get(f"{server}/5000.html").body) > 5000  # no cap by default
    client.max_body_bytes = 1000
    assert client.get(f"{server}/100.html").status == 200  # small answers still pass
    with pytest.raises(BodyTooLarge) as e:
        client.get(f"{server}/50000.html")
    msg = str(e.value)
    assert "\n" not in msg and "[limits] max_page_bytes" in msg and "more than 1000 bytes" in msg
    assert len(e.value.head) == 1001
    assert client.requests_sent == 3  # not retried


def test_htmlsite_over_size_page_is_unknown_not_a_failed_crawl(server: str, tmp_path: Path) -> None:
    c = HtmlSiteConnector(
        "docs", url=None, sitemap=None, prefixes=(server + "/",), cache=tmp_path / "c.json"
    )
    src = SourceConfig(name="docs", type="htmlsite", options={"url": server + "/1.html"})
    made = make_connector(src, LimitsConfig(max_page_bytes=500))
    assert made.max_page_bytes == 500 and made.http.max_body_bytes == 2000  # type: ignore[attr-defined]
    c.max_page_bytes = 500
    big = c.page(f"{server}/9000.html")
    assert big.prop("too_large") and len(big.body) == 2001
    _, verdict = check_page(
        big, None, load_verifiers(), JudgeConfig(), limits=LimitsConfig(max_page_bytes=500)
    )  # type: ignore[arg-type]
    assert str(verdict.status) == "unknown" and "[limits] max_page_bytes" in (verdict.error or "")
    small = c.page(f"{server}/10.html")
    assert small.prop("too_large") is None and "xxxxxxxxxx" in small.body


def test_api_connectors_size_their_answer_cap_from_max_page_bytes() -> None:
    mw = MediaWikiConnector("mw", "https://wiki.example.com/w/api.php")
    conf = ConfluenceConnector(
        "c", "https://acme.atlassian.net", flavor="cloud", token="t", email="e@x", limit=50
    )
    for c in (mw, conf):
        assert c.max_page_bytes == LimitsConfig().max_page_bytes
        assert c.http.max_body_bytes is not None and c.http.max_body_bytes >= 32 * 1024 * 1024
        c.max_page_bytes = 4_000_000
        assert c.http.max_body_bytes == 50 * 4_000_000


def test_literal_prefilter_never_changes_a_glob_answer() -> None:
    # The skip matcher first asks whether a path holds each glob's longest literal
    # run; the answer must be the automaton's, with or without that shortcut.
    import random

    from stale.codebase.index import SkipGlobs

    globs = (*LimitsConfig().skip_globs, "v[0-9]?/*.py", "gen/**", "*.snap", "[]x]y/*.md")
    rng = random.Random(5)
    parts = ["a", "vendor", "node_modules", "gen", "v12", "]y", "src", "x.min.js", "y_pb2.py"]
    names = ["a.py", "b.min.js", "c.snap", "d_pb2.py", "zz_generated.deep.go", "e.md", "f.pb.go"]
    paths = [
        "/".join(rng.choice(parts) for _ in range(rng.randint(0, 4)))
        + ("/" if rng.random() < 0.8 else "")
        + rng.choice(names)
        for _ in range(3000)
    ]
    fast, slow = SkipGlobs(globs), SkipGlobs(globs)
    slow._needles = None
    assert fast._needles is not None
    answers = [(fast.match(p.lstrip("/")), slow.match(p.lstrip("/"))) for p in paths]
    assert all(a == b for a, b in answers)
    assert sum(a is not None for a, _ in answers) > 300  # the sample exercises matches
