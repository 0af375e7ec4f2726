"""More of the extractor's fast paths against the plain code they stand in for.

A regular expression for a generator over characters, a strip for a search
anchored at the end, one pattern over a whole path for one per part, YAML
snippets read without YAML, cheaper prefilters, the column of an inline code
found in one call: each is compared here with its reference, on awkward input.
"""

from __future__ import annotations

import re

import pytest
import yaml
from fuzzbudget import fuzz_settings
from hypothesis import example, given
from hypothesis import strategies as st
from test_extract_prefilters import matching_texts

from stale.extract import classify, context, patterns
from stale.extract.classify import Classifier
from stale.extract.config_blocks import plain_yaml
from stale.extract.markdown import _LAST_WORD, _last_word
from stale.extract.patterns import (
    LOCAL_FILES,
    REPO_DIRS,
    SPACE_RE,
    TLDS,
    has_file_suffix,
    is_placeholder,
    may_contain,
    path_subject,
)
from stale.yamlsafe import LOADER

FUZZ = fuzz_settings()  # fixed and derandomized unless STALE_FUZZ_EXAMPLES is set


def test_space_pattern_is_isspace_on_every_code_point() -> None:
    for cp in range(0x110000):
        ch = chr(cp)
        assert (SPACE_RE.search(ch) is not None) == ch.isspace(), hex(cp)


# -- the last word before a sentence boundary --------------------------------------

_WORDISH = st.lists(
    st.sampled_from(["a", "Z", ".", "e.g", " ", "\n", "`", "1", "é", "etc", "..", "\t"]),
    max_size=10,
).map("".join)


@given(text=_WORDISH | st.text(max_size=12))
@FUZZ
@example(text="see e.g.\n")
@example(text="a\n\n")
@example(text="\n")
@example(text="x.y\nz")
def test_last_word_is_the_anchored_search(text: str) -> None:
    m = _LAST_WORD.search(text)
    assert _last_word(text) == (m.group(1) if m else "")


# -- path_subject ------------------------------------------------------------------

_PART_RE = re.compile(r"^[A-Za-z0-9_.@+-]+$")


def _path_subject_reference(token: str) -> str | None:
    """path_subject (strict_dirs) as it read before its shortcuts."""
    s = token.strip().strip(",;")
    if not s or len(s) > 200 or any(ch.isspace() for ch in s):
        return None
    if "://" in s or s.startswith(("www.", "/", "~", "\\", "$", "-", "@", "%", "..")):
        return None
    s = patterns._LINE_ANCHOR_RE.sub("", s)
    s = patterns._LINE_SUFFIX_RE.sub("", s)
    if patterns._NOT_PATH_CHAR_RE.search(s):
        return None
    while s.startswith("./"):
        s = s[2:]
    trailing = s.endswith("/")
    s = s.rstrip("/")
    if not s or s in (".", "..") or "/../" in f"/{s}/" or "/./" in f"/{s}/":
        return None
    parts = s.split("/")
    if any(not p or not _PART_RE.match(p) for p in parts):
        return None
    if not any(re.search("[A-Za-z]", p) for p in parts):
        return None
    if s in LOCAL_FILES or s.lower() in patterns._TECH_FILENAMES:
        return None
    first = parts[0]
    is_domain = (
        patterns._DOMAIN_RE.match(first.lower()) and first.lower().rsplit(".", 1)[-1] in TLDS
    )
    if is_domain and (len(parts) > 1 or not has_file_suffix(first)):
        return None
    if is_placeholder(s, allow_example=True):
        return None
    if any(p.split(".")[0].lower() in ("example", "sample") for p in parts if p[:1] != "."):
        return None
    base = parts[-1]
    if len(parts) == 1:
        if has_file_suffix(base):
            return s
        if trailing and patterns._LOWER_DIR_RE.fullmatch(base) and base not in ("and", "or"):
            return s
        return None
    if first.lower() in patterns._GIT_REF_HEADS and not has_file_suffix(base):
        return None
    if len(parts) == 2 and first.lower() in patterns._MIME_TOPS and not has_file_suffix(base):
        return None
    if has_file_suffix(base):
        return s
    if first.lower() in REPO_DIRS or first.startswith("."):
        return s
    if len(parts) >= 3 and all(re.fullmatch(r"[a-z0-9_.-]+", p) for p in parts):
        return s
    return None


_PATH_BITS = st.sampled_from(
    [
        "/", "./", "../", ".", "..", "src", "Docs", "a", "x_y", "deploy.sh", ".env", "app.yaml",
        "Sample", "example", "refs", "text", "github.com", "#L10", "#L1-L2", ":12", ":3:4", "@",
        "+", "-", "é", " ", "\u2028", "`", ",", ";", "*", "K", "\u212a", "my-", "foo", "v1",
    ]
)  # fmt: skip


@given(token=st.lists(_PATH_BITS, max_size=7).map("".join) | st.text(max_size=10))
@FUZZ
@example(token="src/./a.py")
@example(token="a/../b.py")
@example(token="docs/examples/x.md")
@example(token="refs/heads/main")
@example(token="text/plain")
@example(token="a/b/c")
@example(token="a//b.py")
@example(token="./src/app.py#L10")
@example(token="ſrc/a.py")
def test_path_subject_is_the_reference(token: str) -> None:
    assert path_subject.__wrapped__(token) == _path_subject_reference(token)


# -- YAML snippets -----------------------------------------------------------------

_KEYS = ["a", "pool_size", "db.url", "x-y", "_k", "on", "Null", "yes", "No", "a1", "é", "<<"]
_VALUES = [
    "", " 1", " 0", " 012", " 10", " 1.5", " 0.25", " 1.", " 1e3", " 1_000", " 1:20", " true",
    " Off", " null", " ~", " eu-west-1", " v1.2", " x", " 2023-01-02", " 'q'", " a # c",
    " a: b", "  ", " -1", " .5", " .inf", " 123456789012345678", ":x", " [1]", " {a: 1}",
]  # fmt: skip
_LINE_END = ["", " ", "\t", "\r", "\x01"]


@st.composite
def _yaml_lines(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    indent = " " * draw(st.sampled_from([0, 0, 0, 1, 2, 2, 2, 4, 4, 6]))
    if kind == 0:
        return indent + draw(st.sampled_from(["# c", "#", "# a\rb: 1", "# \x85", "", "---"]))
    if kind == 1:
        return draw(st.text(max_size=6))
    key = draw(st.sampled_from(_KEYS))
    return indent + key + ":" + draw(st.sampled_from(_VALUES)) + draw(st.sampled_from(_LINE_END))


@st.composite
def _nested_yaml(draw: st.DrawFn) -> list[str]:
    """Lines that mostly nest as YAML wants: deeper after a key without a value."""
    lines: list[str] = []
    indent = 0
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.integers(0, 9)) == 0:
            indent = draw(st.integers(0, 6))
        value = draw(st.sampled_from(["", "", " 1", " x", " 0.5", " a-b", " on", " 012"]))
        key = draw(st.sampled_from(["a", "b", "c", "k.v", "on"]))
        lines.append(" " * indent + key + ":" + value + draw(st.sampled_from(["", " "])))
        if not value:
            indent += draw(st.sampled_from([1, 2, 2, 4]))
        elif draw(st.booleans()):
            indent = max(0, indent - draw(st.sampled_from([1, 2, 2, 4])))
    return lines


def _yaml_reference(text: str) -> str:
    try:
        docs = [d for d in yaml.load_all(text, Loader=LOADER) if isinstance(d, dict)]
    except Exception as exc:
        return f"error {type(exc).__name__}"
    return repr(docs)  # repr: True and 1, 1 and 1.0 differ


@given(lines=st.lists(_yaml_lines(), max_size=8) | _nested_yaml())
@FUZZ
@example(lines=["# svc057/restore_11501.yaml", "restore_11501:", "  pool_size: 2"])
@example(lines=["a:", "  b: 1", "c:", "    d: x", "    e:", "      f: 0.5", "g:"])
@example(lines=["a: 1", "  b: 2"])
@example(lines=["a:", "    b: 1", "  c: 2"])
@example(lines=["a:", "", "  # c", "  b: 1"])
@example(lines=["a: 1", "a: 2"])
@example(lines=["  a: 1", "  b: 2"])
@example(lines=["# only a comment"])
def test_plain_yaml_reads_what_yaml_reads(lines: list[str]) -> None:
    text = "\n".join(lines)
    got = plain_yaml(text)
    if got is not None:
        assert repr(got) == _yaml_reference(text), text


def test_plain_yaml_reads_the_usual_snippet() -> None:
    assert plain_yaml("# app.yaml\ndb:\n  pool: 5\n  host: db1\nlog: 0.5\n") == [
        {"db": {"pool": 5, "host": "db1"}, "log": 0.5}
    ]


# -- prefilters --------------------------------------------------------------------

CUES: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    ("version cue", patterns._VERSION_CUE_RE, patterns._PROSE_VERSION_RE),
]
CUES += [
    (f"set cue {i}", classify._SET_CUE_RE, rx)
    for i, (stems, rx) in enumerate(classify._DEFAULT_PATTERNS)
    if stems is classify._SET_STEMS
]


def test_a_text_the_page_pattern_matches_holds_a_page_stem() -> None:
    for text in matching_texts("page cues", context._PAGE_RE):
        assert may_contain(text, context.PAGE_CUE_STEMS), text
    for cue in context.PAGE_CUES:  # each cue alone, as a title
        assert may_contain(cue.upper(), context.PAGE_CUE_STEMS), cue


@pytest.mark.parametrize(("name", "cue", "rx"), CUES, ids=[c[0] for c in CUES])
def test_a_text_the_pattern_matches_holds_the_cue(
    name: str, cue: re.Pattern[str], rx: re.Pattern[str]
) -> None:
    for text in matching_texts(name, rx):
        # the set patterns run on the text with a placeholder for each code span,
        # the cue on the text: the cue never reaches into a placeholder
        assert cue.search(re.sub("\x00[0-9]+\x01", "`x`", text)), (name, text)


# -- the column of an inline code --------------------------------------------------


@given(
    line=st.lists(st.sampled_from(["`", "a", "b", " ", "`a`", "é"]), max_size=8).map("".join),
    code=st.sampled_from(["", "a", "b", "a`", "`", "é"]),
    at=st.integers(-1, 3),
)
@FUZZ
def test_code_column_is_the_two_searches(line: str, code: str, at: int) -> None:
    c = Classifier([line, "x" * 5000 + line])
    for ln in (at, 2):
        col = c._column(ln, "`" + code)
        want = col + 1 if col > 1 else c._column(ln, code)
        c._cursor.clear()
        assert c._code_column(ln, code) == want
        c._cursor.clear()


# -- case-folding searches made on lower-cased ASCII text --------------------------

_ASCII_BITS = st.sampled_from(
    [
        "<", ">", "{", "}", "{{", "}}", ".", "..", "...", "*", "**", "x", "X", "xxX", "path/to/",
        "Path/To/", "my", "My", "your", "SOME", "-", "_", "example.", "Example.COM", ".org",
        "net", " ", "a", "0", "/", "config", "Settings", "values.yml", "KEY", "set", "sets ",
        "Set\tto", "configured", "\x1c", "\n",
    ]
)  # fmt: skip
_ASCII_TEXT = st.lists(_ASCII_BITS, max_size=8).map("".join)


@given(s=_ASCII_TEXT | st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
@FUZZ
@example(s="a<b>c")
@example(s="}{")
@example(s="{{x}")
@example(s="xmy-a")
@example(s="a your_b")
@example(s="EXAMPLE.NET")
def test_ascii_placeholder_is_the_pattern(s: str) -> None:
    assert patterns._ascii_placeholder(s, s.lower()) == bool(patterns._PLACEHOLDER_RE.search(s))


@given(s=_ASCII_TEXT | st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
@FUZZ
@example(s="Config_x")
@example(s="SETS x")
def test_lower_case_searches_are_the_case_blind_ones(s: str) -> None:
    low = s.lower()
    for blind, lower in (
        (classify._CONFIG_WORDS_RE, classify._CONFIG_WORDS_LOW_RE),
        (classify._SET_CUE_RE, classify._SET_CUE_LOW_RE),
    ):
        assert bool(lower.search(low)) == bool(blind.search(s))
