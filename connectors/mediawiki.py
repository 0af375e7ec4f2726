"""MediaWiki through its Action API (`api.php`).

* login: a bot password (Special:BotPasswords) through `action=login` with a
  login token; the user is `Name@appid`. Without `username` the wiki is read
  anonymously (public wikis).
* crawl: `generator=allpages&prop=revisions|categories` with
  `rvprop=content|timestamp|ids|user&rvslots=main`, following the whole
  `continue` object; with several props a page can come back in two answers,
  so pages are merged by page id before they are yielded.
* incremental (`pages(since=...)`): `list=recentchanges` from `since` minus an
  overlap (timestamps are to the second), de-duplicated by title, then the
  changed pages are read by title in batches.
* page id = title; url = `<base>/index.php?title=<Title>`; labels = categories;
  content_type "wikitext".
* write-back (`tag`/`untag`): a category (default `Stale pages`) and/or a banner
  template at the top (`{{Stale|reason}}`), by `meta=tokens` then `action=edit`
  (POST, `bot`, a summary, `basetimestamp`/`starttimestamp`: an edit that
  raced another one fails with a conflict instead of clobbering it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

from connectors.base import ConnectorError, PageNotFound
from connectors.http import AuthError, HttpClient, HttpError, answer_cap, parse_api_time
from stale.model import Page, Verdict, content_hash

BATCH = 50  # pages per request when content is asked for (the API's limit for non-bots)
MAX_PAGE_BYTES = 2_000_000  # the default of [limits] max_page_bytes
OVERLAP = timedelta(minutes=5)


class MediaWikiError(ConnectorError):
    outcome_unknown = False  # True: an edit that may or may not have been saved


class MediaWikiConnector:
    type_name = "mediawiki"
    #: pages(since=...) lists only what changed; the scan uses it after a complete crawl
    incremental = True
    options_help: Mapping[str, str] = {
        "url": "the wiki's api.php URL, e.g. https://wiki.example.com/w/api.php (required)",
        "username": "bot user, Name@appid (Special:BotPasswords); omit to read anonymously",
        "password": 'the bot password; always "${ENV_VAR}"',
        "namespaces": "namespace numbers to crawl (default [0])",
        "timeout": "seconds per request (default 30)",
        "concurrency": "requests in flight at once (default 2)",
        "tagging": "write-back: { enabled, max_per_run, statuses, category, banner, summary }",
    }
    tagging_keys: Mapping[str, type] = {"category": str, "banner": str, "summary": str}

    def __init__(
        self,
        name: str,
        api: str,
        *,
        username: str | None = None,
        password: str | None = None,
        namespaces: tuple[int, ...] = (0,),
        timeout: float = 30.0,
        concurrency: int = 2,
        category: str | None = "Stale pages",
        banner: str | None = None,
        summary: str = "stale: page checked against the code",
    ) -> None:
        self.name = name
        self.api = api
        self.base = api.rsplit("/", 1)[0]
        self.username = username
        self._password = password
        self.namespaces = namespaces
        self.category = category
        self.banner = banner
        self.summary = summary
        self.http = HttpClient(
            name,
            timeout=timeout,
            concurrency=concurrency,
            auth_hint=(
                f"check sources.{name}.username and the bot password in sources.{name}.password"
            ),
        )
        self.max_page_bytes = MAX_PAGE_BYTES
        self._logged_in = False

    def __repr__(self) -> str:
        return f"MediaWikiConnector({self.name!r}, {self.api!r})"

    @property
    def max_page_bytes(self) -> int:
        """`[limits] max_page_bytes` (set by the scan). A larger page comes back
        whole and the scan reports it `unknown`; an answer longer than
        a batch of BATCH such pages (at least 32 MiB) is refused (BodyTooLarge,
        the source's crawl stops with that error), so a broken or hostile server
        cannot make the crawl hold unbounded text."""
        return self._max_page_bytes

    @max_page_bytes.setter
    def max_page_bytes(self, value: int) -> None:
        self._max_page_bytes = value
        self.http.max_body_bytes = answer_cap(BATCH, value)

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> MediaWikiConnector:
        from stale.tagging import parse_tagging

        unknown = sorted(set(options) - set(cls.options_help))
        if unknown:
            raise MediaWikiError(
                f"sources.{name}.{unknown[0]}: unknown option for a mediawiki source; "
                f"allowed: {', '.join(sorted(cls.options_help))}"
            )
        url = options.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise MediaWikiError(
                f"sources.{name}.url: required; the http(s) URL of the wiki's api.php"
            )
        if not url.rstrip("/").endswith(".php"):
            url = url.rstrip("/") + "/api.php"
        for key in ("username", "password"):
            if key in options and not isinstance(options[key], str):
                raise MediaWikiError(f"sources.{name}.{key}: expected a string")
        if ("username" in options) != ("password" in options):
            raise MediaWikiError(
                f"sources.{name}.password: username and password go together "
                '(a bot password: username = "Name@appid", password = "${WIKI_PASSWORD}")'
            )
        ns = options.get("namespaces", [0])
        if not isinstance(ns, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in ns
        ):
            raise MediaWikiError(f"sources.{name}.namespaces: expected a list of integers")
        timeout = options.get("timeout", 30)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise MediaWikiError(f"sources.{name}.timeout: expected a number of seconds > 0")
        conc = options.get("concurrency", 2)
        if not isinstance(conc, int) or isinstance(conc, bool) or conc < 1:
            raise MediaWikiError(f"sources.{name}.concurrency: expected an integer >= 1")
        tcfg = parse_tagging(name, options.get("tagging"), cls.tagging_keys)
        category = tcfg.extra.get("category", "Stale pages") or None
        banner = tcfg.extra.get("banner") or None
        if category is None and banner is None:
            raise MediaWikiError(
                f"sources.{name}.tagging.category: give a category or a banner template"
            )
        return cls(
            name,
            url,
            username=options.get("username"),
            password=options.get("password"),
            namespaces=tuple(ns),
            timeout=float(timeout),
            concurrency=conc,
            category=category,
            banner=banner,
            summary=tcfg.extra.get("summary", "stale: page checked against the code"),
        )

    @property
    def location(self) -> str:
        return self.api

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"url": self.api, "namespaces": list(self.namespaces)}
        if self.username:
            d["username"] = self.username  # never the password
        return d

    # -- API plumbing ---------------------------------------------------------------

    def _call(
        self, params: Mapping[str, Any], *, post: bool = False, write: bool = False
    ) -> dict[str, Any]:
        """One API call. `write`: it changes a page (an edit), so a failure with no
        answer or a 5xx leaves its outcome unknown (HttpError.outcome_unknown)."""
        q = {"format": "json", "formatversion": "2", "errorformat": "plaintext", **params}
        if post:
            resp = self.http.request("POST", self.api, data=q, write=write)
        else:
            resp = self.http.request("GET", self.api, params=q)
        doc = resp.json()
        if not isinstance(doc, dict):
            bad = MediaWikiError(
                f"source {self.name}: {self.api} did not answer JSON; is it the wiki's api.php?"
            )
            bad.outcome_unknown = write
            raise bad
        errors = doc.get("errors") or ([doc["error"]] if "error" in doc else [])
        if errors:
            err = errors[0]
            code = err.get("code", "error")
            text = err.get("text") or err.get("info") or err.get("*") or ""
            text = " ".join(str(text).split())[:200]
            cls = (
                AuthError
                if code
                in (
                    "readapidenied",
                    "permissiondenied",
                    "badtoken",
                    "assertuserfailed",
                    "assertbotfailed",
                )
                else MediaWikiError
            )
            raise cls(
                f"source {self.name}: the wiki refused {params.get('action')}: {code}: {text}"
            )
        return doc

    def login(self) -> None:
        """Log in with the bot password (once); anonymous when no username is set."""
        if self._logged_in or not self.username:
            return
        tok = self._call({"action": "query", "meta": "tokens", "type": "login"})
        token = tok.get("query", {}).get("tokens", {}).get("logintoken")
        if not token:
            raise MediaWikiError(f"source {self.name}: {self.api} gave no login token")
        res = self._call(
            {
                "action": "login",
                "lgname": self.username,
                "lgpassword": self._password,
                "lgtoken": token,
            },
            post=True,
        ).get("login", {})
        if res.get("result") != "Success":
            reason = res.get("reason") or res.get("result") or "refused"
            if isinstance(reason, dict):
                reason = reason.get("text") or reason.get("code") or "refused"
            why = " ".join(str(reason).split())
            raise AuthError(
                f"source {self.name}: login as {self.username} failed ({why[:160]}) at "
                f"{self.api}; check sources.{self.name}.username (Name@appid) and the bot "
                f"password in sources.{self.name}.password"
            )
        self._logged_in = True

    def check(self) -> str:
        """Reachability for `stale sources`: log in and read the site name."""
        self.login()
        doc = self._call({"action": "query", "meta": "siteinfo|userinfo"})
        q = doc.get("query", {})
        user = q.get("userinfo", {}).get("name", "?")
        return f"{q.get('general', {}).get('sitename', 'wiki')} as {user}"

    def _query(self, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every answer of a query, following the whole `continue` object."""
        cont: dict[str, Any] = {}
        while True:
            doc = self._call({"action": "query", **params, **cont})
            yield doc
            if "continue" not in doc:
                return
            cont = dict(doc["continue"])

    # -- reading --------------------------------------------------------------------

    def url_for(self, title: str) -> str:
        return f"{self.base}/index.php?title={quote(title.replace(' ', '_'), safe='/:')}"

    def _page_from(self, p: dict[str, Any]) -> Page | None:
        revs = p.get("revisions") or []
        if not revs or p.get("missing"):
            return None
        rev = revs[-1]
        slot = (rev.get("slots") or {}).get("main") or {}
        body = slot.get("content", rev.get("content", ""))
        if not isinstance(body, str):
            body = ""
        title = p["title"]
        cats = tuple(
            sorted(c["title"].split(":", 1)[-1] for c in p.get("categories", ()) if "title" in c)
        )
        props = {"revid": str(rev.get("revid", "")), "pageid": str(p.get("pageid", ""))}
        return Page(
            source=self.name,
            page_id=title,
            url=self.url_for(title),
            title=title,
            body=body,
            content_type="wikitext",
            last_modified=parse_api_time(rev.get("timestamp")),
            authors=(rev["user"],) if rev.get("user") else (),
            labels=cats,
            properties=tuple(sorted(props.items())),
            content_hash=content_hash(body, title),
        )

    _PROPS: ClassVar[dict[str, str]] = {
        "prop": "revisions|categories",
        "rvprop": "content|timestamp|ids|user",
        "rvslots": "main",
        "cllimit": "max",
        "clshow": "!hidden",
    }

    def _merged(self, params: Mapping[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Batches of pages of a query, each page merged by page id across the
        continuations that complete its batch (a page can come back twice when
        several props continue). With a generator, a batch is done when only the
        generator's own continue key is left."""
        merged: dict[int, dict[str, Any]] = {}
        for doc in self._query({**self._PROPS, **params}):
            for p in doc.get("query", {}).get("pages", []):
                pid = int(p.get("pageid", -1))
                if pid < 0:
                    continue  # missing or invalid title
                have = merged.setdefault(pid, {})
                for k, v in p.items():
                    if k in ("revisions", "categories"):
                        known = have.setdefault(k, [])
                        known.extend(x for x in v if x not in known)
                    else:
                        have[k] = v
            cont = set(doc.get("continue", {})) - {"continue"}
            if not cont or all(k.startswith("gap") for k in cont):
                yield sorted(merged.values(), key=lambda x: str(x.get("title", "")))
                merged = {}
        if merged:
            yield sorted(merged.values(), key=lambda x: str(x.get("title", "")))

    def _pages_of(self, params: Mapping[str, Any]) -> Iterator[Page]:
        for batch in self._merged(params):
            for p in batch:
                page = self._page_from(p)
                if page is not None:
                    yield page

    def pages(self, since: datetime | None = None) -> Iterator[Page]:
        self.login()
        if since is not None:
            yield from self._by_titles(self.changed_titles(since))
            return
        for ns in self.namespaces:
            yield from self._pages_of(
                {"generator": "allpages", "gapnamespace": ns, "gaplimit": BATCH}
            )

    def _by_titles(self, titles: list[str]) -> Iterator[Page]:
        for i in range(0, len(titles), BATCH):
            yield from self._pages_of({"titles": "|".join(titles[i : i + BATCH])})

    def changed_titles(self, since: datetime) -> list[str]:
        """Titles edited, created or moved since `since` (minus an overlap), once each."""
        start = (since.astimezone(UTC) - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
        seen_revs: set[int] = set()
        titles: dict[str, None] = {}
        for doc in self._query(
            {
                "list": "recentchanges",
                "rcstart": start,
                "rcdir": "newer",
                "rcnamespace": "|".join(map(str, self.namespaces)),
                "rcprop": "title|ids|timestamp",
                "rctype": "edit|new|log",
                "rclimit": "max",
            }
        ):
            for rc in doc.get("query", {}).get("recentchanges", []):
                rev = int(rc.get("revid", 0) or 0)
                if rev and rev in seen_revs:
                    continue
                seen_revs.add(rev)
                titles.setdefault(rc["title"], None)
        return list(titles)

    def page(self, ref: str) -> Page:
        title = self.owns(ref) or ref
        self.login()
        for page in self._by_titles([title]):
            return page
        raise PageNotFound(f"source {self.name}: no page titled {title!r}")

    def owns(self, ref: str) -> str | None:
        if ref.startswith(("http://", "https://")):
            parts = urlsplit(ref)
            if not ref.startswith(self.base):
                return None
            q = parse_qs(parts.query)
            if "title" in q:
                return q["title"][0].replace("_", " ")
            if "/wiki/" in parts.path:
                return parts.path.split("/wiki/", 1)[1].replace("_", " ")
            return None
        return None

    # -- writing --------------------------------------------------------------------

    def _token(self, kind: str = "csrf") -> str:
        doc = self._call({"action": "query", "meta": "tokens", "type": kind})
        token = doc.get("query", {}).get("tokens", {}).get(f"{kind}token")
        if not token or token == "+\\":
            raise AuthError(
                f"source {self.name}: the wiki gave an anonymous edit token; write-back needs "
                f"a bot password with the editpage grant in sources.{self.name}.username/password"
            )
        return str(token)

    def _current(self, title: str) -> tuple[str, str | None]:
        """(wikitext, timestamp of the latest revision) of a page; ("", None) if missing."""
        doc = self._call(
            {
                "action": "query",
                "prop": "revisions",
                "titles": title,
                "rvprop": "content|timestamp",
                "rvslots": "main",
                "curtimestamp": "1",
            }
        )
        pages = doc.get("query", {}).get("pages", [])
        if not pages or pages[0].get("missing"):
            return "", None
        rev = (pages[0].get("revisions") or [{}])[0]
        body = ((rev.get("slots") or {}).get("main") or {}).get("content", "")
        return str(body), rev.get("timestamp")

    def edit(
        self, title: str, text: str, summary: str, *, basetimestamp: str | None = None
    ) -> None:
        """Save `text` as the page's new content (create it if missing)."""
        self.login()
        start = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params: dict[str, Any] = {
            "action": "edit",
            "title": title,
            "text": text,
            "summary": summary,
            "bot": "1",
            "starttimestamp": start,
            "token": self._token(),
        }
        if basetimestamp:
            params["basetimestamp"] = basetimestamp
            params["nocreate"] = "1"
        res = self._call(params, post=True, write=True).get("edit", {})
        if res.get("result") != "Success":
            raise MediaWikiError(
                f"source {self.name}: editing {title!r} failed: {res.get('result', res)}"
            )

    def _category_re(self) -> re.Pattern[str] | None:
        if not self.category:
            return None
        words = [re.escape(w) for w in re.split(r"[ _]+", self.category.strip())]
        return re.compile(
            r"\n?\[\[\s*Category\s*:\s*" + r"[ _]+".join(words) + r"\s*(\|[^\]]*)?\]\]",
            re.IGNORECASE,
        )

    def _banner_re(self) -> re.Pattern[str] | None:
        if not self.banner:
            return None
        name = r"[ _]+".join(re.escape(w) for w in re.split(r"[ _]+", self.banner.strip()))
        return re.compile(r"\{\{\s*" + name + r"\s*(\|[^{}]*)?\}\}\n?", re.IGNORECASE)

    def tagged_text(self, text: str, reason: str) -> str:
        cat, ban = self._category_re(), self._banner_re()
        if ban is not None and not ban.search(text):
            clean = reason.replace("|", "/").replace("{", "(").replace("}", ")").replace("\n", " ")
            text = "{{" + str(self.banner) + "|" + clean[:200] + "}}\n" + text
        if cat is not None and not cat.search(text):
            text = text.rstrip("\n") + f"\n[[Category:{self.category}]]\n"
        return text

    def untagged_text(self, text: str) -> str:
        for rx in (self._banner_re(), self._category_re()):
            if rx is not None:
                text = rx.sub("", text)
        return text

    # tag/untag read the page's current text first and edit only when it lacks
    # (or still has) the tag, so they are idempotent: a rerun after an edit whose
    # answer was lost changes nothing. The edit carries basetimestamp and
    # nocreate: a page edited or deleted meanwhile fails, it is not clobbered.

    def is_tagged(self, page: Page) -> bool:
        """Whether the page's current text carries the category or the banner."""
        self.login()
        text, ts = self._current(page.page_id)
        if ts is None:
            return False
        return any(
            rx is not None and rx.search(text) for rx in (self._category_re(), self._banner_re())
        )

    def tag(self, page: Page, verdict: Verdict) -> None:
        self.login()
        text, ts = self._current(page.page_id)
        if ts is None:
            raise PageNotFound(f"source {self.name}: page {page.page_id!r} no longer exists")
        reason = verdict.reasons[0] if verdict.reasons else f"{verdict.status} page"
        new = self.tagged_text(text, reason)
        if new != text:
            self.edit(page.page_id, new, f"{self.summary}: {verdict.status}", basetimestamp=ts)

    def untag(self, page: Page) -> None:
        self.login()
        text, ts = self._current(page.page_id)
        if ts is None:
            return
        new = self.untagged_text(text)
        if new != text:
            self.edit(page.page_id, new, f"{self.summary}: current again", basetimestamp=ts)


__all__ = ["HttpError", "MediaWikiConnector", "MediaWikiError"]
