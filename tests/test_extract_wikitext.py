"""The wikitext front end gives the same neutral segments (and claims) as Markdown."""

from __future__ import annotations

from stale.extract import extract_claims
from stale.extract.segments import CodeBlock, Heading, Sentence
from stale.extract.wikitext import parse_wikitext
from stale.model import ClaimKind, Page

BODY = """{{Infobox|owner={{User|ann}}}}
== Deploy ==
Run <code>./scripts/deploy.sh --region eu-west-1</code> to deploy. See [https://ex.co/x the docs].
<syntaxhighlight lang="bash">
./scripts/deploy.sh --region eu-west-1
</syntaxhighlight>
 export BILLING_DB_URL=postgres://x
 make deploy
<source lang=python>
import acme
</source>
<pre>
make build
</pre>
Use <tt>--dry-run</tt> first, '''always'''. [[Other page|more]]
{| class="wikitable"
! Flag !! Default
|-
| <code>--region</code> || us-east-1
|}
[[Category:Ops]]
"""


def segs() -> list[object]:
    return list(parse_wikitext(BODY))


def test_headings_blocks_and_inline_code() -> None:
    out = segs()
    assert Heading(2, "Deploy", 2) in out
    blocks = [s for s in out if isinstance(s, CodeBlock)]
    assert [(b.info, b.lines, b.first_line) for b in blocks] == [
        ("bash", ("./scripts/deploy.sh --region eu-west-1",), 5),
        ("", ("export BILLING_DB_URL=postgres://x", "make deploy"), 7),
        ("python", ("import acme",), 10),
        ("", ("make build",), 13),
    ]
    sents = [s for s in out if isinstance(s, Sentence) and not s.is_heading]
    first = sents[0]
    assert first.text == "Run `./scripts/deploy.sh --region eu-west-1` to deploy."
    assert first.line == 3 and first.codes[0].text == "./scripts/deploy.sh --region eu-west-1"
    assert sents[1].links[0].href == "https://ex.co/x" and sents[1].text == "See the docs."
    tt = next(s for s in sents if "dry-run" in s.text)
    assert tt.text == "Use `--dry-run` first, always. more" and tt.line == 15


def test_templates_and_categories_are_dropped() -> None:
    text = " ".join(s.text for s in segs() if isinstance(s, Sentence))
    assert "Infobox" not in text and "Category" not in text and "ann" not in text
    assert "more" in text  # an internal link keeps its visible text


def test_tables_become_rows_with_a_header() -> None:
    rows = [s for s in segs() if isinstance(s, Sentence) and s.cells]
    assert rows[0].cells == ("Flag", "Default")
    assert rows[1].cells == ("`--region`", "us-east-1") and rows[1].header == ("Flag", "Default")
    assert rows[1].codes[0].text == "--region" and rows[1].line == 19


def test_claims_from_a_wikitext_page() -> None:
    page = Page("mw", "Deploy", "u", "Deploy", BODY, "wikitext")
    got = {(c.kind, c.subject, c.span.line) for c in extract_claims(page)}
    assert (ClaimKind.FLAG, "--region", 3) in got  # first kept
    assert (ClaimKind.ENV, "BILLING_DB_URL", 7) in got
    assert (ClaimKind.COMMAND, "make deploy", 8) in got
    assert (ClaimKind.PATH, "scripts/deploy.sh", 3) in got


def test_unclosed_things_do_not_crash() -> None:
    assert parse_wikitext("{{open\n<pre>\nno close\n{|\n| a") is not None
    assert parse_wikitext("") == []
