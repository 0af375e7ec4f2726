"""The extractor's fast paths give what the plain code they stand in for gives.

Each shortcut taken for speed is checked against a reference: the hand-written
__init__ of the segment types against the declared fields, the claim maker
against Claim(...), the regex shell splitter against shlex, the spliced
blanking of code spans against the character-by-character one, and the
prefilter implications the classifier relies on.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest
from fuzzbudget import fuzz_settings
from hypothesis import example, given
from hypothesis import strategies as st

from stale.extract.classify import _CONFIG_WORD_STEMS, _blank_codes, has_config_words
from stale.extract.commands import shlex_words, split_words
from stale.extract.context import SectionTracker
from stale.extract.patterns import may_contain
from stale.extract.segments import Draft, InlineCode, Sentence
from stale.model import Claim, ClaimKind, Span
from stale.model import new_claim as _new_claim

FUZZ = fuzz_settings()  # fixed and derandomized unless STALE_FUZZ_EXAMPLES is set


# -- segment types ---------------------------------------------------------------


@pytest.mark.parametrize("cls", [InlineCode, Sentence, Draft])
def test_hand_written_init_takes_the_declared_fields(cls: type) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields, strict=True):
        want = inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default
        assert p.default == want, f.name
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)


def test_segments_stay_frozen_dataclasses() -> None:
    a = Draft(ClaimKind.FLAG, "--x", "1", "deploy.sh", 3, 4, "text")
    b = Draft(kind=ClaimKind.FLAG, subject="--x", value="1", context="deploy.sh", line=3, column=4)
    assert (
        a != b
        and a == dataclasses.replace(b, text="text")
        and hash(a) == hash(dataclasses.replace(b, text="text"))
    )
    assert repr(Draft(ClaimKind.ENV, "X")) == (
        "Draft(kind=<ClaimKind.ENV: 'env'>, subject='X', value=None, context=None,"
        " line=1, column=1, text='')"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.subject = "--y"  # type: ignore[misc]
    s = Sentence("a `b`", 2, (InlineCode("b", 2, 2, 5),))
    assert s == Sentence(text="a `b`", line=2, codes=(InlineCode("b", 2, 2, 5, None),))
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.codes[0].start = 0  # type: ignore[misc]


# -- claims ----------------------------------------------------------------------


def test_the_claim_maker_is_the_fast_one_for_this_claim_type() -> None:
    assert _new_claim is not Claim


@given(
    value=st.none() | st.text(max_size=8),
    context=st.none() | st.text(max_size=8),
    historical=st.booleans(),
    kind=st.sampled_from(list(ClaimKind)),
)
@FUZZ
def test_the_claim_maker_makes_what_claim_makes(
    value: str | None, context: str | None, historical: bool, kind: ClaimKind
) -> None:
    args = ("wiki", "a/b.md", kind, "subj", value, context, Span(3, 4), historical, "t")
    fast, slow = _new_claim(*args), Claim(*args)
    assert type(fast) is Claim
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert vars(fast) == vars(slow)
    assert fast.key == slow.key
    assert pickle.loads(pickle.dumps(fast)) == slow
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.subject = "x"  # type: ignore[misc]


# -- shell words -----------------------------------------------------------------

_SHELL_CHARS = st.sampled_from(
    [*" \t\r\n\x0b\x0c\xa0;&|()<>'\"\\#$=-./~*?`{}!", "é", "ß", "\u2028", "\x00", "\ud800"]
)
_SHELL_LINES = st.lists(
    st.one_of(
        _SHELL_CHARS,
        st.sampled_from(["ls", "--flag", "a=b", "&&", "||", ";;", "2>&1", ">>", "./x.sh"]),
        st.text(max_size=3),
    ),
    max_size=24,
).map("".join)


@given(line=_SHELL_LINES)
@FUZZ
@example(line="a#b c")
@example(line='echo \'a b\' "c\\"d" e\\ f')
@example(line="x &&y;|z >(p) < in\r\n")
@example(line="a\x0bb\xa0c")
@example(line="'unclosed")
def test_split_words_is_shlex(line: str) -> None:
    assert split_words(line) == shlex_words(line)


# -- classifier helpers ----------------------------------------------------------


def _blank_reference(s: Sentence) -> str:
    blanked = list(s.text)
    for c in s.codes:
        for k in range(c.start, min(c.end, len(blanked))):
            blanked[k] = " "
    return "".join(blanked)


@st.composite
def _sentences(draw: st.DrawFn, in_order: bool = False) -> Sentence:
    words = st.sampled_from(["a", " ", "`", "Config", "keys", "option", "é", "x_y", ".", "-"])
    text = draw(st.lists(words, max_size=12).map("".join))
    n = len(text)
    spans = draw(st.lists(st.tuples(st.integers(-3, n + 3), st.integers(-3, n + 3)), max_size=4))
    if in_order:  # what a front end makes: ordered, disjoint, inside the text
        cuts = sorted(min(max(x, 0), n) for pair in spans for x in pair)
        spans = list(zip(cuts[::2], cuts[1::2], strict=False))
    codes = tuple(InlineCode(text[a:b], 1, a, b) for a, b in spans)
    return Sentence(text, 1, codes)


@given(s=_sentences() | _sentences(in_order=True))
@FUZZ
def test_blanking_code_spans_matches_the_reference(s: Sentence) -> None:
    try:
        want: str | type[Exception] = _blank_reference(s)
    except IndexError:  # a negative offset past the start (no front end makes one)
        want = IndexError
    if want is IndexError:
        with pytest.raises(IndexError):
            _blank_codes(s)
    else:
        assert _blank_codes(s) == want


@given(s=_sentences() | _sentences(in_order=True))
@FUZZ
def test_no_config_stem_in_the_text_means_no_config_words_in_the_prose(s: Sentence) -> None:
    try:
        prose = _blank_codes(s)
    except IndexError:
        return
    if not may_contain(s.text, _CONFIG_WORD_STEMS):
        assert not has_config_words(prose)


@given(st.lists(st.tuples(st.integers(1, 6), st.sampled_from(["History", "Setup", "Background"]))))
@FUZZ
def test_section_tracker_keeps_its_flag_up_to_date(headings: list[tuple[int, str]]) -> None:
    tracker = SectionTracker()
    assert tracker.historical is False
    for level, text in headings:
        tracker.enter(level, text)
        assert tracker.historical == any(h for _, h in tracker._stack)
