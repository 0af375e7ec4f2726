"""dates.plain_date reads the common date spellings without dateparser: it must
give what dateparser gives (through to_iso's settings and year range) wherever
it answers at all."""

from __future__ import annotations

import dateparser
import pytest

from stale.extract import dates
from stale.extract.dates import plain_date

FULL = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
NAMES = [*FULL, *(m[:3] for m in FULL)]
DAYS = ("1", "01", "2", "9", "12", "13", "28", "29", "30", "31", "32", "0")


def _dateparser(phrase: str) -> str | None:
    parsed = dateparser.parse(phrase, languages=["en"], settings=dates._SETTINGS)
    if parsed is None or not 1990 <= parsed.year <= 2100:
        return None
    return parsed.date().isoformat()


def _phrases() -> list[str]:
    out = []
    for name in NAMES:
        for year in ("2023", "2024"):
            out.append(f"{name} {year}")
            for day in DAYS:
                out += [f"{day} {name} {year}", f"{name} {day} {year}", f"{name} {day}, {year}"]
    for name in NAMES:  # other casings, other years
        for spelled in (name.lower(), name.upper()):
            out += [f"12 {spelled} 2024", f"{spelled} 12, 2024", f"{spelled} 2024"]
        out += [f"12 {name} {y}" for y in ("1989", "1990", "2100", "2101", "1900")]
    return out


@pytest.mark.parametrize("chunk", range(4))
def test_plain_date_agrees_with_dateparser(chunk: int) -> None:
    phrases = _phrases()[chunk::4]
    answered = 0
    for phrase in phrases:
        got = plain_date(phrase)
        if got is not None:
            answered += 1
            assert got == _dateparser(phrase), phrase
    assert answered > len(phrases) // 2


@pytest.mark.parametrize(
    "phrase",
    [
        "29 February 2023",
        "31 April 2024",
        "3rd March 2023",
        "Sept 3, 2023",
        "12 Mars 2024",
        "12 March 1989",
        "March 3 2023 2024",
        "３ March 2023",
    ],
)
def test_plain_date_leaves_the_rest_to_dateparser(phrase: str) -> None:
    assert plain_date(phrase) is None
