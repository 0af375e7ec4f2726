"""Confluence Cloud and Data Center through the REST API (`/rest/api/content`).

* `flavor = "cloud"`: `https://<site>.atlassian.net/wiki/rest/api/...`, basic auth
  with `email` + API `token`. `flavor = "datacenter"`: `<url>/rest/api/...`,
  `Authorization: Bearer <personal access token>`.
* Startup check: `GET /rest/api/user/current`; an anonymous answer means the
  credentials were ignored (a wrong token on a site that allows anonymous
  reading) and is an `AuthError`, not an empty crawl.
* Crawl per space (`spaces = ["ENG"]`): `GET /rest/api/content?spaceKey=..&type=page`
  with `expand=body.storage,version,history.lastUpdated,metadata.labels,space,ancestors`;
  pagination follows `_links.next` (cursor or offset links, resolved against
  `_links.base`), else `start`/`limit` offsets while full pages come back.
* Incremental (`pages(since=...)`): CQL `lastModified >= "yyyy-MM-dd HH:mm"`
  through `/rest/api/content/search` (minute precision; the window overlaps).
* Page id = content id; title; url from `_links.webui`; last_modified from
  `version.when`; authors from `version.by`; labels; properties `space` (used by
  `repo_map`), `version`, `ancestors` (the page tree, " / "-joined titles).
  content_type "html" (storage format).
* Write-back: add / remove a label (default `stale`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from connectors.base import ConnectorError, PageNotFound
from connectors.http import (
    AuthError,
    HttpClient,
    NotFoundError,
    answer_cap,
    basic_auth,
    parse_api_time,
)
from stale.model import Page, Verdict, content_hash

EXPAND = "body.storage,version,history.lastUpdated,metadata.labels,space,ancestors"
MAX_PAGE_BYTES = 2_000_000  # the default of [limits] max_page_bytes
OVERLAP = timedelta(minutes=2)
FLAVORS = ("cloud", "datacenter")


class ConfluenceError(ConnectorError):
    pass


class ConfluenceConnector:
    type_name = "confluence"
    #: pages(since=...) lists only what changed; the scan uses it after a complete crawl
    incremental = True
    options_help: Mapping[str, str] = {
        "url": "site URL: https://acme.atlassian.net or https://confluence.acme.com (required)",
        "flavor": '"cloud" (email + API token) or "datacenter" (personal access token)',
        "email": "cloud: the Atlassian account's email",
        "token": 'cloud: API token; datacenter: personal access token; always "${ENV_VAR}"',
        "spaces": 'space keys to crawl, e.g. ["ENG"] (required)',
        "limit": "page size of each request (default 50)",
        "timeout": "seconds per request (default 30)",
        "concurrency": "requests in flight at once (default 4)",
        "tagging": "write-back: { enabled, max_per_run, statuses, label }",
    }
    tagging_keys: Mapping[str, type] = {"label": str}

    def __init__(
        self,
        name: str,
        url: str,
        *,
        flavor: str,
        token: str,
        email: str | None = None,
        spaces: tuple[str, ...] = (),
        limit: int = 50,
        timeout: float = 30.0,
        concurrency: int = 4,
        label: str = "stale",
    ) -> None:
        self.name = name
        self.flavor = flavor
        self.site = url.rstrip("/")
        if flavor == "cloud" and not self.site.endswith("/wiki"):
            self.site += "/wiki"
        self.api = f"{self.site}/rest/api"
        self.spaces = spaces
        self.limit = limit
        self.label = label
        self.email = email
        if flavor == "cloud":
            auth = basic_auth(email or "", token)
            hint = f"check sources.{name}.email and the API token in sources.{name}.token"
        else:
            auth = f"Bearer {token}"
            hint = f"check the personal access token in sources.{name}.token"
        self.http = HttpClient(
            name,
            headers={"Authorization": auth, "Accept": "application/json"},
            timeout=timeout,
            concurrency=concurrency,
            auth_hint=hint,
        )
        self.max_page_bytes = MAX_PAGE_BYTES
        self._checked = False

    def __repr__(self) -> str:
        return f"ConfluenceConnector({self.name!r}, {self.site!r})"

    @property
    def max_page_bytes(self) -> int:
        """`[limits] max_page_bytes` (set by the scan). A larger page comes back
        whole and the scan reports it `unknown`; an answer longer than
        a listing of `limit` such pages (at least 32 MiB) is refused (BodyTooLarge,
        the source's crawl stops with that error), so a broken or hostile server
        cannot make the crawl hold unbounded text."""
        return self._max_page_bytes

    @max_page_bytes.setter
    def max_page_bytes(self, value: int) -> None:
        self._max_page_bytes = value
        self.http.max_body_bytes = answer_cap(self.limit, value)

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> ConfluenceConnector:
        from stale.tagging import parse_tagging

        def bad(key: str, msg: str) -> ConfluenceError:
            return ConfluenceError(f"sources.{name}.{key}: {msg}")

        unknown = sorted(set(options) - set(cls.options_help))
        if unknown:
            raise bad(
                unknown[0],
                "unknown option for a confluence source; allowed: "
                + ", ".join(sorted(cls.options_help)),
            )
        url = options.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad("url", "required; the http(s) URL of the Confluence site")
        flavor = options.get("flavor", "cloud")
        if flavor not in FLAVORS:
            raise bad("flavor", f'must be "cloud" or "datacenter", got {flavor!r}')
        token = options.get("token")
        if not isinstance(token, str) or not token:
            raise bad("token", 'required; e.g. token = "${CONFLUENCE_TOKEN}"')
        email = options.get("email")
        if flavor == "cloud" and (not isinstance(email, str) or "@" not in email):
            raise bad("email", "required for cloud: the email of the account the API token is for")
        spaces = options.get("spaces")
        if (
            not isinstance(spaces, list)
            or not spaces
            or not all(isinstance(s, str) for s in spaces)
        ):
            raise bad("spaces", 'required; a list of space keys, e.g. ["ENG"]')
        ints: dict[str, int] = {}
        for key, default, low in (("limit", 50, 1), ("concurrency", 4, 1), ("timeout", 30, 1)):
            v = options.get(key, default)
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                raise bad(key, f"expected an integer >= {low}, got {v!r}")
            ints[key] = v
        tcfg = parse_tagging(name, options.get("tagging"), cls.tagging_keys)
        return cls(
            name,
            url,
            flavor=flavor,
            token=token,
            email=email if isinstance(email, str) else None,
            spaces=tuple(spaces),
            limit=min(ints["limit"], 250),
            timeout=float(ints["timeout"]),
            concurrency=ints["concurrency"],
            label=tcfg.extra.get("label", "stale"),
        )

    @property
    def location(self) -> str:
        return self.site

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"url": self.site, "flavor": self.flavor, "spaces": list(self.spaces)}
        if self.email:
            d["email"] = self.email
        return d

    # -- auth ---------------------------------------------------------------------------

    def check(self) -> str:
        """Fail with AuthError unless the token authenticates a real (non-anonymous) user."""
        doc = self.http.get_json(f"{self.api}/user/current")
        anonymous = (
            not isinstance(doc, dict)
            or doc.get("type") == "anonymous"
            or doc.get("accountType") == "anonymous"
            or (not doc.get("accountId") and not doc.get("username") and not doc.get("userKey"))
        )
        if anonymous:
            raise AuthError(
                f"source {self.name}: {self.api}/user/current answered as an anonymous user: "
                f"the credentials were ignored; {self.http.auth_hint}"
            )
        self._checked = True
        who = doc.get("displayName") or doc.get("username") or doc.get("accountId")
        return f"Confluence {self.flavor} as {who}"

    def _ensure_auth(self) -> None:
        if not self._checked:
            self.check()

    # -- reading ------------------------------------------------------------------------

    def _paged(self, url: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every result of a paged listing: `_links.next` when given, else start/limit."""
        start = 0
        next_url: str | None = None
        while True:
            if next_url:
                doc = self.http.get_json(next_url)
            else:
                doc = self.http.get_json(
                    url, params={**params, "start": start, "limit": self.limit}
                )
            results = doc.get("results", []) if isinstance(doc, dict) else []
            yield from results
            links = doc.get("_links", {}) if isinstance(doc, dict) else {}
            nxt = links.get("next") if isinstance(links, dict) else None
            if nxt:
                next_url = self._resolve(links.get("base") or self.site, nxt)
                continue
            if next_url is not None:
                return  # following `next` links: the last page has none
            limit = doc.get("limit", self.limit) if isinstance(doc, dict) else self.limit
            if not results or len(results) < limit:
                return
            start += len(results)

    def _resolve(self, base: str, ref: str) -> str:
        if ref.startswith(("http://", "https://")):
            return ref
        parts = urlsplit(base)
        root = f"{parts.scheme}://{parts.netloc}"
        path = parts.path.rstrip("/")
        # `next` is relative to the context path (`/wiki`, `/confluence`) unless it already has it
        if path and ref.startswith(path + "/"):
            return root + ref
        return urljoin(root + path + "/", ref.lstrip("/"))

    def _page_from(self, c: dict[str, Any], space: str | None = None) -> Page | None:
        if c.get("type", "page") != "page":
            return None
        cid = str(c.get("id", ""))
        if not cid:
            return None
        body = (((c.get("body") or {}).get("storage")) or {}).get("value", "") or ""
        version = c.get("version") or {}
        when = parse_api_time(version.get("when")) or parse_api_time(
            ((c.get("history") or {}).get("lastUpdated") or {}).get("when")
        )
        by = version.get("by") or {}
        author = by.get("displayName") or by.get("publicName") or by.get("username")
        labels = tuple(
            sorted(
                str(lb.get("name"))
                for lb in (((c.get("metadata") or {}).get("labels") or {}).get("results") or [])
                if lb.get("name")
            )
        )
        space_key = (c.get("space") or {}).get("key") or space or ""
        ancestors = " / ".join(str(a.get("title", "")) for a in c.get("ancestors") or [])
        links = c.get("_links") or {}
        webui = links.get("webui")
        url = (
            self._resolve(links.get("base") or self.site, webui)
            if webui
            else f"{self.site}/pages/viewpage.action?pageId={cid}"
        )
        props = {"space": space_key, "version": str(version.get("number", ""))}
        if ancestors:
            props["ancestors"] = ancestors
        title = str(c.get("title", cid))
        return Page(
            source=self.name,
            page_id=cid,
            url=url,
            title=title,
            body=body,
            content_type="html",
            last_modified=when,
            authors=(str(author),) if author else (),
            labels=labels,
            properties=tuple(sorted(props.items())),
            content_hash=content_hash(body, title),
        )

    def pages(self, since: datetime | None = None) -> Iterator[Page]:
        self._ensure_auth()
        seen: set[str] = set()
        for space in self.spaces:
            if since is None:
                it = self._paged(
                    f"{self.api}/content",
                    {"spaceKey": space, "type": "page", "status": "current", "expand": EXPAND},
                )
            else:
                stamp = (since.astimezone(UTC) - OVERLAP).strftime("%Y-%m-%d %H:%M")
                cql = f'space = "{space}" and type = page and lastModified >= "{stamp}"'
                it = self._paged(f"{self.api}/content/search", {"cql": cql, "expand": EXPAND})
            for c in it:
                page = self._page_from(c, space)
                if page is not None and page.page_id not in seen:
                    seen.add(page.page_id)
                    yield page

    def page(self, ref: str) -> Page:
        cid = self.owns(ref) or ref
        self._ensure_auth()
        try:
            doc = self.http.get_json(f"{self.api}/content/{quote(cid)}", params={"expand": EXPAND})
        except NotFoundError:
            raise PageNotFound(f"source {self.name}: no page with id {cid}") from None
        page = self._page_from(doc)
        if page is None:
            raise PageNotFound(f"source {self.name}: {cid} is not a page")
        return page

    def owns(self, ref: str) -> str | None:
        if ref.startswith(("http://", "https://")):
            if not ref.startswith(self.site.removesuffix("/wiki")):
                return None
            if "pageId=" in ref:
                return ref.split("pageId=", 1)[1].split("&", 1)[0]
            parts = urlsplit(ref).path.split("/")
            if "pages" in parts:
                i = parts.index("pages")
                if i + 1 < len(parts) and parts[i + 1].isdigit():
                    return parts[i + 1]
            return None
        return ref if ref.isdigit() else None

    # -- writing --------------------------------------------------------------------------

    # tag reads the page's labels from the wiki first (never the crawl's copy)
    # and adds the label only when it is missing, so a rerun after a write whose
    # answer was lost changes nothing; untag's DELETE is idempotent anyway.

    def _labels(self, page_id: str) -> list[str] | None:
        """The page's label names now; None when the page is gone."""
        try:
            doc = self.http.get_json(
                f"{self.api}/content/{quote(page_id)}/label", params={"limit": 200}
            )
        except NotFoundError:
            return None
        results = doc.get("results", []) if isinstance(doc, dict) else []
        return [str(lb.get("name")) for lb in results if isinstance(lb, dict)]

    def is_tagged(self, page: Page) -> bool:
        self._ensure_auth()
        return self.label in (self._labels(page.page_id) or [])

    def tag(self, page: Page, verdict: Verdict) -> None:
        self._ensure_auth()
        labels = self._labels(page.page_id)
        if labels is None:
            raise PageNotFound(f"source {self.name}: page {page.page_id} no longer exists")
        if self.label in labels:
            return
        self.http.request(
            "POST",
            f"{self.api}/content/{quote(page.page_id)}/label",
            json_body=[{"prefix": "global", "name": self.label}],
        )

    def untag(self, page: Page) -> None:
        # DELETE is idempotent: a label (or page) that is gone already is a 404
        self._ensure_auth()
        try:
            self.http.request(
                "DELETE",
                f"{self.api}/content/{quote(page.page_id)}/label",
                params={"name": self.label},
            )
        except NotFoundError:
            return  # the label (or the page) is gone already
