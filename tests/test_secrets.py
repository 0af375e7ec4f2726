"""Secrets never leak: not to stdout/stderr, logs, reports, the manifest, the store
file or anything else written beside it, with good credentials and with bad ones.

Two networked sources, both on loopback fakes: Confluence (cloud: basic auth of
email:API token; the fake server of tests/test_connector_confluence.py) and a
MediaWiki bot password (a minimal fake api.php below). The secrets come from the
environment through `${VAR}` in the config, as docs/configuration.md requires.
Every output is searched for each secret, its base64 form and the base64 of the
basic-auth pair (what actually goes over the wire), URL-quoted too.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from test_connector_confluence import Fake, make_handler
from typer.testing import CliRunner

from connectors.http import basic_auth
from stale.cli import app

EMAIL = "bot@acme.example"
CONF_TOKEN = "conf-tok-Q7vX2pL9rT4w"
CONF_TOKEN_BAD = "conf-bad-Z3kM8wR1yU6e"
BOT_PASSWORD = "mwbotpass0123456789abcdefghijklmn"
BOT_PASSWORD_BAD = "mwwrongpass9876543210zyxwvutsrqpo"
SECRETS = (CONF_TOKEN, CONF_TOKEN_BAD, BOT_PASSWORD, BOT_PASSWORD_BAD)


def secret_forms() -> dict[str, bytes]:
    """name -> bytes that must never appear anywhere."""
    forms: dict[str, bytes] = {}
    for s in SECRETS:
        raw = s.encode()
        forms[s] = raw
        forms[f"b64({s})"] = base64.b64encode(raw)
        forms[f"b64url({s})"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
        forms[f"quote({s})"] = quote(s, safe="").encode()
        pair = basic_auth(EMAIL, s).removeprefix("Basic ").encode()
        forms[f"basic({EMAIL}:{s})"] = pair
        # the token part of the basic-auth base64, whatever the alignment
        forms[f"basic-tail({s})"] = pair[-16:]
    return forms


def assert_clean(where: str, data: bytes | str) -> None:
    blob = data.encode("utf-8", "replace") if isinstance(data, str) else data
    for name, form in secret_forms().items():
        assert form not in blob, f"{name} leaked into {where}"


# -- a minimal MediaWiki api.php -------------------------------------------------


class FakeWiki:
    def __init__(self) -> None:
        self.password = BOT_PASSWORD
        self.logins: list[str] = []


def wiki_handler(wiki: FakeWiki) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a: Any) -> None:
            pass

        def _send(self, doc: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _params(self) -> dict[str, str]:
            q = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                body = self.rfile.read(length).decode()
                q.update({k: v[0] for k, v in parse_qs(body).items()})
            return q

        def do_POST(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            q = self._params()
            action = q.get("action")
            if action == "login":
                wiki.logins.append(q.get("lgname", ""))
                if q.get("lgpassword") == wiki.password:
                    return self._send(
                        {"login": {"result": "Success", "lgusername": "Bot"}},
                        {"Set-Cookie": "session=abc; Path=/"},
                    )
                return self._send(
                    {
                        "login": {
                            "result": "Failed",
                            "reason": {
                                "code": "wrongpassword",
                                "text": "Incorrect username or password entered.",
                            },
                        }
                    }
                )
            if q.get("meta") == "tokens":
                return self._send({"query": {"tokens": {"logintoken": "t0k+\\"}}})
            if "siteinfo" in q.get("meta", ""):
                return self._send(
                    {"query": {"general": {"sitename": "Fake wiki"}, "userinfo": {"name": "Bot"}}}
                )
            if q.get("generator") == "allpages" or "titles" in q:
                rev = {
                    "revid": 7,
                    "timestamp": "2025-01-02T03:04:05Z",
                    "user": "Ann",
                    "slots": {
                        "main": {
                            "content": "Run <code>./scripts/deploy.sh --region x"
                            "</code> to deploy.\n"
                        }
                    },
                }
                page = {"pageid": 1, "ns": 0, "title": "Deploy", "revisions": [rev]}
                return self._send({"query": {"pages": [page]}})
            if q.get("list") == "recentchanges":
                return self._send({"query": {"recentchanges": []}})
            return self._send({"query": {}})

    return H


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


@pytest.fixture
def fakes() -> Iterator[tuple[Fake, str, FakeWiki, str]]:
    conf, wiki = Fake(), FakeWiki()
    conf.expect_auth = basic_auth(EMAIL, CONF_TOKEN)
    s1, conf_url = _serve(make_handler(conf))
    s2, wiki_url = _serve(wiki_handler(wiki))
    try:
        yield conf, conf_url, wiki, wiki_url
    finally:
        for s in (s1, s2):
            s.shutdown()
            s.server_close()


# -- the test --------------------------------------------------------------------


def _config(tmp: Path, repo: Path, conf_url: str, wiki_url: str) -> Path:
    cfg = tmp / "stale.toml"
    cfg.write_text(
        f'store = "{tmp / "store" / "s.db"}"\n'
        f'[[repos]]\nname = "billing"\npath = "{repo}"\n'
        f'[[sources]]\nname = "conf"\ntype = "confluence"\nurl = "{conf_url}"\n'
        f'flavor = "cloud"\nemail = "{EMAIL}"\ntoken = "${{CONF_TOKEN}}"\n'
        'spaces = ["ENG"]\nlimit = 2\n'
        f'[[sources]]\nname = "mw"\ntype = "mediawiki"\nurl = "{wiki_url}/api.php"\n'
        'username = "Bot@stale"\npassword = "${WIKI_PASSWORD}"\n'
    )
    return cfg


def _run_everything(cfg: Path, out: Path, tag: str) -> list[tuple[str, str]]:
    """(what, output) of every command; report and manifest files go under `out`."""
    runner = CliRunner()
    outputs: list[tuple[str, str]] = []

    def run(*args: str) -> int:
        r = runner.invoke(app, [*args, "--config", str(cfg)])
        assert r.exception is None or isinstance(r.exception, SystemExit), (args, r.exception)
        outputs.append((f"{tag}: stale {' '.join(args)}", r.output))
        return r.exit_code

    codes = {
        "scan": run("scan", "--full"),
        "scan-json": run("scan", "--json", "--log-format", "json"),
    }
    for fmt in ("json", "markdown", "html", "sarif"):
        run("report", "--format", fmt)
        run("report", "--format", fmt, "--output", str(out / f"{tag}-report.{fmt}"))
    run("check", "conf:1001", "--json")
    run("check", "mw:Deploy", "--json", "--fresh")
    run("sources", "--json")
    run("sources")
    run("export", "--format", "manifest")
    run("export", "--format", "manifest", "--output", str(out / f"{tag}-manifest.jsonl"))
    run("db", "check")
    run("db", "backup", str(out / f"{tag}-backup.db"))
    outputs.append((f"{tag}: exit codes", json.dumps(codes)))
    return outputs


def test_no_secret_in_any_output(
    world: dict[str, Any],
    fakes: tuple[Fake, str, FakeWiki, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    conf, conf_url, wiki, wiki_url = fakes
    out = tmp_path / "out"
    out.mkdir()
    cfg = _config(tmp_path, world["repo"], conf_url, wiki_url)
    assert not any(s in cfg.read_text() for s in SECRETS)

    # good credentials: the sources are crawled and checked
    monkeypatch.setenv("CONF_TOKEN", CONF_TOKEN)
    monkeypatch.setenv("WIKI_PASSWORD", BOT_PASSWORD)
    outputs = _run_everything(cfg, out, "good")
    sources = json.loads(next(o for w, o in outputs if w == "good: stale sources --json"))
    assert [s["reachable"] for s in sources] == [True, True], sources
    assert wiki.logins and any(r[0] == "GET" for r in conf.requests)
    report = json.loads((out / "good-report.json").read_text())
    assert len(report["pages"]) >= 6, "both sources crawled"

    # bad credentials: 401 from Confluence, a refused bot login from MediaWiki
    monkeypatch.setenv("CONF_TOKEN", CONF_TOKEN_BAD)
    monkeypatch.setenv("WIKI_PASSWORD", BOT_PASSWORD_BAD)
    outputs += _run_everything(cfg, out, "bad")
    errors = "\n".join(o for w, o in outputs if w.startswith("bad: stale scan"))
    assert "401" in errors and "sources.conf.token" in errors
    assert "login as Bot@stale failed" in errors
    sources = json.loads(next(o for w, o in outputs if w == "bad: stale sources --json"))
    assert [s["reachable"] for s in sources] == [False, False], sources

    for what, text in outputs:
        assert_clean(what, text)
    assert_clean("log records", "\n".join(r.getMessage() for r in caplog.records))
    assert_clean("log output", caplog.text)
    written = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    written += [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "s.db" for p in written) and len(written) >= 10
    for p in written:
        assert_clean(str(p.relative_to(tmp_path)), p.read_bytes())
    # anything else the run may have left beside the config (caches, locks)
    for p in tmp_path.glob("*"):
        if p.is_file():
            assert_clean(p.name, p.read_bytes())


def test_the_leak_scanner_finds_every_form() -> None:
    # the negative control: each form is really looked for
    for form in secret_forms().values():
        with pytest.raises(AssertionError, match="leaked"):
            assert_clean("sample", b"prefix " + form + b" suffix")
    with pytest.raises(AssertionError):
        assert_clean("header", f"Authorization: {basic_auth(EMAIL, CONF_TOKEN)}")
