"""Claim extraction from HTML pages (Confluence exports and storage format)."""

from __future__ import annotations

import random
import time

import pytest

from stale.extract import ExtractionError, extract_claims
from stale.extract.html import MAX_DEPTH, balance_tags, parse_html
from stale.extract.segments import CodeBlock, Heading, Sentence
from stale.model import Claim, ClaimKind, Page

K = ClaimKind


def page(body: str, title: str = "Billing runbook", content_type: str = "html") -> Page:
    return Page(
        source="wiki",
        page_id="x.html",
        url="",
        title=title,
        body=body,
        content_type=content_type,
    )


def claims(body: str, **kw: str) -> list[Claim]:
    return extract_claims(page(body, **kw))


def triples(body: str, **kw: str) -> set[tuple[str, str, str | None, str | None]]:
    return {(str(c.kind), c.subject, c.value, c.context) for c in claims(body, **kw)}


def find(cs: list[Claim], kind: ClaimKind, subject: str) -> Claim:
    hits = [c for c in cs if c.kind == kind and c.subject == subject]
    assert hits, f"no {kind} {subject!r} in {[(c.kind, c.subject) for c in cs]}"
    return hits[0]


# ------------------------------------------------------------------ claim kinds


def test_inline_code_in_prose() -> None:
    body = (
        "<p>Run <code>./scripts/deploy.sh --region eu</code> with "
        "<tt>BILLING_DB_URL</tt> set; the settings are in <kbd>config/billing.yaml</kbd>.</p>"
    )
    t = triples(body)
    assert ("path", "scripts/deploy.sh", None, None) in t
    assert ("flag", "--region", None, "scripts/deploy.sh") in t
    assert ("env", "BILLING_DB_URL", None, None) in t
    assert ("path", "config/billing.yaml", None, None) in t


def test_prose_patterns_and_stated_defaults() -> None:
    body = (
        "<ul><li>The service needs Python 3.11.</li>"
        "<li><code>pool_size</code> defaults to <strong>20</strong>.</li>"
        "<li>Call <code>GET /v1/invoices/{id}</code> for one invoice.</li></ul>"
    )
    t = triples(body)
    assert ("version", "python", "3.11", None) in t
    assert ("config", "pool_size", "20", None) in t
    assert ("endpoint", "GET /v1/invoices/{}", None, None) in t


def test_pre_with_language_class_and_inner_code() -> None:
    body = (
        '<pre class="language-bash">make deploy\n./scripts/migrate.sh --dry-run\n</pre>\n'
        '<pre><code class="language-yaml">\ndatabase:\n  pool_size: 50\n</code></pre>\n'
    )
    t = triples(body)
    assert ("command", "make deploy", None, None) in t
    assert ("flag", "--dry-run", None, "scripts/migrate.sh") in t
    assert ("config", "database.pool_size", "50", None) in t


def test_confluence_export_syntaxhighlighter_pre() -> None:
    body = (
        '<div class="code panel pdl"><div class="codeContent panelContent pdl">\n'
        '<pre class="syntaxhighlighter-pre" data-syntaxhighlighter-params='
        '"brush: bash; gutter: false; theme: Confluence">make release</pre>\n</div></div>'
    )
    assert ("command", "make release", None, None) in triples(body)
    (block,) = [s for s in parse_html(body) if isinstance(s, CodeBlock)]
    assert block.info == "bash"


def test_confluence_code_macro_with_cdata() -> None:
    body = (
        '<ac:structured-macro ac:name="code" ac:schema-version="1">\n'
        '<ac:parameter ac:name="language">bash</ac:parameter>\n'
        "<ac:plain-text-body><![CDATA[if [ 1 < 2 ]; then\n"
        "  ./scripts/rotate-keys.sh --kms-key alias/billing\nfi]]></ac:plain-text-body>\n"
        "</ac:structured-macro>"
    )
    (block,) = [s for s in parse_html(body) if isinstance(s, CodeBlock)]
    assert block.info == "bash"
    assert block.lines[0] == "if [ 1 < 2 ]; then"  # CDATA text kept verbatim
    assert block.first_line == 3
    flag = find(claims(body), K.FLAG, "--kms-key")
    assert flag.context == "scripts/rotate-keys.sh"
    assert flag.span.line == 4


def test_confluence_code_macro_yaml_and_missing_language() -> None:
    body = (
        '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">yaml'
        "</ac:parameter><ac:plain-text-body><![CDATA[cache:\n  ttl: 300]]>"
        "</ac:plain-text-body></ac:structured-macro>\n"
        '<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[$ make lint]]>'
        "</ac:plain-text-body></ac:structured-macro>"
    )
    t = triples(body)
    assert ("config", "cache.ttl", "300", None) in t
    assert ("command", "make lint", None, None) in t  # unlabeled: shell by its prompt


def test_inline_code_macro_in_a_paragraph() -> None:
    body = (
        '<p>Then run <ac:structured-macro ac:name="code"><ac:plain-text-body>'
        "<![CDATA[make seed]]></ac:plain-text-body></ac:structured-macro> once.</p>"
    )
    segs = parse_html(body)
    (sent,) = [s for s in segs if isinstance(s, Sentence)]
    assert sent.text == "Then run `make seed` once."
    assert not any(isinstance(s, CodeBlock) for s in segs)
    assert ("command", "make seed", None, None) in triples(body)


def test_settings_table_gives_config_claims_with_values() -> None:
    body = (
        "<table><thead><tr><th>Setting</th><th>Default</th><th>Meaning</th></tr></thead>\n"
        "<tbody><tr><td><code>pool_size</code></td><td>10</td><td>connections</td></tr>\n"
        "<tr><td>request_timeout</td><td><code>30s</code></td><td>per request</td></tr>\n"
        "<tr><td>--batch-size</td><td>500</td><td>rows per batch</td></tr>\n"
        "<tr><td>Workers</td><td>8</td><td>a label, not a key</td></tr>\n"
        "<tr><td>cache.ttl</td><td>-</td><td>no default</td></tr></tbody></table>"
    )
    t = triples(body)
    assert ("config", "pool_size", "10", None) in t
    assert ("config", "request_timeout", "30s", None) in t
    assert ("flag", "--batch-size", "500", None) in t
    assert not any(s in ("Workers", "workers") for _, s, _, _ in t)
    assert not any(v == "8" for _, _, v, _ in t)
    assert ("config", "cache.ttl", None, None) in t


def test_env_table_with_th_header_row_and_key_value_columns() -> None:
    body = (
        "<table><tbody><tr><th>Environment variable</th><th>Default value</th></tr>"
        "<tr><td><p>BILLING_WORKERS</p></td><td><p>4</p></td></tr>"
        "<tr><td><code>LOG_LEVEL</code></td><td>info</td></tr></tbody></table>\n"
        "<table><tr><th>Key</th><th>Value</th></tr><tr><td>queue.name</td><td>invoices</td></tr>"
        "</table>"
    )
    t = triples(body)
    assert ("env", "BILLING_WORKERS", "4", None) in t
    assert ("env", "LOG_LEVEL", "info", None) in t
    assert ("config", "queue.name", "invoices", None) in t


def test_table_without_settings_header_states_no_values() -> None:
    body = (
        "<table><tr><th>Service</th><th>Owner</th></tr>"
        "<tr><td>billing_api</td><td>payments</td></tr></table>"
    )
    assert not any(v is not None for _, _, v, _ in triples(body))


def test_links_to_repository_files() -> None:
    body = (
        '<p>See <a href="https://github.com/acme/billing/blob/main/app/server.py#L10">the '
        "server</a> and <ac:link><ri:url ri:value="
        '"https://github.com/acme/billing/blob/main/scripts/deploy.sh" />'
        "<ac:plain-text-link-body><![CDATA[the deploy script]]></ac:plain-text-link-body>"
        '</ac:link>; the <a href="https://example.com/docs">vendor docs</a> are external.</p>'
    )
    links = {(c.subject, c.context) for c in claims(body) if c.kind == K.LINK}
    assert links == {("app/server.py", "acme/billing"), ("scripts/deploy.sh", "acme/billing")}


def test_headings_are_segments() -> None:
    segs = parse_html("<h2>Deploy <code>api</code></h2><p>text</p>")
    assert segs[0] == Heading(level=2, text="Deploy `api`", line=1)
    assert isinstance(segs[1], Sentence) and segs[1].is_heading


# ------------------------------------------------------------------ hard negatives


def test_page_chrome_is_ignored() -> None:
    body = (
        "<html><head><title>T</title><style>.x{}</style>"
        "<script>var CHROME_SCRIPT_VAR = 1;</script></head><body>\n"
        "<nav><p>Go to <code>scripts/nav.sh</code></p></nav>\n"
        '<div id="breadcrumb-section"><code>BREADCRUMB_VAR</code></div>\n'
        '<div class="ia-secondary-sidebar"><code>SIDEBAR_VAR</code></div>\n'
        '<div class="page-metadata">Created by <code>META_VAR</code></div>\n'
        "<p>Set <code>BILLING_DB_URL</code>.</p>\n"
        "<aside><code>ASIDE_VAR</code></aside><footer><code>FOOTER_VAR</code></footer>\n"
        '<div id="footer"><code>FOOTER_DIV_VAR</code></div></body></html>'
    )
    assert {c.subject for c in claims(body)} == {"BILLING_DB_URL"}


def test_main_content_wins_over_the_rest_of_the_body() -> None:
    body = (
        '<body><div id="header-menu"><p><code>MENU_VAR</code></p></div>'
        '<div id="main-content" class="wiki-content"><p><code>BILLING_DB_URL</code></p></div>'
        "<div><p><code>OTHER_VAR</code></p></div></body>"
    )
    assert {c.subject for c in claims(body)} == {"BILLING_DB_URL"}


def test_noformat_macro_is_output_not_claims() -> None:
    body = (
        '<ac:structured-macro ac:name="noformat"><ac:plain-text-body><![CDATA['
        "$ ./scripts/deploy.sh --region eu\nmake deploy\nBILLING_DB_URL=x]]>"
        "</ac:plain-text-body></ac:structured-macro>"
    )
    assert claims(body) == []


def test_external_tool_flags_in_a_code_macro_are_not_claims() -> None:
    body = (
        '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash'
        "</ac:parameter><ac:plain-text-body><![CDATA[kubectl logs -f deploy/api -n payments\n"
        "docker run --rm -e FOO=1 postgres:15]]></ac:plain-text-body></ac:structured-macro>"
    )
    t = triples(body)
    assert not any(k == "flag" for k, _, _, _ in t), t


def test_macro_parameters_are_not_prose() -> None:
    body = (
        '<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">'
        "PARAM_ONLY_VAR</ac:parameter><ac:rich-text-body><p>Set <code>BILLING_DB_URL</code>.</p>"
        "</ac:rich-text-body></ac:structured-macro>"
    )
    assert {c.subject for c in claims(body)} == {"BILLING_DB_URL"}


# ------------------------------------------------------------------ history


def test_adr_title_makes_claims_historical_but_not_hints() -> None:
    body = "<p>We chose <code>BILLING_DB_URL</code>. This page is deprecated.</p>"
    cs = claims(body, title="ADR-0003: Postgres 15")
    assert find(cs, K.ENV, "BILLING_DB_URL").historical
    assert not find(cs, K.MARKER, "deprecated").historical
    assert not find(claims(body), K.ENV, "BILLING_DB_URL").historical


def test_history_heading_section() -> None:
    body = (
        "<h2>Usage</h2>\n<p>Run <code>make deploy</code>.</p>\n"
        "<h2>History</h2>\n<p>Deploys ran <code>make ship</code>.</p>\n"
        "<h3>Details</h3>\n<pre class='language-bash'>make old-target</pre>\n"
        "<h2>Setup</h2>\n<p>Run <code>make setup</code>.</p>"
    )
    cs = claims(body)
    assert not find(cs, K.COMMAND, "make deploy").historical
    assert find(cs, K.COMMAND, "make ship").historical
    assert find(cs, K.COMMAND, "make old-target").historical
    assert not find(cs, K.COMMAND, "make setup").historical


def test_past_tense_sentence_only() -> None:
    body = "<p>We previously used <code>--zone</code>. Now pass <code>--region</code>.</p>"
    cs = claims(body)
    assert find(cs, K.FLAG, "--zone").historical
    assert not find(cs, K.FLAG, "--region").historical


# ------------------------------------------------------------------ suppression


def test_suppression_comments() -> None:
    body = (
        "<!-- stale: ignore -->\n"
        "<pre class='language-bash'>\n./scripts/old.sh --zone a\nmake old\n</pre>\n"
        "<p>Use <code>make new</code>.</p> <!-- stale: ignore -->\n"
        "<p>Use <code>make kept</code> and <code>LEGACY_VAR</code>.</p>\n"
        "<!-- stale: ignore LEGACY_VAR -->\n"
    )
    subjects = {c.subject for c in claims(body)}
    assert subjects == {"make kept"}


def test_suppression_of_a_multi_line_paragraph_and_page() -> None:
    body = (
        "<!-- stale: ignore -->\n<p>Run <code>make a</code>\nand <code>make b</code>.</p>\n"
        "<p>Run <code>make c</code>.</p>"
    )
    assert {c.subject for c in claims(body)} == {"make c"}
    assert claims("<!-- stale: ignore-page --><p><code>make c</code></p>") == []


# ------------------------------------------------------------------ line numbers


def test_line_numbers_follow_the_page() -> None:
    body = (
        "<html>\n<body>\n<p>First line\nthen <code>BILLING_DB_URL</code>\n"
        "and more.</p>\n<table>\n<tr><th>Setting</th><th>Default</th></tr>\n"
        "<tr><td>pool_size</td><td>10</td></tr>\n</table>\n"
        "<pre>\n$ make deploy\n</pre>\n</body></html>"
    )
    cs = claims(body)
    assert find(cs, K.ENV, "BILLING_DB_URL").span.line == 4
    assert find(cs, K.CONFIG, "pool_size").span.line == 8
    assert find(cs, K.COMMAND, "make deploy").span.line == 11


def test_line_numbers_with_crlf_and_comments() -> None:
    body = "<p>a</p>\r\n<!-- a\r\ncomment -->\r\n<p>Set <code>BILLING_DB_URL</code>.</p>"
    assert find(claims(body), K.ENV, "BILLING_DB_URL").span.line == 4


# ------------------------------------------------------------------ robustness


@pytest.mark.parametrize(
    "body",
    [
        "<p>Run <code>BILLING_DB_URL<p>unclosed <li>items <td>cell",
        "</div></div><p>stray ends <b>bold <i>both</b></i> <code>BILLING_DB_URL</code>",
        '<a href="unterminated>text <code>BILLING_DB_URL</code>',
        "<![]> <![ x <!x> <? pi > <p>Set <code>BILLING_DB_URL</code></p>",
        "<ac:structured-macro ac:name='code'><ac:plain-text-body><![CDATA[make x",
        "<table><tr><td>a<tr><td><table><td>BILLING_DB_URL</table>",
        "",
        "   \n\n",
        "<html><head><title>only a head</title></head></html>",
        "<?xml version='1.0'?><!DOCTYPE html><p><code>BILLING_DB_URL</code></p>",
    ],
)
def test_malformed_html_never_raises(body: str) -> None:
    cs = claims(body)
    assert all(c.span.line >= 1 for c in cs)


def test_malformed_html_still_yields_claims() -> None:
    cs = claims("<div><p>Run <code>BILLING_DB_URL</code> now<li>and <code>make x</code>")
    assert {c.subject for c in cs} == {"BILLING_DB_URL", "make x"}


def test_fragment_without_body() -> None:
    assert triples("Set <code>BILLING_DB_URL</code> first.") == {
        ("env", "BILLING_DB_URL", None, None)
    }


def test_binary_junk_never_raises() -> None:
    rnd = random.Random(7)
    junk = bytes(rnd.randrange(256) for _ in range(200_000)).decode("latin-1")
    assert isinstance(claims(junk), list)
    markup = "".join(rnd.choice("<>/&;![]CDATA-\"'= \n abcp") for _ in range(100_000))
    assert isinstance(claims(markup), list)


def test_deep_nesting_is_flattened_not_recursed() -> None:
    body = "<div>" * 50_000 + "<span>x " * 5_000 + "<code>BILLING_DB_URL</code>"
    start = time.monotonic()
    assert {c.subject for c in claims(body)} == {"BILLING_DB_URL"}
    assert time.monotonic() - start < 20
    balanced = balance_tags("<p>a<p>b<ul><li>c<li>d</ul>")
    assert balanced == "<p>a</p><p>b</p><ul><li>c</li><li>d</ul>"
    assert balance_tags("<div>" * (MAX_DEPTH + 5)).count("<div>") == MAX_DEPTH


@pytest.mark.parametrize("unit", ["<a ", '<a href="', "<!--", "<!x ", "<?x ", "</p "])
def test_unterminated_markup_stays_linear(unit: str) -> None:
    # html.parser alone needs about a minute for 20,000 unterminated "<a ".
    body = unit * 50_000 + "\n<p>Set <code>BILLING_DB_URL</code>.</p>"
    start = time.monotonic()
    subjects = {c.subject for c in claims(body)}
    assert time.monotonic() - start < 10
    assert "BILLING_DB_URL" in subjects  # what follows still parses


def test_a_bare_less_than_sign_is_text() -> None:
    (sent,) = parse_html("<p>Keep <code>pool_size</code> < 50 and 3 <4.</p>")
    assert isinstance(sent, Sentence)
    assert sent.text == "Keep `pool_size` < 50 and 3 <4."


def test_one_megabyte_page() -> None:
    chunk = (
        "<p>Run <code>./scripts/deploy.sh --region eu</code> with "
        "<code>BILLING_DB_URL</code> set; see <code>config/app.yaml</code>.</p>\n"
        '<pre class="language-bash">kubectl apply -f deploy/k8s/api.yaml\n</pre>\n'
    )
    body = "<html><body>" + chunk * (1_000_000 // len(chunk)) + "</body></html>"
    start = time.monotonic()
    cs = claims(body)
    assert 0 < len(cs) <= 2000
    assert time.monotonic() - start < 60


def test_internal_error_becomes_extraction_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import stale.extract.html as h

    def boom(_: object) -> None:
        raise RuntimeError("bad\nsecond line")

    monkeypatch.setattr(h, "_main_content", boom)
    with pytest.raises(ExtractionError, match=r"RuntimeError: bad$"):
        claims("<p>x</p>")


# ------------------------------------------------------------------ same as Markdown

MARKDOWN = """# Billing service

Run `./scripts/deploy.sh --region eu` after setting `BILLING_DB_URL`.
The service needs Python 3.11 and `pool_size` defaults to 20.
See [the server](https://github.com/acme/billing/blob/main/app/server.py).

```bash
make deploy
./scripts/migrate.sh --dry-run
```

```yaml
database:
  pool_size: 50
```

| Setting | Default |
|---|---|
| `request_timeout` | 30 |
| max_retries | 5 |
| BILLING_WORKERS | 4 |

## History

We used `--zone` on `deploy.sh`.
"""

HTML = """<html><head><title>Billing service - Eng - Confluence</title></head><body>
<div id="main-content">
<h1>Billing service</h1>
<p>Run <code>./scripts/deploy.sh --region eu</code> after setting <code>BILLING_DB_URL</code>.
The service needs Python 3.11 and <code>pool_size</code> defaults to 20.
See <a href="https://github.com/acme/billing/blob/main/app/server.py">the server</a>.</p>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter>
<ac:plain-text-body><![CDATA[make deploy
./scripts/migrate.sh --dry-run]]></ac:plain-text-body></ac:structured-macro>
<pre><code class="language-yaml">database:
  pool_size: 50
</code></pre>
<table><tr><th>Setting</th><th>Default</th></tr>
<tr><td><code>request_timeout</code></td><td>30</td></tr>
<tr><td>max_retries</td><td>5</td></tr>
<tr><td>BILLING_WORKERS</td><td>4</td></tr></table>
<h2>History</h2>
<p>We used <code>--zone</code> on <code>deploy.sh</code>.</p>
</div></body></html>
"""


def test_markdown_and_html_yield_the_same_claims() -> None:
    def keyed(cs: list[Claim]) -> set[tuple[str, str, str | None, str | None, bool]]:
        return {(str(c.kind), c.subject, c.value, c.context, c.historical) for c in cs}

    md = keyed(claims(MARKDOWN, content_type="markdown"))
    html = keyed(claims(HTML))
    assert html == md
    assert ("config", "max_retries", "5", None, False) in html
    assert ("env", "BILLING_WORKERS", "4", None, False) in html
    assert ("flag", "--zone", None, "deploy.sh", True) in html
    assert ("link", "app/server.py", None, "acme/billing", False) in html


def test_markdown_settings_table_with_plain_keys_and_value_column() -> None:
    body = (
        "| Key | Value | Notes |\n|---|---|---|\n"
        "| log.level | info | uses `structlog` |\n"
        "| Name | Alice | |\n"
    )
    t = triples(body, content_type="markdown")
    assert ("config", "log.level", "info", None) in t
    assert not any(v == "Alice" for _, _, v, _ in t)
