"""A fault-injecting HTTP proxy for write-back tests.

`FaultProxy(upstream)` is a threaded HTTP server on 127.0.0.1 that forwards every
request to `upstream` (a real MediaWiki, a fake Confluence) and, by a schedule,
answers some of them itself or breaks them:

    proxy.on("POST edit", nth=[3, 4], fault="500")         # 3rd and 4th edit: 500
    proxy.on("POST edit", nth=[2], fault="stall")           # never answer (client times out)
    proxy.on("POST edit", nth=[5], fault="forward+drop")    # edit done, answer lost
    proxy.on("POST label", from_nth=1, fault="429", retry_after="1")

A request's key is `"<METHOD> <action>"`: the MediaWiki `action` parameter (query
string or form body), else the last meaningful path segment for REST APIs
(`.../content/123/label` -> `label`, `.../user/current` -> `current`). `nth`
counts the requests with that key since the last `reset()`, from 1.

Faults:

* `"500"`, `"502"`, `"503"`, `"429"`: answered by the proxy, never forwarded
  (`retry_after` adds a Retry-After header);
* `"stall"`: never forwarded; the proxy waits `stall_s` (longer than the
  client's timeout), then drops the connection;
* `"drop"`: never forwarded; the connection is closed at once;
* `"forward+500"`, `"forward+502"`, `"forward+drop"`, `"forward+stall"`: the
  dangerous cases: forwarded, so the wiki acts, then the answer is replaced by a
  500/502, lost (connection closed), or held for `stall_s` and lost.

`proxy.seen` logs every request (key, n, fault, upstream status, form fields,
path); `proxy.hit` is set whenever a fault fires (after the upstream answered,
for the forward+ kinds), so a test can act at that moment (e.g. SIGKILL the
client).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAULTS = frozenset(
    {
        "500",
        "502",
        "503",
        "429",
        "stall",
        "drop",
        "forward+500",
        "forward+502",
        "forward+drop",
        "forward+stall",
    }
)
_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}
)


@dataclass
class Rule:
    key: str
    fault: str
    nth: frozenset[int] = frozenset()
    from_nth: int | None = None
    retry_after: str | None = None

    def matches(self, key: str, n: int) -> bool:
        if key != self.key:
            return False
        return n in self.nth or (self.from_nth is not None and n >= self.from_nth)


@dataclass
class Seen:
    key: str
    n: int
    path: str
    fields: dict[str, str]
    fault: str | None = None
    upstream_status: int | None = None

    @property
    def title(self) -> str:
        """The MediaWiki page an edit is for."""
        return self.fields.get("title", "")


@dataclass
class _State:
    rules: list[Rule] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    seen: list[Seen] = field(default_factory=list)


def request_key(method: str, path: str, fields: dict[str, str]) -> str:
    if "action" in fields:
        return f"{method} {fields['action']}"
    parts = [p for p in urlsplit(path).path.split("/") if p]
    tail = next((p for p in reversed(parts) if not p.isdigit()), "")
    return f"{method} {tail}"


class FaultProxy:
    def __init__(self, upstream: str, *, stall_s: float = 3.0) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.stall_s = stall_s
        self.hit = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state = _State()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True

    # -- schedule -----------------------------------------------------------------

    def on(
        self,
        key: str,
        *,
        fault: str,
        nth: Iterable[int] = (),
        from_nth: int | None = None,
        retry_after: str | None = None,
    ) -> FaultProxy:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {sorted(FAULTS)}")
        with self._lock:
            self._state.rules.append(Rule(key, fault, frozenset(nth), from_nth, retry_after))
        return self

    def clear(self) -> None:
        """No more faults (the log and counters stay)."""
        with self._lock:
            self._state.rules.clear()

    def reset(self) -> None:
        """Forget the log and the per-key counters (one run's worth)."""
        with self._lock:
            self._state.counts.clear()
            self._state.seen.clear()
        self.hit.clear()

    @property
    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self._state.seen)

    def requests(self, key: str) -> list[Seen]:
        return [s for s in self.seen if s.key == key]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes stalled handlers
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the handler ------------------------------------------------------------------

    def _decide(self, key: str, entry: Seen) -> Rule | None:
        with self._lock:
            self._state.counts[key] += 1
            entry.n = self._state.counts[key]
            self._state.seen.append(entry)
            for rule in self._state.rules:
                if rule.matches(key, entry.n):
                    entry.fault = rule.fault
                    return rule
        return None

    def _forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            out = {k: v for k, v in headers if k.lower() not in _HOP | {"host", "content-length"}}
            out["Host"] = f"{self.upstream_host}:{self.upstream_port}"
            if body or method in ("POST", "PUT", "PATCH"):
                out["Content-Length"] = str(len(body))
            conn.request(method, path, body=body or None, headers=out)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _reply(
                self,
                status: int,
                body: bytes,
                headers: Iterable[tuple[str, str]] = (),
                reason: str | None = None,
            ) -> None:
                self.send_response(status, reason)
                for k, v in headers:
                    if k.lower() not in _HOP | {"content-length"}:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _handle(self) -> None:
                method = self.command
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fields = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                ctype = self.headers.get("Content-Type", "")
                if body and "x-www-form-urlencoded" in ctype:
                    fields.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
                fields.pop("token", None)  # never keep the edit token around
                key = request_key(method, self.path, fields)
                entry = Seen(key, 0, self.path, fields)
                rule = proxy._decide(key, entry)
                fault = rule.fault if rule else None
                if fault in ("500", "502", "503", "429"):
                    assert rule is not None
                    status = int(fault)
                    hdrs = [("Content-Type", "application/json")]
                    if rule.retry_after is not None:
                        hdrs.append(("Retry-After", rule.retry_after))
                    proxy.hit.set()
                    msg = json.dumps({"message": f"injected {fault}"}).encode()
                    return self._reply(status, msg, hdrs)
                if fault == "drop":
                    proxy.hit.set()
                    return self._drop()
                if fault == "stall":
                    proxy.hit.set()
                    proxy._stop.wait(proxy.stall_s)
                    return self._drop()
                try:
                    status, reason, hdrs, data = proxy._forward(
                        method, self.path, list(self.headers.items()), body
                    )
                except OSError as e:
                    return self._reply(502, f"upstream: {e}".encode())
                entry.upstream_status = status
                if fault is None:
                    return self._reply(status, data, hdrs, reason)
                proxy.hit.set()
                if fault == "forward+500":
                    return self._reply(500, b'{"message": "injected 500 after the write"}')
                if fault == "forward+502":
                    return self._reply(502, b"<html>Bad Gateway</html>")
                if fault == "forward+stall":
                    proxy._stop.wait(proxy.stall_s)
                return self._drop()  # forward+drop, forward+stall

            do_GET = do_POST = do_DELETE = do_PUT = _handle

        return Handler
