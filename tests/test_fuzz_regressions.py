"""Crashes and hangs the fuzz tests and bench/redos.py found, kept as plain regressions."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from connectors.markdown import split_front_matter
from stale.codebase.cfgextract import extract_yaml
from stale.codebase.sink import FactSink
from stale.extract import extract_claims
from stale.extract.dates import find_dates, to_iso
from stale.model import ClaimKind, Page


def _page(body: str, content_type: str) -> Page:
    return Page("w", "p", "file:///p", "P", body, content_type, content_hash="h")


def test_impossible_iso_date_is_not_a_date() -> None:
    # to_iso used to return "2023-02-31", which no date parser accepts
    assert to_iso("2023-02-31") is None
    assert to_iso("2024-02-29") == "2024-02-29"
    assert find_dates("Last updated: 2023-02-31") == []


def test_front_matter_with_an_impossible_date_is_ignored_not_a_crash() -> None:
    # yaml.safe_load raises ValueError (not YAMLError) constructing 2023-02-31
    text = "---\ntitle: A\ndate: 2023-02-31\n---\n# A\n"
    assert split_front_matter(text) == ({}, text)
    assert split_front_matter("---\ndate: 2023-02-28\n---\n")[0]["date"].day == 28


def test_front_matter_nested_too_deep_is_ignored_not_a_crash() -> None:
    text = "---\n" + "[" * 5000 + "\n---\nbody\n"
    assert split_front_matter(text) == ({}, text)


def test_deeply_nested_flow_yaml_is_skipped_not_a_segfault() -> None:
    # libyaml's C composer recursed until the C stack overflowed (SIGSEGV, the whole
    # scan gone) on 25,000 nested `{`; run it in a child so a regression cannot kill
    # the test session
    code = textwrap.dedent(
        """
        from stale.codebase.cfgextract import extract_yaml
        from stale.codebase.sink import FactSink
        for text in ("{{" * 25000, "[" * 50000, "a: " + "[" * 30000):
            sink = FactSink("r")
            extract_yaml("a.yaml", text, sink)
            assert sink.skipped == [("a.yaml", "yaml too deeply nested")], sink.skipped
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stderr[-500:])


def test_deeply_nested_block_yaml_is_refused_not_a_segfault() -> None:
    # Block style nests as deep with two characters a level (`- - - x`, `? ? x`):
    # the flow-bracket guard missed it and libyaml segfaulted. Both readers of YAML
    # (the repo index and config blocks on a page) go through the same guard.
    code = textwrap.dedent(
        """
        from stale.codebase.cfgextract import extract_yaml
        from stale.codebase.sink import FactSink
        from stale.extract import extract_claims
        from stale.model import Page
        for text in ("- " * 30000 + "x", "? " * 30000 + "x", "a:\\n  " + "- " * 30000 + "x"):
            sink = FactSink("r")
            extract_yaml("a.yaml", text, sink)
            assert sink.skipped == [("a.yaml", "yaml too deeply nested")], sink.skipped
            body = "# p\\n\\n```yaml\\n" + text + "\\n```\\n"
            page = Page("s", "p.md", "", "p", body, "markdown")
            assert [c for c in extract_claims(page) if c.kind == "config"] == []
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stderr[-500:])


def test_yaml_depth_guard_keeps_ordinary_long_lines() -> None:
    from stale.yamlsafe import too_deep

    long_value = "key: " + "word - word: " * 200  # indicators in a long plain scalar line
    assert not too_deep("a:\n  b: 1\n" + "c: " + "x" * 5000 + "\n")
    assert too_deep("- " * 600 + "x")
    # an overestimate is allowed, but only for lines with hundreds of indicators
    assert not too_deep(long_value[:900])


def test_ordinary_nested_yaml_is_still_read() -> None:
    sink = FactSink("r")
    extract_yaml("a.yaml", "a:\n  b: [[1, 2], {c: [3]}]\n  d: {e: {f: 1}}\n", sink)
    assert sink.skipped == []
    assert {kv.key for kv in sink.config} >= {"a.b", "a.d.e.f"}


def test_wikitext_unclosed_link_and_tag_runs_are_linear() -> None:
    # `\[\[[^\]|]*` rescanned the rest of the line from every `[`: 50 KB of `[`
    # took 69 s. The same inputs now take milliseconds; this only checks they
    # finish and that ordinary markup still reads.
    for body in ("[" * 50_000 + "](", "[[(" * 15_000, "<a " * 15_000, "<code>" * 8_000):
        extract_claims(_page(body, "wikitext"))
    claims = extract_claims(
        _page(
            "Run <code>./scripts/deploy.sh --zone x</code>, see [[Deploy|the deploy page]] "
            "and [https://example.com/runbook runbook].\n",
            "wikitext",
        )
    )
    assert any(c.kind is ClaimKind.FLAG and c.subject == "--zone" for c in claims)


def test_wikitext_unclosed_comments_and_refs_are_linear_and_read_as_mediawiki_does() -> None:
    # `<!--.*?-->` and `<ref>.*?</ref>` rescanned to the end of the page for every
    # unclosed opener: 50 KB of `<!--` took 9 s (1 MB about an hour). Now one pass.
    for body in ("<!--" * 12_500, "<ref>" * 10_000, "<ref " * 10_000, "<ref>a<ref/>" * 4_000):
        extract_claims(_page(body, "wikitext"))
    claims = extract_claims(
        _page(
            "Run <code>./deploy.sh --zone x</code>.<ref>see <code>--old-flag</code></ref>\n"
            "Cite<ref name=a /> then <code>./deploy.sh --dry-run</code>.\n"
            "<!-- unclosed: hides the rest <code>./deploy.sh --hidden</code>\n",
            "wikitext",
        )
    )
    flags = {c.subject for c in claims if c.kind is ClaimKind.FLAG}
    assert {"--zone", "--dry-run"} <= flags
    assert not flags & {"--old-flag", "--hidden"}


def test_thousands_of_code_spans_in_one_paragraph_are_linear() -> None:
    # each sentence rescanned every code span of its paragraph (and every code span
    # searched the whole line for its column): 50 KB of "`a`. " took 12 s
    for body, ct in (
        ("`a`. " * 10_000, "markdown"),
        ("<code>a</code>. " * 3_000, "wikitext"),
        ("<p>" + "<code>a</code>. " * 3_000 + "</p>", "html"),
    ):
        extract_claims(_page(body, ct))
    claims = extract_claims(_page("Set `REGION_A`. Then set `REGION_B`.\n", "markdown"))
    assert [(c.subject, c.span.line) for c in claims if c.kind is ClaimKind.ENV] == [
        ("REGION_A", 1),
        ("REGION_B", 1),
    ]


def test_toml_with_a_huge_dotted_key_is_skipped_not_a_hang() -> None:
    # tomllib takes time quadratic in a dotted key's parts: 1 MB of "a." ran for
    # many minutes; such a file is skipped, a wiki block gives no claims
    from stale.codebase.cfgextract import extract_toml

    sink = FactSink("r")
    extract_toml("a.toml", "a." * 100_000 + "b = 1\n", sink)
    assert sink.skipped == [("a.toml", "toml key with too many dotted parts")]
    sink = FactSink("r")
    extract_toml("a.toml", "[tool.x]\na.b.c = 1\nurl = 'a.b.c.d.e.f.g'\n", sink)
    assert sink.skipped == [] and "tool.x.a.b.c" in {kv.key for kv in sink.config}
    extract_claims(_page("```toml\n" + "a." * 100_000 + "b = 1\n```\n", "markdown"))
