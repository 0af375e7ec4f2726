"""The extractor's prefilters skip a regular expression when the text lacks a
word the expression needs (stale.extract.patterns.may_contain). Here: every
such pair is checked on random texts that the expression matches (generated
from the expression itself, in random case, inside random context), so a cue
added to a pattern without a matching stem fails."""

from __future__ import annotations

import random
import re
import string
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]

import pytest

from stale.extract import classify, context, dates, patterns
from stale.extract.patterns import may_contain

_CATEGORY = {
    C.CATEGORY_DIGIT: string.digits,
    C.CATEGORY_SPACE: " \t",
    C.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    C.CATEGORY_NOT_SPACE: string.ascii_letters + string.digits + "._-/",
}


def _example(rng: random.Random, pattern: re.Pattern[str]) -> str:
    """A random string built from the parts of `pattern` (lookarounds ignored, so
    it may not match; callers keep the ones that do)."""

    def gen(items: object) -> str:
        out = []
        for op, av in items:  # type: ignore[attr-defined]
            if op is C.LITERAL:
                out.append(chr(av))
            elif op is C.NOT_LITERAL:
                out.append(rng.choice([c for c in "ax 9-" if ord(c) != av]))
            elif op is C.ANY:
                out.append(rng.choice("ax 9-."))
            elif op is C.IN:
                out.append(_in(av))
            elif op is C.BRANCH:
                out.append(gen(rng.choice(av[1])))
            elif op is C.SUBPATTERN:
                out.append(gen(av[-1]))
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
                lo, hi, sub = av
                n = rng.randint(lo, min(hi, lo + 2))
                out.append("".join(gen(sub) for _ in range(n)))
            elif op is C.CATEGORY:
                out.append(rng.choice(_CATEGORY.get(av, "a")))
            # AT, ASSERT, ASSERT_NOT, GROUPREF: nothing
        return "".join(out)

    def _in(av: list[tuple[object, object]]) -> str:
        if av and av[0][0] is C.NEGATE:
            return rng.choice([c for c in " ax9-.`Zq/" if not _member(c, av[1:])])
        return rng.choice([c for c in map(chr, range(32, 127)) if _member(c, av)])

    def _member(c: str, av: list[tuple[object, object]]) -> bool:
        for op, val in av:
            if op is C.LITERAL and c == chr(val):  # type: ignore[arg-type]
                return True
            if op is C.RANGE and val[0] <= ord(c) <= val[1]:  # type: ignore[index]
                return True
            if op is C.CATEGORY and c in _CATEGORY.get(val, ""):
                return True
        return False

    text = gen(_parser.parse(pattern.pattern, pattern.flags))
    return "".join(c.upper() if rng.random() < 0.3 else c for c in text)


_CONTEXT = ("", " ", "the ", "see ", ". ", "x", "(", "`", "\x00" + "0" + "\x01 ")

PAIRS: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = [
    ("sentence cues", context.SENTENCE_CUE_STEMS, context._SENTENCE_RE),
    ("block lead cues", context.BLOCK_LEAD_STEMS, context._BLOCK_LEAD_RE),
    ("config words", classify._CONFIG_WORD_STEMS, classify._CONFIG_WORDS_RE),
    ("default word", classify._DEFAULT_STEMS, classify._DEFAULT_WORD_RE),
    ("set to", classify._SET_STEMS, classify._SET_TO),
    ("updated", dates._UPDATED_STEMS, dates._UPDATED_RE),
    ("as of", dates._AS_OF_STEMS, dates._AS_OF_RE),
    ("version names", patterns.TECH_STEMS, patterns._PROSE_VERSION_RE),
]
PAIRS += [(f"marker {name}", stems, rx) for name, stems, rx in classify._MARKERS]
PAIRS += [(f"default pattern {i}", s, rx) for i, (s, rx) in enumerate(classify._DEFAULT_PATTERNS)]


def matching_texts(name: str, rx: re.Pattern[str]) -> list[str]:
    """Random prose around random examples of `rx` (seeded by `name`): those
    that `rx` matches, at least 100 of the 1000 made."""
    rng = random.Random(name)
    texts = [rng.choice(_CONTEXT) + _example(rng, rx) + rng.choice(_CONTEXT) for _ in range(1000)]
    matched = [text for text in texts if rx.search(text)]
    assert len(matched) >= 100, f"{name}: only {len(matched)} generated texts matched"
    return matched


@pytest.mark.parametrize(("name", "stems", "rx"), PAIRS, ids=[p[0] for p in PAIRS])
def test_a_text_the_pattern_matches_holds_a_stem(
    name: str, stems: tuple[str, ...], rx: re.Pattern[str]
) -> None:
    for text in matching_texts(name, rx):
        assert may_contain(text, stems), (name, text)


@pytest.mark.parametrize("cue", context.SENTENCE_CUES)
def test_every_sentence_cue_alone_is_let_through(cue: str) -> None:
    rng = random.Random(cue)
    rx = re.compile(cue, re.IGNORECASE)
    for _ in range(200):
        text = _example(rng, rx)
        if rx.fullmatch(text):
            assert may_contain(text, context.SENTENCE_CUE_STEMS), text


def test_non_ascii_text_is_never_ruled_out() -> None:
    # under re.IGNORECASE the dotless i matches "i", the long s "s", the Kelvin sign "k"
    assert context._SENTENCE_RE.search("prevıously")
    assert context.sentence_is_historical("prevıously")
    assert classify._CONFIG_WORDS_RE.search("\u212aey")
    assert classify.has_config_words("\u212aey")
    assert may_contain("ſ", ("zzz",))
    assert not may_contain("plain ascii", ("zzz",))
