"""Page dates: "Last updated: 3 March 2023", "Updated 2023-03-03", "as of Q2 2022".

dateparser is imported lazily, only when a candidate needs it.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from stale.extract.patterns import may_contain

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?"
_START = rf"(?:\d|Q[1-4]\b|{_MONTH}\s|{_DAY}\s)"
_UPDATED_RE = re.compile(
    r"\b(?:last[\s_-]+(?:updated|modified|reviewed|edited|verified|checked)|updated|modified"
    r"|reviewed)(?:\s+(?:on|at))?\s*[:|\-–—]?\s*(?P<d>" + _START + r"[^;|()\n]{0,40})",
    re.IGNORECASE,
)
_AS_OF_RE = re.compile(r"\bas\s+of\s+(?P<d>" + _START + r"[^;|()\n]{0,30})", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_ISO_RE = re.compile(r"^((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)")
_QUARTER_RE = re.compile(
    r"^(?:Q([1-4])\s*[,/-]?\s*((?:19|20)\d\d)|((?:19|20)\d\d)\s*[-/]?\s*Q([1-4]))", re.I
)

_SETTINGS: dict[str, object] = {
    "STRICT_PARSING": False,
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": False,
}


_MONTH_NUMBERS = {
    name: i + 1
    for i, full in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
    for name in (full, full[:3])
}
_DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2}) ([A-Za-z]+) ([0-9]{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+) ([0-9]{1,2}),? ([0-9]{4})")
_MONTH_YEAR = re.compile(r"([A-Za-z]+) ([0-9]{4})")


def plain_date(phrase: str) -> str | None:
    """ISO date of the common spellings "3 March 2023", "March 3, 2023" and "Mar
    2023" (the 1st), exactly as dateparser reads them (tests/test_extract_dates.py
    holds the two side by side on every month name and the edge days), without
    its cost (milliseconds a phrase). None for anything else, an impossible day
    or a year outside 1990-2100: dateparser decides those."""
    day = "1"
    m = _DAY_MONTH_YEAR.fullmatch(phrase)
    if m:
        day, month, year = m.groups()
    else:
        m = _MONTH_DAY_YEAR.fullmatch(phrase)
        if m:
            month, day, year = m.groups()
        else:
            m = _MONTH_YEAR.fullmatch(phrase)
            if not m:
                return None
            month, year = m.groups()
    number = _MONTH_NUMBERS.get(month.lower())
    if number is None or not 1990 <= int(year) <= 2100:
        return None
    try:
        return date(int(year), number, int(day)).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=2048)
def to_iso(text: str) -> str | None:
    """ISO date (YYYY-MM-DD) for a date phrase with a year, else None."""
    text = text.strip()
    m = _ISO_RE.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            return date(y, mo, d).isoformat()  # None for 2023-02-31
        except ValueError:
            return None
    q = _QUARTER_RE.match(text)
    if q:
        quarter = int(q.group(1) or q.group(4))
        year = int(q.group(2) or q.group(3))
        return f"{year:04d}-{3 * (quarter - 1) + 1:02d}-01"
    ym = _YEAR_RE.search(text)
    if not ym:
        return None
    phrase = text[: ym.end()].strip(" ,.")
    if re.fullmatch(r"(?:19|20)\d\d", phrase):
        return f"{phrase}-01-01"
    leftover = re.sub(
        rf"{_MONTH}|{_DAY}|\d+(?:st|nd|rd|th)?|\b(?:of|the)\b|[\s,./-]",
        "",
        phrase,
        flags=re.IGNORECASE,
    )
    if leftover:
        return None
    plain = plain_date(phrase)
    if plain is not None:
        return plain
    import dateparser

    try:
        parsed = dateparser.parse(phrase, languages=["en"], settings=_SETTINGS)
    except Exception:
        return None
    if parsed is None or not 1990 <= parsed.year <= 2100:
        return None
    return parsed.date().isoformat()


#: Words each pattern needs (every alternative of its cue holds one).
_UPDATED_STEMS = ("updated", "modified", "reviewed", "edited", "verified", "checked")
_AS_OF_STEMS = ("of",)
_PATTERNS = (("last_updated", _UPDATED_STEMS, _UPDATED_RE), ("as_of", _AS_OF_STEMS, _AS_OF_RE))
#: Every stem of _PATTERNS: find_dates finds nothing in a text that holds none.
DATE_STEMS = _UPDATED_STEMS + _AS_OF_STEMS


def find_dates(text: str) -> list[tuple[str, str, int]]:
    """(subject, iso, offset) for each page date stated in a sentence."""
    out: list[tuple[str, str, int]] = []
    for subject, stems, rx in _PATTERNS:
        if not may_contain(text, stems):  # the cue word is missing: no match possible
            continue
        for m in rx.finditer(text):
            iso = to_iso(m.group("d"))
            if iso:
                out.append((subject, iso, m.start()))
    return out
