"""The HTTP layer every network connector shares (stdlib only).

* timeouts on every request; retries with exponential backoff for connection
  errors (idempotent methods) and 429/502/503/504 answers, honouring
  `Retry-After` (seconds or an HTTP date, capped at `max_retry_after`);
* writes are careful: a POST is sent again only after a 429 or 503 answer (the
  server says it did not act), never after a timeout, a dropped connection or
  another 5xx, and always on a fresh connection (a pooled one that the server
  closed could otherwise make it go out twice). When a write gets no answer, or
  a 5xx, its outcome is unknown: the `HttpError` says so (`outcome_unknown`),
  and write-back reads the page again before it believes either way;
* keep-alive connections reused per host (`http.client`), a cookie jar (MediaWiki
  logins), and at most `concurrency` requests in flight per source;
* the user agent `stale/<version>`;
* credentials come only from config values (themselves from `${ENV}`): they are
  sent as headers and never logged, stored or printed. Error messages show the
  URL without userinfo and with secret-looking query values replaced by `***`.

Failures become `ConnectorError` subclasses with one-line messages that name the
source: `AuthError` (401/403 or an anonymous session), `NotFoundError` (404),
`HttpError` (any other status, or the server could not be reached).
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import random
import re
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connectors.base import ConnectorError

RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: the answers after which a non-idempotent request (POST) is sent again
WRITE_RETRY_STATUSES = frozenset({429, 503})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})  # methods that change nothing
_SECRET_KEY = re.compile(r"(token|key|secret|pass|auth|sig|session|cred)", re.IGNORECASE)


class HttpError(ConnectorError):
    """An HTTP request failed. `status` is None when no answer came back.
    `outcome_unknown`: a write that may or may not have been applied (no answer
    after it was sent, or a 5xx)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str = "",
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        self.outcome_unknown = outcome_unknown


class AuthError(HttpError):
    """The credentials were refused (401/403) or silently ignored (anonymous)."""


class NotFoundError(HttpError):
    """404 from the server."""


class BodyTooLarge(HttpError):
    """An answer longer than the client's `max_body_bytes` (set from `[limits]
    max_page_bytes`); `head` holds its first max_body_bytes + 1 bytes."""

    def __init__(self, message: str, *, url: str = "", head: bytes = b"") -> None:
        super().__init__(message, url=url)
        self.head = head


def user_agent() -> str:
    from stale import __version__

    return f"stale/{__version__} (+https://github.com/stale-wiki/stale)"


def redact(url: str) -> str:
    """`url` without userinfo, with secret-looking query values replaced by `***`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if _SECRET_KEY.search(k) else v) for k, v in pairs], safe="|*:,"
        )
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def basic_auth(user: str, secret: str) -> str:
    raw = f"{user}:{secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


#: An API answer may always be this long, whatever `[limits] max_page_bytes` says.
MIN_BODY_BYTES = 32 * 1024 * 1024


def answer_cap(pages_per_answer: int, max_page_bytes: int) -> int:
    """The longest API answer to read when one answer holds up to `pages_per_answer`
    pages of at most `max_page_bytes` each (never below MIN_BODY_BYTES)."""
    return max(MIN_BODY_BYTES, pages_per_answer * max_page_bytes)


def parse_api_time(value: object) -> datetime | None:
    """An ISO 8601 timestamp from a wiki API (`2025-03-02T10:30:00Z`), else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    ref = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - ref)


@dataclass
class Response:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def text(self) -> str:
        charset = self.headers.get_content_charset() or "utf-8"
        return self.body.decode(charset, "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8", "replace"))
        except ValueError:
            return None


class _CookieResponse:
    """What CookieJar.extract_cookies needs from a response."""

    def __init__(self, headers: http.client.HTTPMessage) -> None:
        self._headers = headers

    def info(self) -> http.client.HTTPMessage:
        return self._headers


class HttpClient:
    """One per source. Thread-safe; `request` never raises anything but HttpError."""

    def __init__(
        self,
        source: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        concurrency: int = 4,
        auth_hint: str = "",
        verify_tls: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.source = source
        self._headers = {"User-Agent": user_agent(), "Accept-Encoding": "identity"}
        self._headers.update(headers or {})
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.auth_hint = auth_hint
        self.cookies = CookieJar()
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._lock = threading.Lock()
        self._pool: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._ssl = ssl.create_default_context() if verify_tls else ssl._create_unverified_context()
        self.requests_sent = 0  # for tests and `stale sources`
        self.waited = 0.0  # seconds slept before retries
        self.max_body_bytes: int | None = None  # a longer answer raises BodyTooLarge

    def __repr__(self) -> str:  # never show headers: they hold credentials
        return f"HttpClient(source={self.source!r})"

    # -- connections --------------------------------------------------------------

    def _key(self, url: str) -> tuple[str, str, int]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise HttpError(
                f"source {self.source}: {redact(url)} is not an http(s) URL; fix the source's url",
                url=redact(url),
            )
        port = parts.port or (443 if scheme == "https" else 80)
        return scheme, parts.hostname, port

    def _checkout(
        self, key: tuple[str, str, int], *, fresh: bool = False
    ) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = None if fresh else self._pool.get(key)
            if idle:
                return idle.pop(), True
        scheme, host, port = key
        if scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=self.timeout, context=self._ssl
            ), False
        return http.client.HTTPConnection(host, port, timeout=self.timeout), False

    def _checkin(self, key: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._pool.setdefault(key, []).append(conn)

    def close(self) -> None:
        with self._lock:
            for conns in self._pool.values():
                for c in conns:
                    c.close()
            self._pool.clear()

    def _read_body(
        self, resp: http.client.HTTPResponse, conn: http.client.HTTPConnection, url: str
    ) -> bytes:
        """The answer's body, reading no more than max_body_bytes + 1 bytes."""
        cap = self.max_body_bytes
        if cap is None:
            return resp.read()
        data = resp.read(cap + 1)  # short only at the end of the body
        if len(data) <= cap:
            return data
        conn.close()
        raise BodyTooLarge(
            f"source {self.source}: {redact(url)} answered more than {cap} bytes, over the "
            "size [limits] max_page_bytes allows; raise the limit or leave the page out",
            url=redact(url),
            head=data,
        )

    # -- requests -----------------------------------------------------------------

    def _send_once(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> Response:
        key = self._key(url)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req = urllib.request.Request(url, method=method)
        self.cookies.add_cookie_header(req)
        all_headers = {**self._headers, **headers, **dict(req.header_items())}
        # A non-idempotent request goes out on a fresh connection, exactly once:
        # resending it after a lost answer could apply it twice.
        fresh = method not in IDEMPOTENT
        for attempt in (0, 1):
            conn, reused = self._checkout(key, fresh=fresh)
            try:
                conn.request(method, target, body=body, headers=all_headers)
                resp = conn.getresponse()
                data = self._read_body(resp, conn, url)
            except (http.client.HTTPException, OSError) as e:
                conn.close()
                if reused and attempt == 0 and not isinstance(e, TimeoutError):
                    continue  # the server closed an idle keep-alive connection
                raise
            if resp.will_close:
                conn.close()
            else:
                self._checkin(key, conn)
            self.cookies.extract_cookies(_CookieResponse(resp.msg), req)  # type: ignore[arg-type]
            return Response(resp.status, resp.reason, resp.msg, data, url)
        raise OSError("connection lost")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        base = min(self.max_backoff, self.backoff * (2**attempt))
        return base * (0.75 + random.random() * 0.5)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 204, 304),
        write: bool | None = None,
    ) -> Response:
        """Send a request, retrying transient failures; non-`ok` statuses raise.

        `write` (default: any method but GET/HEAD/OPTIONS) marks a request that
        changes something: when it fails with no answer or a 5xx, the error has
        `outcome_unknown` set. A POST is retried only after 429/503."""
        method = method.upper()
        if write is None:
            write = method not in SAFE
        retry_statuses = RETRY_STATUSES if method in IDEMPOTENT else WRITE_RETRY_STATUSES
        if params:
            sep = "&" if urlsplit(url).query else "?"
            url = url + sep + urlencode({k: v for k, v in params.items() if v is not None})
        hdrs = dict(headers or {})
        body: bytes | None = None
        if data is not None:
            body = urlencode({k: v for k, v in data.items() if v is not None}).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        attempt = 0
        while True:
            resp: Response | None = None
            err: Exception | None = None
            with self._slots:
                try:
                    self.requests_sent += 1
                    resp = self._send_once(method, url, body, hdrs)
                except (http.client.HTTPException, OSError) as e:
                    err = e
            if resp is not None and resp.status in ok:
                return resp
            retryable = (resp is not None and resp.status in retry_statuses) or (
                err is not None and method in IDEMPOTENT
            )
            if retryable and attempt < self.retries:
                after = parse_retry_after(resp.header("Retry-After")) if resp is not None else None
                wait = self._delay(attempt, after)
                self.waited += wait
                self._sleep(wait)
                attempt += 1
                continue
            if resp is None:
                assert err is not None
                why = str(err).splitlines()[0] if str(err) else type(err).__name__
                if write:
                    raise HttpError(
                        f"source {self.source}: no answer from {redact(url)} ({why}); "
                        f"the {method} may or may not have been applied",
                        url=redact(url),
                        outcome_unknown=True,
                    ) from None
                raise HttpError(
                    f"source {self.source}: cannot reach {redact(url)} ({why})", url=redact(url)
                ) from None
            raise self.error_for(resp, tries=attempt + 1, write=write)

    def error_for(
        self, resp: Response, *, tries: int | None = None, write: bool = False
    ) -> HttpError:
        url = redact(resp.url)
        what = f"source {self.source}: {resp.status} {resp.reason} from {url}"
        if resp.status in (401, 403):
            hint = f"; {self.auth_hint}" if self.auth_hint else ""
            return AuthError(what + hint, status=resp.status, url=url)
        if resp.status == 404:
            return NotFoundError(what, status=resp.status, url=url)
        unknown = write and resp.status >= 500
        if unknown:
            what += "; the write may or may not have been applied"
        n = self.retries + 1 if tries is None else tries
        if resp.status in RETRY_STATUSES and n > 1:
            return HttpError(
                f"{what} after {n} tries; try again later",
                status=resp.status,
                url=url,
                outcome_unknown=unknown,
            )
        return HttpError(what, status=resp.status, url=url, outcome_unknown=unknown)

    def get(self, url: str, **kw: Any) -> Response:
        return self.request("GET", url, **kw)

    def get_json(self, url: str, **kw: Any) -> Any:
        resp = self.request("GET", url, **kw)
        doc = resp.json()
        if doc is None:
            raise HttpError(
                f"source {self.source}: {redact(resp.url)} did not answer JSON; is the url right?",
                status=resp.status,
                url=redact(resp.url),
            )
        return doc
