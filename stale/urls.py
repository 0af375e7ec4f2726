"""URL canonicalisation: many spellings of one wiki page's address, one key.

`url_keys(url)` gives the lookup keys of an address, most specific first:

- a Confluence page (`/pages/viewpage.action?pageId=123`, `/spaces/KEY/pages/123/Title`,
  `/pages/123`) -> `confluence://host/123`;
- a MediaWiki page (`/wiki/Title`, `/w/index.php?title=Title`, `/index.php/Title`) ->
  `mediawiki://host/Title` with spaces as underscores and the first letter upper-cased;
- a local file (`file:///srv/wiki/a.md`) -> `path:/srv/wiki/a.md`;
- every http(s) address -> `//host[:port]/path?query`: scheme dropped (http and https name
  the same page), host lower-cased, default port, user info, fragment, trailing slash and
  tracking parameters (`utm_*`, `fbclid`, `gclid`, ...) removed, other parameters sorted,
  percent-escapes of the path decoded.

Keys are for matching only; they are never shown or fetched. Pure functions, stdlib only.
"""

from __future__ import annotations

import posixpath
import re
from functools import lru_cache
from urllib.parse import unquote, unquote_plus, urlsplit

__all__ = ["canonical_url", "is_url", "mediawiki_title", "normalise_path", "url_keys"]

#: Query parameters that never change which page an address names.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "ref_src",
        "focusedcommentid",
        "atlorigin",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}

_CONFLUENCE_PAGE = re.compile(r"/pages/(\d+)(?:/|$)")
_CONFLUENCE_ROOT = re.compile(r"^(?:/wiki|/confluence)?/pages/\d+")
_MEDIAWIKI_INDEX = re.compile(r"/index\.php(?:/(?P<title>.+))?$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(ref: str) -> bool:
    """True for `scheme://...` references (file:// included)."""
    return bool(_SCHEME.match(ref))


def _noise(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def mediawiki_title(title: str) -> str:
    """MediaWiki's own normalisation: `_` and spaces are one, runs collapse, the first
    letter is upper-case ("deploy guide" == "Deploy_guide")."""
    t = " ".join(unquote(title).replace("_", " ").split())
    if not t:
        return ""
    return (t[0].upper() + t[1:]).replace(" ", "_")


def normalise_path(path: str) -> str:
    """A file path as a POSIX string: backslashes become `/`, `.`/`..`/`//` resolved."""
    p = path.replace("\\", "/")
    if "//" in p or "/." in p or p.startswith("./"):
        p = posixpath.normpath(p)
    return p


def _host_port(netloc: str, scheme: str) -> str | None:
    """`host[:port]` lower-cased, user info and a default port dropped; None if invalid."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):  # IPv6 literal
        end = hostport.find("]")
        if end < 0:
            return None
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            return None
    else:
        host, _, port = hostport.partition(":")
    host = host.lower().rstrip(".")
    if not host:
        return None
    if port:
        if not port.isdigit() or int(port) > 65535:
            return None
        if DEFAULT_PORTS.get(scheme) != int(port):
            return f"{host}:{int(port)}"
    return host


def _params(query: str) -> list[tuple[str, str]]:
    """Query parameters, decoded, tracking noise removed (parse_qsl is 10x slower)."""
    out: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        if "%" in k or "+" in k:
            k = unquote_plus(k)
        if _noise(k):
            continue
        if "%" in v or "+" in v:
            v = unquote_plus(v)
        out.append((k, v))
    return out


def _enc(s: str) -> str:
    return s.replace("%", "%25").replace("&", "%26").replace("=", "%3D")


@lru_cache(maxsize=65536)
def url_keys(url: str) -> tuple[str, ...]:
    """Every lookup key of `url`, most specific first; () when it is not a URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ()
    scheme = parts.scheme.lower()
    if scheme == "file":
        path = unquote(parts.path)
        return (f"path:{normalise_path(path)}",) if path else ()
    if not scheme:
        return ()
    host = _host_port(parts.netloc, scheme)
    if host is None:
        return ()
    path = unquote(parts.path) if "%" in parts.path else parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    params = _params(parts.query) if parts.query else []
    keys: list[str] = []

    # Confluence: viewpage.action?pageId=N and /spaces/KEY/pages/N/Title name one page.
    page_id: str | None = None
    if path.endswith(".action"):
        page_id = next((v for k, v in params if k.lower() == "pageid" and v.isdigit()), None)
    elif "/pages/" in path:
        m = _CONFLUENCE_PAGE.search(path)
        if m and ("/spaces/" in path or _CONFLUENCE_ROOT.match(path)):
            page_id = m.group(1)
    if page_id is not None:
        keys.append(f"confluence://{host}/{int(page_id)}")
    elif "/wiki/" in path or "index.php" in path:
        # MediaWiki: /wiki/Title, /w/index.php?title=Title, /index.php/Title.
        title: str | None = None
        m = _MEDIAWIKI_INDEX.search(path)
        if m:
            title = m.group("title") or next((v for k, v in params if k == "title"), None)
        elif path.startswith("/wiki/") and "/spaces/" not in path:
            title = path[len("/wiki/") :]
        if title:
            norm = mediawiki_title(title)
            if norm:
                keys.append(f"mediawiki://{host}/{norm}")

    if params:
        query = "&".join(sorted(f"{_enc(k)}={_enc(v)}" for k, v in params))
        keys.append(f"//{host}{path}?{query}")
    else:
        keys.append(f"//{host}{path}")
    return tuple(keys)


def canonical_url(url: str) -> str | None:
    """The most specific key of `url` (see the module doc), or None for a non-URL."""
    keys = url_keys(url)
    return keys[0] if keys else None
