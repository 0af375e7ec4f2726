"""Links to files in a repository: GitHub, GitLab, Gitea and Bitbucket URLs."""

from __future__ import annotations

import re
from urllib.parse import unquote

_SEG = r"[^/\s?#]+"
_PATH = r"([^?#\s]+)"
_PATTERNS = (
    # https://github.com/ORG/REPO/blob/BRANCH/PATH#L10-L20
    re.compile(
        rf"^https?://(?:www\.)?github\.com/({_SEG})/({_SEG})/(?:blob|tree|raw|edit)/{_SEG}/{_PATH}"
    ),
    # https://raw.githubusercontent.com/ORG/REPO/BRANCH/PATH
    re.compile(rf"^https?://raw\.githubusercontent\.com/({_SEG})/({_SEG})/{_SEG}/{_PATH}"),
    # https://gitlab.example.com/group/sub/repo/-/blob/main/PATH
    re.compile(
        rf"^https?://{_SEG}/((?:{_SEG}/)*?{_SEG})/({_SEG})/-/(?:blob|tree|raw|edit)/{_SEG}/{_PATH}"
    ),
    # https://gitea.example.com/org/repo/src/branch/main/PATH
    re.compile(rf"^https?://{_SEG}/({_SEG})/({_SEG})/src/(?:branch|commit|tag)/{_SEG}/{_PATH}"),
    # https://bitbucket.org/ws/repo/src/main/PATH
    re.compile(rf"^https?://bitbucket\.org/({_SEG})/({_SEG})/src/{_SEG}/{_PATH}"),
    # https://bitbucket.example.com/projects/PRJ/repos/repo/browse/PATH
    re.compile(rf"^https?://{_SEG}/projects/({_SEG})/repos/({_SEG})/browse/{_PATH}"),
)

URL_RE = re.compile(r"https?://[^\s<>`\"')\]]+")


def repo_link(href: str) -> tuple[str, str] | None:
    """(repo slug, repo-relative path) for a repository file URL, else None."""
    href = href.strip()
    for rx in _PATTERNS:
        m = rx.match(href)
        if not m:
            continue
        owner, repo, path = m.group(1), m.group(2), m.group(3)
        repo = repo.removesuffix(".git")
        path = unquote(path).strip("/")
        path = path.rstrip(".,;:")
        if not path or ".." in path.split("/") or any(c in "\n\r\t" for c in path):
            return None
        if "<" in href or "{" in href or owner.upper() == "ORG" or repo.upper() == "REPO":
            return None
        return f"{owner}/{repo}", path
    return None
