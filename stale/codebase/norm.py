"""Normalisation shared by the index and the verifiers: routes, values, versions, tokens."""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

_ROUTE_PARAM = re.compile(r"\{[^{}/]*\}|<[^<>/]*>|(?<=/):[A-Za-z_][A-Za-z0-9_]*")


def normalize_route(path: str) -> str:
    """ "/v1/x/{id}", "/v1/x/<int:id>", "/v1/x/:id/" -> "/v1/x/{}"."""
    p = path.strip().split("?", 1)[0]
    if not p.startswith("/"):
        p = "/" + p
    p = _ROUTE_PARAM.sub("{}", p)
    p = re.sub(r"/{2,}", "/", p)
    if len(p) > 1 and p.endswith("/"):
        p = p[:-1]
    return p


def join_route(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return prefix.rstrip("/") + "/" + path.lstrip("/") if path else prefix


_KEY_NOISE = re.compile(r"[-_\s]")


@lru_cache(maxsize=1 << 16)
def norm_key(key: str) -> str:
    """A config key segment for matching: case-, '_'- and '-'-insensitive."""
    return _KEY_NOISE.sub("", key).lower()


@lru_cache(maxsize=1 << 16)
def key_tuple(key: str) -> tuple[str, ...]:
    """The normalised parts of a dotted key (cached)."""
    return tuple(norm_key(p) for p in key.split(".") if p)


def key_parts(key: str) -> list[str]:
    # cached: the verifier asks for the same keys of the index once per claim
    return list(key_tuple(key))


def token_pattern(token: str) -> re.Pattern[str]:
    """Match `token` as a whole token: `--region` does not match `--region-name`,
    `FOO` does not match `FOO_BAR`."""
    before = r"A-Za-z0-9_"
    if token[:1] in "-/":
        before += r"\-"
    if token[:1] == "/":
        before += "/"
    after = r"A-Za-z0-9_\-"
    if token[-1:].isalnum() or token[-1:] in "_":
        pass
    return re.compile(rf"(?<![{before}]){re.escape(token)}(?![{after}])")


def has_token(text: str, token: str) -> bool:
    return token_pattern(token).search(text) is not None


# ---------------------------------------------------------------- values


class Cmp(Enum):
    EQUAL = "equal"
    DIFFERENT = "different"
    UNCLEAR = "unclear"


_DURATION_UNITS = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
_NUM_UNIT = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*([A-Za-z]+)$")
#: Sizes (case-sensitive: "m" is a minute or a milli-CPU, "M" a megabyte):
#: (bytes, binary family).
_SIZE_UNITS: dict[str, tuple[float, bool]] = {}
for _i, _p in enumerate("KMGTPE", 1):
    _SIZE_UNITS[_p + "i"] = (1024.0**_i, True)
    _SIZE_UNITS[_p + "iB"] = (1024.0**_i, True)
    _SIZE_UNITS[_p] = (1000.0**_i, False)
    _SIZE_UNITS[_p + "B"] = (1000.0**_i, False)
_SIZE_UNITS["k"] = _SIZE_UNITS["kB"] = (1000.0, False)
_BOOLS = {"true": "true", "false": "false", "yes": "true", "no": "false", "on": "true"}
_BOOLS["off"] = "false"


def strip_quotes(v: str) -> str:
    v = v.strip()
    while len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"`":
        v = v[1:-1].strip()
    return v


def _number(v: str) -> float | None:
    try:
        return float(v.replace("_", "")) if re.fullmatch(r"[-+]?[\d_]+(\.\d+)?", v) else None
    except ValueError:
        return None


def compare_values(claimed: str, actual: str) -> Cmp:
    """Conservative comparison of a stated value with the code's value."""
    a, b = strip_quotes(claimed), strip_quotes(actual)
    if a == b:
        return Cmp.EQUAL
    al, bl = a.lower(), b.lower()
    if al == bl:
        return Cmp.EQUAL
    if al in _BOOLS and bl in _BOOLS:
        return Cmp.EQUAL if _BOOLS[al] == _BOOLS[bl] else Cmp.DIFFERENT
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return Cmp.EQUAL if na == nb else Cmp.DIFFERENT
    ua, ub = _NUM_UNIT.match(a), _NUM_UNIT.match(b)
    if ua and ub:
        sa, sb = _SIZE_UNITS.get(ua.group(2)), _SIZE_UNITS.get(ub.group(2))
        if sa is not None and sb is not None:
            va, vb = float(ua.group(1)) * sa[0], float(ub.group(1)) * sb[0]
            if abs(va - vb) < 1e-6:
                return Cmp.EQUAL
            if sa[1] != sb[1] and max(va, vb) <= 1.1 * min(va, vb):
                return Cmp.UNCLEAR  # "1G" and "1Gi" are often used loosely
            return Cmp.DIFFERENT
        fa, fb = _DURATION_UNITS.get(ua.group(2).lower()), _DURATION_UNITS.get(ub.group(2).lower())
        if fa is not None and fb is not None:
            va, vb = float(ua.group(1)) * fa, float(ub.group(1)) * fb
            return Cmp.EQUAL if abs(va - vb) < 1e-9 else Cmp.DIFFERENT
        if ua.group(2).lower() == ub.group(2).lower():
            return Cmp.EQUAL if float(ua.group(1)) == float(ub.group(1)) else Cmp.DIFFERENT
        return Cmp.UNCLEAR
    if (ua and nb is not None) or (ub and na is not None):
        return Cmp.UNCLEAR  # "30s" vs "30": the unit is implicit on one side
    if a in ("", "None", "null", "~") or b in ("", "None", "null", "~"):
        return Cmp.UNCLEAR
    return Cmp.DIFFERENT


# ---------------------------------------------------------------- versions

_VNUM = re.compile(r"v?(\d+(?:\.\d+)*)")


def version_numbers(v: str) -> tuple[int, ...] | None:
    """Leading numeric dotted part: "3.11-slim" -> (3, 11); "v18" -> (18,); "alpine" -> None."""
    m = _VNUM.match(v.strip())
    if not m:
        return None
    return tuple(int(x) for x in m.group(1).split("."))


_SPEC = re.compile(r"\s*(===|==|~=|>=|<=|!=|>|<|\^|~|=)?\s*(v?\d+(?:\.\d+)*(?:\.\*)?)")


def version_matches(claimed: str, pin: str) -> bool | None:
    """Does the stated version agree with a pin or constraint?

    A claim stands for every version it prefixes ("3.11" = 3.11.*). Exact pins
    compare on the common precision ("3.11" ~ "3.11.4", "15" ~ "15.3", "3.9" !~
    "3.11"); constraints (">=3.10,<3.13", "^18.2", "~=3.11") must all admit some
    version the claim stands for. None when the pin carries no comparable number.
    """
    c = version_numbers(strip_quotes(claimed).lstrip("vV"))
    if c is None:
        return None
    results: list[bool] = []
    for clause in re.split(r"[,\s]+|\|\|", pin.strip()):
        m = _SPEC.match(clause) if clause else None
        if not m:
            continue
        op = m.group(1) or "=="
        p = tuple(int(x) for x in m.group(2).lstrip("v").replace(".*", "").split(".") if x)
        if p:
            results.append(_clause_ok(c, op, p))
    if not results:
        return None
    return all(results)


def _clause_ok(c: tuple[int, ...], op: str, p: tuple[int, ...]) -> bool:
    n = len(c)
    k = min(n, len(p))
    cc, pp = c[:k], p[:k]
    if op in ("==", "===", "="):
        return cc == pp
    if op == ">=":
        return cc >= pp
    if op == ">":
        return cc > pp or (cc == pp and (n < len(p) or any(c[len(p) :])))
    if op == "<=":
        return cc <= pp
    if op == "<":
        return cc < pp or (cc == pp and n < len(p))
    if op == "!=":
        return not (n >= len(p) and c[: len(p)] == p)
    if op == "^":
        major = next((i for i, x in enumerate(p) if x != 0), len(p) - 1) + 1
        keep = min(major, n)
        return c[:keep] == p[:keep] and cc >= pp
    if op in ("~", "~="):
        keep = min(max(len(p) - 1, 1) if op == "~=" else min(len(p), 2), n)
        return c[:keep] == p[:keep] and cc >= pp
    return False
