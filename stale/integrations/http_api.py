"""The `stale serve` HTTP API: verdicts and filtering for pipelines in any language.

Standard library only (`http.server.ThreadingHTTPServer`). Endpoints:

- `GET /healthz`: `{"ok": true, "pages": N, ...}`;
- `GET /pages/{id}/verdict`: the verdict of a page id (URL-encoded; `SOURCE:PAGE_ID` too);
- `GET /verdict?ref=...`: the verdict of any reference: URL, id, path;
- `POST /filter`: `{"documents": [...], "policies": {...}}` -> the documents kept, with
  annotations, plus `dropped` (how many were removed).

Errors are JSON `{"error": "..."}` with a 4xx/5xx status; a traceback never reaches the
client (it goes to the server's stderr).
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from stale.filter import Policies, StalenessFilter

__all__ = ["MAX_BODY", "make_server"]

MAX_BODY = 16 * 1024 * 1024
MAX_DOCUMENTS = 10_000
_PAGE_VERDICT = re.compile(r"^/pages/(?P<id>.+)/verdict/?$")


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class StaleHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], flt: StalenessFilter, *, quiet: bool = False
    ) -> None:
        self.staleness_filter = flt
        self.quiet = quiet
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: StaleHTTPServer
    server_version = "stale"
    protocol_version = "HTTP/1.1"

    # -- plumbing --------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: HTTPStatus, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _handle(self, method: str) -> None:
        try:
            status, body = self._route(method)
        except ApiError as e:
            status, body = e.status, {"error": e.message}
            self.close_connection = True  # a request body may be left unread
        except Exception:
            traceback.print_exc(file=sys.stderr)
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"}
            self.close_connection = True
        self._send(status, body)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server's own errors (malformed request line, ...): JSON too.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send(HTTPStatus(code), {"error": message or HTTPStatus(code).phrase})

    # -- routes ----------------------------------------------------------------

    def _route(self, method: str) -> tuple[HTTPStatus, Any]:
        parts = urlsplit(self.path)
        path = parts.path
        flt = self.server.staleness_filter
        m = _PAGE_VERDICT.match(path)
        if path in ("/healthz", "/verdict", "/filter") or m:
            allowed = "POST" if path == "/filter" else "GET"
            if method != allowed:
                raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, f"{path}: use {allowed}")
        else:
            raise ApiError(HTTPStatus.NOT_FOUND, f"{path}: no such endpoint")
        if path == "/healthz":
            return HTTPStatus.OK, {"ok": True, **_jsonable(flt.info)}
        if m:
            return self._verdict(flt, unquote(m.group("id")))
        if path == "/verdict":
            refs = parse_qs(parts.query).get("ref")
            if not refs or not refs[0]:
                raise ApiError(HTTPStatus.BAD_REQUEST, "give the page as ?ref=URL-or-id")
            return self._verdict(flt, refs[0])
        return self._filter(flt)

    def _verdict(self, flt: StalenessFilter, ref: str) -> tuple[HTTPStatus, Any]:
        page = flt.check(ref)
        if page is None:
            raise ApiError(HTTPStatus.NOT_FOUND, f"{ref}: no verdict for this page")
        return HTTPStatus.OK, {**page.as_dict(), "current": page.status == "current"}

    def _filter(self, flt: StalenessFilter) -> tuple[HTTPStatus, Any]:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ApiError(HTTPStatus.BAD_REQUEST, "bad Content-Length") from None
        if length <= 0:
            raise ApiError(HTTPStatus.BAD_REQUEST, 'send a JSON body {"documents": [...]}')
        if length > MAX_BODY:
            self.close_connection = True
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY} bytes")
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"body is not valid JSON ({e})") from None
        if not isinstance(body, dict) or not isinstance(body.get("documents"), list):
            raise ApiError(HTTPStatus.BAD_REQUEST, 'expected {"documents": [...]}')
        docs = body["documents"]
        if len(docs) > MAX_DOCUMENTS:
            raise ApiError(HTTPStatus.BAD_REQUEST, f"more than {MAX_DOCUMENTS} documents")
        if not all(isinstance(d, dict) for d in docs):
            raise ApiError(HTTPStatus.BAD_REQUEST, "every document must be a JSON object")
        policies = None
        if body.get("policies") is not None:
            if not isinstance(body["policies"], dict):
                raise ApiError(HTTPStatus.BAD_REQUEST, "policies must be a JSON object")
            try:
                policies = Policies.from_mapping(body["policies"], base=flt.policies)
            except (ValueError, TypeError) as e:
                raise ApiError(HTTPStatus.BAD_REQUEST, f"policies: {e}") from None
        kept = flt.apply(docs, policies=policies)
        return HTTPStatus.OK, {"documents": kept, "dropped": len(docs) - len(kept)}


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(d, default=str))


def make_server(
    flt: StalenessFilter, host: str = "127.0.0.1", port: int = 8765, *, quiet: bool = False
) -> StaleHTTPServer:
    """A bound, not yet serving, server; call `serve_forever()` (port 0: any free port,
    read it back from `server.server_address`)."""
    return StaleHTTPServer((host, port), flt, quiet=quiet)
