"""Hostile page bodies: claim extraction never crashes and only returns well-formed claims.

Property tests (hypothesis) over arbitrary text and over structured generators
that mix the constructs the front ends special-case: fences, backtick runs,
tables, front matter, HTML tags/attributes/CDATA/comments, wikitext templates
and tables. A fixed, derandomized budget keeps CI reproducible and fast.

`extract_claims` documents one exception, `ExtractionError`, raised for an
unsupported content type or an internal bug; for the three supported types an
`ExtractionError` therefore *is* a bug, so these tests demand no exception at all.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fuzzbudget import fuzz_settings
from hypothesis import example, given
from hypothesis import strategies as st

from connectors.markdown import split_front_matter
from stale.extract import ExtractionError, extract_claims
from stale.extract.dates import find_dates, to_iso
from stale.model import Claim, ClaimKind, Page

FUZZ = fuzz_settings()  # fixed and derandomized unless STALE_FUZZ_EXAMPLES is set
CONTENT_TYPES = ("markdown", "html", "wikitext")

# -- generators ------------------------------------------------------------------

# (sampled pieces rather than st.from_regex: generation stays cheap)
_NAMES = [
    "deploy",
    "region",
    "db_url",
    "Billing",
    "client",
    "x",
    "_private",
    "load_config",
    "run",
    "a1",
    "zone",
    "dry_run",
    "config",
    "API",
]
_IDENT = st.builds(
    lambda a, b: a + b, st.sampled_from(_NAMES), st.sampled_from(["", "_2", "X", ".charge"])
)
_ENVNAME = st.builds(
    lambda a, b: f"{a.upper()}_{b.upper()}", st.sampled_from(_NAMES), st.sampled_from(_NAMES)
)
_FLAG = st.builds(
    lambda d, a: d + a.lower().replace("_", "-"),
    st.sampled_from(["-", "--", "---"]),
    st.sampled_from(_NAMES),
)
_PATH = st.builds(
    lambda pre, parts, ext: pre + "/".join(parts) + ext,
    st.sampled_from(["", "./", "/", "../"]),
    st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3),
    st.sampled_from([".py", ".sh", ".yaml", ".toml", ".md", ".go", "", "/"]),
)
_WORD = st.one_of(
    _IDENT,
    _ENVNAME,
    _FLAG,
    _PATH,
    st.sampled_from(
        [
            "the",
            "run",
            "deploy",
            "make build",
            "$HOME",
            "${DB_URL}",
            "v1.2.3",
            "python 3.12",
            "GET /v1/items/{id}",
            "https://example.com/a?b=c",
            "Last updated: 3 March 2023",
            "as of Q2 2022",
            "was",
            "removed in",
            "deprecated",
            "TODO",
            "FIXME",
            "=",
            ":",
            "|",
            "\\",
            "*",
            "_",
            "**",
            "~~",
            "[",
            "]",
            "(",
            ")",
            "{",
            "}",
            "<",
            ">",
            "&amp;",
            "&#0;",
            "\u200b",
            "\ufeff",
            "\r",
            "\t",
            "é",
            "𝔘",
            "\x00",
            "\x7f",
        ]
    ),
    st.text(max_size=8),
)
_SENTENCE = st.lists(_WORD, max_size=6).map(" ".join)
_TICKS = st.integers(1, 5).map(lambda n: "`" * n)


def _inline(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            t = draw(_TICKS)
            parts.append(f"{t}{draw(_SENTENCE)}{draw(st.sampled_from([t, '', '`']))}")
        elif kind == 1:
            parts.append(f"[{draw(_SENTENCE)}]({draw(_PATH)})")
        elif kind == 2:
            parts.append(f"**{draw(_SENTENCE)}")
        else:
            parts.append(draw(_SENTENCE))
    return " ".join(parts)


@st.composite
def markdown_docs(draw: st.DrawFn) -> str:
    blocks: list[str] = []
    if draw(st.booleans()):
        fm = draw(
            st.lists(
                st.one_of(
                    st.builds(lambda k, v: f"{k}: {v}", _IDENT, _SENTENCE),
                    st.sampled_from(["tags: [a, b", "- x", ": :", "&a [*a]", "!!python/object x"]),
                ),
                max_size=4,
            )
        )
        close = draw(st.sampled_from(["---", "...", "", "--- "]))
        blocks.append("\n".join(["---", *fm, close]))
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            blocks.append("#" * draw(st.integers(1, 7)) + " " + _inline(draw))
        elif kind == 1:
            fence = draw(st.sampled_from(["```", "~~~", "````", "``", "```` ```"]))
            lang = draw(
                st.sampled_from(
                    [
                        "",
                        "bash",
                        "sh",
                        "yaml",
                        "toml",
                        "json",
                        "ini",
                        "env",
                        "python",
                        "console",
                        "{.bash}",
                        "``",
                    ]
                )
            )
            body = draw(st.lists(_SENTENCE, max_size=5))
            end = draw(st.sampled_from([fence, "", "```", "~~~"]))
            blocks.append("\n".join([fence + lang, *body, end]))
        elif kind == 2:
            cols = draw(st.integers(1, 4))
            rows = draw(st.lists(st.lists(_SENTENCE, min_size=cols, max_size=cols + 1), max_size=4))
            sep = (
                "|"
                + "|".join(
                    draw(st.sampled_from(["---", ":--", "--:", "-", ""])) for _ in range(cols)
                )
                + "|"
            )
            head = "| " + " | ".join(f"h{i}" for i in range(cols)) + " |"
            blocks.append("\n".join([head, sep, *("| " + " | ".join(r) + " |" for r in rows)]))
        elif kind == 3:
            blocks.append(
                "\n".join(
                    f"{draw(st.sampled_from(['-', '*', '1.', '  -', '>']))} {_inline(draw)}"
                    for _ in range(draw(st.integers(1, 4)))
                )
            )
        elif kind == 4:
            blocks.append(
                draw(
                    st.sampled_from(
                        [
                            "<!-- stale: ignore -->",
                            "<!-- stale: ignore-next-line -->",
                            "<!-- stale: ignore-page -->",
                            "<!--",
                            "-->",
                            "<details>",
                            "</details>",
                            "<br>",
                            "<code>",
                            "---",
                            "***",
                            "    indented",
                            "$ ./deploy.sh --region x",
                            "export FOO=bar",
                            "```",
                            "\\",
                            "[ref]: http://x",
                        ]
                    )
                )
            )
        elif kind == 5:
            blocks.append("    " + draw(_SENTENCE))
        else:
            blocks.append(_inline(draw))
    sep = draw(st.sampled_from(["\n\n", "\n", "\r\n", "\n\n\n"]))
    return sep.join(blocks)


_TAGS = [
    "p",
    "div",
    "span",
    "code",
    "pre",
    "kbd",
    "tt",
    "a",
    "table",
    "tr",
    "td",
    "th",
    "ul",
    "li",
    "h1",
    "h2",
    "h3",
    "script",
    "style",
    "ac:structured-macro",
    "ac:parameter",
    "ac:plain-text-body",
    "ri:page",
    "br",
    "hr",
    "img",
    "del",
    "s",
    "strike",
    "details",
    "summary",
    "blockquote",
    "noscript",
    "svg",
    "math",
    "template",
    "title",
    "body",
    "html",
]
_ATTRS = st.builds(
    lambda k, v, q: f" {k}={q}{v}{q}",
    st.sampled_from(["class", "href", "id", "ac:name", "data-x", "style", "src", "lang", "on"]),
    st.one_of(_SENTENCE, _PATH, st.sampled_from(["language-bash", "code", "bash", "javascript:x"])),
    st.sampled_from(['"', "'", ""]),
)


@st.composite
def html_docs(draw: st.DrawFn) -> str:
    out: list[str] = []
    open_tags: list[str] = []
    for _ in range(draw(st.integers(0, 15))):
        kind = draw(st.integers(0, 9))
        if kind <= 2:
            tag = draw(st.sampled_from(_TAGS))
            attrs = "".join(draw(st.lists(_ATTRS, max_size=3)))
            out.append(f"<{tag}{attrs}{draw(st.sampled_from(['>', '/>', '', ' >']))}")
            open_tags.append(tag)
        elif kind == 3 and open_tags:
            out.append(f"</{open_tags.pop(draw(st.integers(0, len(open_tags) - 1)))}>")
        elif kind == 4:
            out.append(
                draw(
                    st.sampled_from(
                        [
                            "<![CDATA[",
                            "]]>",
                            "<!--",
                            "-->",
                            "<!-- stale: ignore -->",
                            "<!DOCTYPE html>",
                            "<?xml version='1.0'?>",
                            "&lt;",
                            "&amp;",
                            "&#x0;",
                            "&nbsp;",
                            "</",
                            "<",
                            ">",
                            "<![CDATA[./run.sh --flag]]>",
                            "<!-- <code>--x</code> -->",
                        ]
                    )
                )
            )
        else:
            out.append(_inline(draw))
    return "".join(out)


@st.composite
def wikitext_docs(draw: st.DrawFn) -> str:
    out: list[str] = []
    for _ in range(draw(st.integers(0, 15))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            eq = "=" * draw(st.integers(1, 6))
            out.append(f"{eq} {draw(_SENTENCE)} {draw(st.sampled_from([eq, '', '=']))}")
        elif kind == 1:
            out.append("{{" + draw(_SENTENCE) + draw(st.sampled_from(["}}", "", "|x=1}}", "}"])))
        elif kind == 2:
            out.append("[[" + draw(_SENTENCE) + draw(st.sampled_from(["]]", "|label]]", ""])))
        elif kind == 3:
            out.append(
                "\n".join(
                    [
                        "{|",
                        *(f"|{draw(_SENTENCE)}" for _ in range(2)),
                        "|-",
                        "! h",
                        draw(st.sampled_from(["|}", ""])),
                    ]
                )
            )
        elif kind == 4:
            tag = draw(
                st.sampled_from(
                    [
                        "code",
                        "pre",
                        "syntaxhighlight lang=bash",
                        "source",
                        "nowiki",
                        "tt",
                        "kbd",
                        "ref",
                        "includeonly",
                    ]
                )
            )
            close = tag.split()[0]
            out.append(f"<{tag}>{draw(_SENTENCE)}{draw(st.sampled_from([f'</{close}>', '']))}")
        elif kind == 5:
            out.append(" " + draw(_SENTENCE))  # preformatted line
        elif kind == 6:
            out.append(
                draw(
                    st.sampled_from(
                        [
                            "*",
                            "#",
                            ":",
                            ";",
                            "----",
                            "''",
                            "'''",
                            "__NOTOC__",
                            "[http://x y]",
                            "<!--",
                            "-->",
                            "{{{1}}}",
                            "{{!}}",
                        ]
                    )
                )
            )
        else:
            out.append(_inline(draw))
    return draw(st.sampled_from(["\n", "\n\n", " "])).join(out)


# -- the property ----------------------------------------------------------------


def _page(body: str, content_type: str) -> Page:
    return Page(
        source="fuzz",
        page_id="p",
        url="file:///p",
        title="P",
        body=body,
        content_type=content_type,
        content_hash="h",
    )


def assert_well_formed(claims: list[Claim], body: str) -> None:
    n_lines = body.count("\n") + body.count("\r") + 1
    keys = set()
    for c in claims:
        assert isinstance(c.kind, ClaimKind), c
        assert c.source == "fuzz" and c.page_id == "p"
        assert isinstance(c.subject, str) and c.subject.strip(), c
        assert c.value is None or isinstance(c.value, str), c
        assert c.context is None or isinstance(c.context, str), c
        assert c.span.line >= 1 and c.span.column >= 1, c
        assert c.span.line <= n_lines, (c, n_lines)
        assert c.key not in keys, c  # deduplicated
        keys.add(c.key)


def check(body: str, content_type: str) -> list[Claim]:
    claims = extract_claims(_page(body, content_type))  # any exception fails the test
    assert_well_formed(claims, body)
    return claims


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@FUZZ
@given(body=st.text(max_size=400))
def test_arbitrary_text(content_type: str, body: str) -> None:
    check(body, content_type)


@FUZZ
@given(body=markdown_docs())
@example(body="---\nx: [1\n---\n```\n`a`\n")
@example(body="`" * 50 + "x" + "`" * 49)
@example(body="| a |\n|\n| `--x` |")
def test_structured_markdown(body: str) -> None:
    check(body, "markdown")


@FUZZ
@given(body=html_docs())
@example(body="<pre><code class='language-bash'>./a.sh --x<![CDATA[ y ]]></code>")
@example(body="<ac:structured-macro ac:name='code'><ac:plain-text-body><![CDATA[--z")
def test_structured_html(body: str) -> None:
    check(body, "html")


@FUZZ
@given(body=wikitext_docs())
@example(body="{{" * 20 + "x")
@example(body="{|\n|<code>--x</code>\n|-\n")
def test_structured_wikitext(body: str) -> None:
    check(body, "wikitext")


@FUZZ
@given(body=st.one_of(markdown_docs(), html_docs(), wikitext_docs()))
def test_any_front_end_reads_any_structure(body: str) -> None:
    # a page whose content type lies (HTML stored as .md, wikitext served as HTML)
    for content_type in CONTENT_TYPES:
        check(body, content_type)


def test_only_extraction_error_escapes() -> None:
    with pytest.raises(ExtractionError):
        extract_claims(_page("x", "asciidoc"))
    bad = _page("x", "markdown")
    object.__setattr__(bad, "body", None)
    assert extract_claims(bad) == []


# -- front matter and dates ------------------------------------------------------


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.builds(lambda a, b: f"---\n{a}\n---\n{b}", st.text(max_size=200), st.text(max_size=50)),
        st.builds(
            lambda a: f"---\n{a}\n...\n",
            st.lists(
                st.sampled_from(
                    [
                        "a: 1",
                        "b: [",
                        "&x y",
                        "*x",
                        "? k",
                        "- 1",
                        "!!binary x",
                        "c: !!python/name:os.system",
                        "<<: *x",
                        "'",
                        "\t",
                    ]
                ),
                max_size=6,
            ).map("\n".join),
        ),
    )
)
@example(text="---\na: &a [*a]\n---\n")
@example(text="---\n!!python/object/apply:os.system ['true']\n---\n")
def test_split_front_matter(text: str) -> None:
    data, body = split_front_matter(text)
    assert isinstance(data, dict)
    # the body keeps the line numbering: as many lines as the text
    assert body.count("\n") == text.count("\n") or body == text


_DATE_PHRASES = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda d, m, y: f"{d} {m} {y}",
        st.integers(-5, 40),
        st.sampled_from(["Jan", "February", "sept.", "Mayday", "dec", "Q2", "mon,"]),
        st.integers(1900, 2200),
    ),
    st.builds(
        lambda y, m, d: f"{y}-{m:02d}-{d:02d}",
        st.integers(1890, 2110),
        st.integers(0, 13),
        st.integers(0, 32),
    ),
    st.builds(lambda q, y: f"Q{q} {y}", st.integers(0, 5), st.integers(1980, 2110)),
)


@FUZZ
@given(text=_DATE_PHRASES)
@example(text="2023-02-31")
@example(text="2023-13-01")
def test_to_iso_returns_a_real_date_or_none(text: str) -> None:
    iso = to_iso(text)
    if iso is not None:
        dt.date.fromisoformat(iso)  # a real calendar date


@FUZZ
@given(
    text=st.lists(
        st.one_of(
            _DATE_PHRASES,
            st.sampled_from(["Last updated:", "updated on", "as of", "reviewed", "|", ";", "("]),
        ),
        max_size=8,
    ).map(" ".join)
)
def test_find_dates(text: str) -> None:
    for subject, iso, offset in find_dates(text):
        assert subject in ("last_updated", "as_of")
        dt.date.fromisoformat(iso)
        assert 0 <= offset < len(text)
