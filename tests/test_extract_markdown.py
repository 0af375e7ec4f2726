"""Claim extraction from markdown pages: one test per behaviour that could break."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stale.extract import ExtractionError, extract_claims
from stale.model import Claim, ClaimKind, Page, Span

K = ClaimKind


def page(body: str, title: str = "Billing runbook", page_id: str = "x.md", **kw: object) -> Page:
    return Page(
        source="wiki",
        page_id=page_id,
        url="",
        title=title,
        body=body,
        content_type=kw.pop("content_type", "markdown"),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def claims(body: str, **kw: object) -> list[Claim]:
    return extract_claims(page(body, **kw))


def triples(body: str, **kw: object) -> set[tuple[str, str, str | None, str | None]]:
    return {(str(c.kind), c.subject, c.value, c.context) for c in claims(body, **kw)}


def subjects(body: str, kind: ClaimKind | None = None) -> set[str]:
    return {c.subject for c in claims(body) if kind is None or c.kind == kind}


def one(body: str, kind: ClaimKind, subject: str) -> Claim:
    found = [c for c in claims(body) if c.kind == kind and c.subject == subject]
    assert len(found) == 1, claims(body)
    return found[0]


# --------------------------------------------------------------------- inline code


def test_flag_takes_script_context_from_same_sentence() -> None:
    t = triples("Pass `--region` to `./scripts/deploy.sh` to pick a region.")
    assert ("flag", "--region", None, "scripts/deploy.sh") in t
    assert ("path", "scripts/deploy.sh", None, None) in t


def test_flag_without_program_has_no_context() -> None:
    assert ("flag", "-r", None, None) in triples("Use `-r` for a dry run.")


def test_inline_command_with_script_gives_path_and_flag() -> None:
    t = triples("Run `deploy.sh --region eu-west` first.")
    assert ("path", "deploy.sh", None, None) in t
    assert ("flag", "--region", None, "deploy.sh") in t
    assert not any(s == "eu-west" for _, s, _, _ in t)


def test_env_variants() -> None:
    body = "Set `BILLING_DB_URL`, `$PORT_NUMBER` and `${API_KEY}`."
    assert subjects(body, K.ENV) == {"BILLING_DB_URL", "PORT_NUMBER", "API_KEY"}


@pytest.mark.parametrize("word", ["HTTP", "JSON", "YAML", "TODO", "NOTE", "README", "API", "GET"])
def test_common_caps_words_are_not_env(word: str) -> None:
    assert claims(f"The `{word}` thing.") == []


def test_system_env_vars_are_not_claims() -> None:
    assert subjects("Make sure `$HOME` and `PATH` are set.") == set()


def test_paths_are_normalised() -> None:
    body = "Edit `./config/app.yaml`, `settings.yaml`, `deploy/k8s/` and `Dockerfile`."
    assert subjects(body, K.PATH) == {
        "config/app.yaml",
        "settings.yaml",
        "deploy/k8s",
        "Dockerfile",
    }


@pytest.mark.parametrize(
    "token",
    [
        "/etc/hosts",
        "/usr/bin",
        "~/.ssh/config",
        "<your-token>",
        "config/<env>.yaml",
        "{name}.yaml",
        "my-branch",
        "path/to/file.py",
        "https://example.com/x.py",
        "example.com",
        "and/or",
        "application/json",
        "origin/main",
        "github.com/acme/api",
        ".env",
        "*.py",
        "Node.js",
        "foo.py",
    ],
)
def test_placeholder_and_external_paths_are_not_claims(token: str) -> None:
    assert claims(f"See `{token}` here.") == []


def test_endpoints_are_normalised() -> None:
    body = (
        "Call `GET /v1/invoices/{id}`, `post /api/refunds/`, `/v1/users/:id`, "
        "`/api/orders/<int:order_id>/items` and then GET /v1/health."
    )
    assert subjects(body, K.ENDPOINT) == {
        "GET /v1/invoices/{}",
        "POST /api/refunds",
        "/v1/users/{}",
        "/api/orders/{}/items",
        "GET /v1/health",
    }


def test_key_value_inline_is_config_with_value() -> None:
    t = triples("Use `pool_size: 20`, `retries=3` and `db.timeout = 30s` in `config/app.yaml`.")
    assert ("config", "pool_size", "20", "config/app.yaml") in t
    assert ("config", "retries", "3", "config/app.yaml") in t
    assert ("config", "db.timeout", "30s", "config/app.yaml") in t


def test_caps_assignment_is_env_without_value_unless_default() -> None:
    assert ("env", "LOG_LEVEL", None, None) in triples("Run with `LOG_LEVEL=debug` to see more.")
    assert ("env", "LOG_LEVEL", "info", None) in triples(
        "It defaults to `LOG_LEVEL=info` when unset."
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("`max_connections` defaults to 100.", ("config", "max_connections", "100", None)),
        ("The default `pool_size` is 20.", ("config", "pool_size", "20", None)),
        ("`--retries` defaults to 3.", ("flag", "--retries", "3", None)),
        ("`timeout` defaults to 30s.", ("config", "timeout", "30s", None)),
        ("`WORKER_COUNT` defaults to `4`.", ("env", "WORKER_COUNT", "4", None)),
        ('`log_format` (default: "json") sets the format.', ("config", "log_format", "json", None)),
        ("The chart sets `replicaCount` to 3.", ("config", "replicaCount", "3", None)),
        ("By default `cache.ttl` is set to 60.", ("config", "cache.ttl", "60", None)),
    ],
)
def test_stated_defaults(body: str, expected: tuple[str, str, str, None]) -> None:
    assert expected in triples(body)


def test_imperative_set_to_is_not_a_default() -> None:
    t = triples("Set `LOG_LEVEL` to debug to see more output.")
    assert ("env", "LOG_LEVEL", None, None) in t
    assert not any(v for _, _, v, _ in t)


def test_default_prose_value_must_look_like_a_value() -> None:
    t = triples("`region_name` defaults to the region in your profile.")
    assert ("config", "region_name", None, None) in t


def test_make_and_npm_commands() -> None:
    body = (
        "Build with `make deploy ENV=prod`, `npm run build`, `npm test`, "
        "`yarn lint`, `pnpm run x-y`."
    )
    t = triples(body)
    assert {s for k, s, _, _ in t if k == "command"} == {
        "make deploy",
        "npm run build",
        "npm run test",
        "npm run lint",
        "npm run x-y",
    }
    assert not any(k == "env" for k, _, _, _ in t)


def test_npm_builtins_are_not_commands() -> None:
    assert claims("Run `npm install` and `yarn add left-pad` and `npm ci`.") == []


def test_symbols() -> None:
    body = (
        "Call `load_config()` on `BillingClient`, then `BillingClient.charge()` "
        "and `acme.billing.charge`; see `snake_case_name`."
    )
    assert subjects(body, K.SYMBOL) == {
        "load_config",
        "BillingClient",
        "BillingClient.charge",
        "acme.billing.charge",
        "snake_case_name",
    }


@pytest.mark.parametrize(
    "word",
    ["true", "status", "main", "deploy", "print()", "GitHub", "PostgreSQL", "APIs", "os.environ"],
)
def test_english_words_and_builtins_are_not_symbols(word: str) -> None:
    assert claims(f"The value `{word}` is shown.") == []


def test_dotted_lowercase_is_config_when_sentence_says_setting() -> None:
    assert ("config", "database.pool_size", None, None) in triples(
        "The setting `database.pool_size` controls the pool."
    )
    assert ("symbol", "database.pool_size", None, None) in triples(
        "We read `database.pool_size` at startup."
    )


def test_image_refs_and_prose_versions() -> None:
    body = (
        "Images: `python:3.11-slim`, `postgres:15`, `node:18-alpine`, `ghcr.io/acme/api:1.4.2`. "
        "We run Python 3.9, PostgreSQL 13, Node.js 18, Go 1.21, Redis 7, golang 1.22 and MySQL 8.0."
    )
    got = {(c.subject, c.value) for c in claims(body) if c.kind == K.VERSION}
    assert got >= {
        ("python", "3.11"),
        ("postgres", "15"),
        ("node", "18"),
        ("ghcr.io/acme/api", "1.4.2"),
        ("python", "3.9"),
        ("postgres", "13"),
        ("go", "1.21"),
        ("redis", "7"),
        ("go", "1.22"),
        ("mysql", "8.0"),
    }


@pytest.mark.parametrize(
    "body",
    [
        "Node 3 is down.",
        "Redis 3 replicas run.",
        "We go 2 levels deep.",
        "It took Python 3 minutes.",
    ],
)
def test_numbers_after_tech_names_that_are_not_versions(body: str) -> None:
    assert [c for c in claims(body) if c.kind == K.VERSION] == []


def test_external_tool_flags_in_prose_are_not_claims() -> None:
    assert claims("Pass `-n` to kubectl, or run `kubectl get pods -n billing`.") == []
    assert claims("Run `git push --force` when needed.") == []


def test_unknown_program_flags_get_program_context() -> None:
    assert ("flag", "--fast", None, "acme-cli") in triples("Use `acme-cli deploy --fast` today.")


# --------------------------------------------------------------------- blocks


SHELL = """\
Deploy:

```bash
# Install with --quiet first
./scripts/deploy.sh --region=eu-west -f
export BILLING_DB_URL=postgres://localhost/dev
ACME_ENABLED=1 sudo python -m acme.cli migrate --steps 3 && bash scripts/seed.sh --small
kubectl apply -f deploy/k8s/api.yaml -n billing
cat config/app.yaml | grep pool
make migrate DB=main
python -m http.server 8000
docker run -p 5432:5432 postgres:15
source .env
```
"""


def test_shell_block() -> None:
    t = triples(SHELL)
    assert t == {
        ("path", "scripts/deploy.sh", None, None),
        ("flag", "--region", None, "scripts/deploy.sh"),
        ("flag", "-f", None, "scripts/deploy.sh"),
        ("env", "BILLING_DB_URL", None, None),
        ("env", "ACME_ENABLED", None, None),
        ("symbol", "acme.cli", None, None),
        ("flag", "--steps", None, "acme.cli"),
        ("path", "scripts/seed.sh", None, None),
        ("flag", "--small", None, "scripts/seed.sh"),
        ("path", "deploy/k8s/api.yaml", None, None),
        ("path", "config/app.yaml", None, None),
        ("command", "make migrate", None, None),
        ("version", "postgres", "15", None),
    }


def test_shell_block_line_numbers() -> None:
    c = one(SHELL, K.FLAG, "--steps")
    assert c.span.line == 7
    assert c.text.startswith("ACME_ENABLED=1")
    assert one(SHELL, K.PATH, "scripts/deploy.sh").span.line == 5
    assert one(SHELL, K.PATH, "scripts/deploy.sh").span.column == 3


def test_console_output_lines_are_ignored() -> None:
    body = (
        "```console\n$ ./bin/acme status --verbose\nStatus: ok --fake\n# apt-get install jq\n```\n"
    )
    assert triples(body) == {
        ("path", "bin/acme", None, None),
        ("flag", "--verbose", None, "bin/acme"),
    }


def test_prompted_bash_block_treats_unprompted_lines_as_output() -> None:
    body = "```bash\n$ ./run.sh --x\n./other.sh --y\n```\n"
    assert subjects(body) == {"run.sh", "--x"}


def test_unlabelled_block_is_shell_only_when_it_looks_like_commands() -> None:
    assert "make test" in subjects("```\n$ make test\nok\n```\n")
    assert subjects("```\nWarning: --force is dangerous\nsee scripts/x.sh\n```\n") == set()


def test_line_continuation_and_heredoc() -> None:
    body = (
        "```sh\n./scripts/a.sh \\\n  --long-one\ncat <<EOF > x.txt\n--not-a-flag\nEOF\n"
        "./scripts/b.sh --two\n```\n"
    )
    t = triples(body)
    assert ("flag", "--long-one", None, "scripts/a.sh") in t
    assert ("flag", "--two", None, "scripts/b.sh") in t
    assert not any(s == "--not-a-flag" for _, s, _, _ in t)


def test_text_and_output_blocks_have_no_claims() -> None:
    for info in ("text", "output", "log", "plaintext"):
        assert claims(f"```{info}\n./scripts/deploy.sh --region x\nPORT=1\n```\n") == []


YAML = """\
Settings:

```yaml
# config/app.yaml
database:
  pool_size: 20
  host: db.internal
  password: <your-password>
  ssl: true
features: [a, b]
LOG_LEVEL: info
empty:
```
"""


def test_yaml_block_leaves() -> None:
    t = triples(YAML)
    assert ("path", "config/app.yaml", None, None) in t
    assert ("config", "database.pool_size", "20", "config/app.yaml") in t
    assert ("config", "database.host", "db.internal", "config/app.yaml") in t
    assert ("config", "database.password", None, "config/app.yaml") in t
    assert ("config", "database.ssl", "true", "config/app.yaml") in t
    assert ("env", "LOG_LEVEL", "info", None) in t
    assert not any(s.startswith(("features", "empty")) for _, s, _, _ in t)


def test_yaml_block_line_numbers() -> None:
    assert one(YAML, K.CONFIG, "database.pool_size").span == Span(6, 3)
    assert one(YAML, K.CONFIG, "database.ssl").span.line == 9


def test_config_context_from_preceding_sentence() -> None:
    body = "Add this to `deploy/values.yaml`:\n\n```yaml\nreplicaCount: 3\n```\n"
    assert ("config", "replicaCount", "3", "deploy/values.yaml") in triples(body)


def test_toml_ini_env_blocks() -> None:
    body = (
        '```toml\n[tool.acme]\nworkers = 4\nname = "api"\n```\n\n'
        "```ini\n[server]\nport = 8080\n```\n\n"
        "```env\nBILLING_DB_URL=postgres://db/billing\nexport CACHE_TTL=60 # seconds\n```\n"
    )
    t = triples(body)
    assert ("config", "tool.acme.workers", "4", None) in t
    assert ("config", "tool.acme.name", "api", None) in t
    assert ("config", "server.port", "8080", None) in t
    assert ("env", "BILLING_DB_URL", "postgres://db/billing", None) in t
    assert ("env", "CACHE_TTL", "60", None) in t


def test_json_block_needs_config_context() -> None:
    payload = '```json\n{"id": 123, "status": "paid"}\n```\n'
    assert claims("The API returns:\n\n" + payload) == []
    assert ("config", "status", "paid", None) in triples("The settings file:\n\n" + payload)


def test_broken_config_block_yields_nothing() -> None:
    assert claims("```yaml\nkey: [unclosed\n  - : :\n```\n") == []
    assert claims('```json\n{"a": 1, ...}\n```\n') == []


def test_python_imports_only_own_dotted_modules() -> None:
    body = (
        "```python\nfrom acme.billing import charge, refund as r\nimport acme.billing.models\n"
        "import os\nfrom flask import Flask\nfrom django.conf import settings\n"
        "client = BillingClient()\nclient.charge_card()\n```\n"
    )
    assert subjects(body) == {"acme.billing.charge", "acme.billing.refund", "acme.billing.models"}


def test_dockerfile_from_line() -> None:
    body = "```dockerfile\nFROM python:3.11-slim AS base\nRUN pip install x\n```\n"
    assert triples(body) == {("version", "python", "3.11", None)}


# --------------------------------------------------------------------- links, markers, dates


def test_repository_links() -> None:
    body = (
        "See [app](https://github.com/acme/billing/blob/main/src/app.py#L10-L20), "
        "[chart](https://gitlab.example.com/group/sub/billing/-/blob/main/charts/api/values.yaml) "
        "and [wiki](../other-page.md) or [site](https://acme.com/docs)."
    )
    t = triples(body)
    links = {(s, ctx) for k, s, _, ctx in t if k == "link"}
    assert links == {
        ("src/app.py", "acme/billing"),
        ("charts/api/values.yaml", "group/sub/billing"),
    }


@pytest.mark.parametrize(
    ("body", "subject"),
    [
        ("This page is outdated.", "outdated"),
        ("Warning: out of date.", "outdated"),
        ("The v1 API is deprecated.", "deprecated"),
        ("This tool is no longer maintained.", "deprecated"),
        ("TODO: update the steps.", "todo"),
    ],
)
def test_markers(body: str, subject: str) -> None:
    c = one(body, K.MARKER, subject)
    assert c.historical is False


def test_marker_inside_code_is_not_a_marker() -> None:
    assert claims("Run `./x.sh --deprecated-mode`.") == [
        c for c in claims("Run `./x.sh --deprecated-mode`.") if c.kind != K.MARKER
    ]
    assert not [c for c in claims("```text\nTODO outdated\n```\n") if c.kind == K.MARKER]


@pytest.mark.parametrize(
    ("body", "subject", "iso"),
    [
        ("Last updated: 3 March 2023", "last_updated", "2023-03-03"),
        ("Updated 2023-03-03 by Ana.", "last_updated", "2023-03-03"),
        ("As of Q2 2022 we use it.", "as_of", "2022-04-01"),
        ("As of March 2023 it runs.", "as_of", "2023-03-01"),
        ("| Last updated | 2021-11-05 |\n|---|---|\n| a | b |", "last_updated", "2021-11-05"),
    ],
)
def test_dates(body: str, subject: str, iso: str) -> None:
    c = one(body, K.DATE, subject)
    assert c.value == iso


def test_update_verbs_without_dates_are_not_dates() -> None:
    assert [
        c for c in claims("We updated 3 times in 2021 and updated the docs.") if c.kind == K.DATE
    ] == []


# --------------------------------------------------------------------- historical context


def test_sentence_cue_marks_claim_historical() -> None:
    body = "Previously we used `OLD_DB_HOST`. Now set `BILLING_DB_URL`."
    assert one(body, K.ENV, "OLD_DB_HOST").historical is True
    assert one(body, K.ENV, "BILLING_DB_URL").historical is False


@pytest.mark.parametrize(
    "sentence",
    [
        "The `--legacy` flag was removed.",
        "`--zone` was renamed to `--region`.",
        "We used `--old` before 2021.",
        "`--old` is no longer supported.",
        "`--old` is deprecated in favour of `--new`.",
    ],
)
def test_sentence_cues(sentence: str) -> None:
    assert all(c.historical for c in claims(sentence) if c.kind == K.FLAG)
    assert any(c.kind == K.FLAG for c in claims(sentence))


def test_adr_page_is_historical_except_hints() -> None:
    body = "Use `scripts/deploy.sh`. This is deprecated. Last updated: 2023-01-02"
    cs = extract_claims(page(body, title="ADR 12: deploy script", page_id="docs/adr/0012.md"))
    assert {c.kind: c.historical for c in cs} == {K.PATH: True, K.MARKER: False, K.DATE: False}
    cs = extract_claims(page(body, page_id="incidents/2023-04-01.md"))
    assert next(c for c in cs if c.kind == K.PATH).historical
    cs = extract_claims(page(body, properties=(("type", "postmortem"),)))
    assert next(c for c in cs if c.kind == K.PATH).historical


def test_history_section_until_next_heading_of_same_level() -> None:
    body = (
        "# Service\n\n## History\n\nWe had `scripts/a.sh`.\n\n"
        "### Details\n\n`scripts/b.sh` too.\n\n"
        "```bash\n./scripts/c.sh --x\n```\n\n## Usage\n\nRun `scripts/d.sh`.\n"
    )
    hist = {c.subject: c.historical for c in claims(body)}
    assert hist["scripts/a.sh"] and hist["scripts/b.sh"] and hist["scripts/c.sh"]
    assert hist["scripts/d.sh"] is False


def test_code_block_inherits_history_from_lead_sentence_only_with_cue() -> None:
    old = "Previously we deployed with:\n\n```bash\n./scripts/old.sh --x\n```\n"
    new = "Before you start, deploy with:\n\n```bash\n./scripts/new.sh --x\n```\n"
    assert all(c.historical for c in claims(old))
    assert not any(c.historical for c in claims(new))


# --------------------------------------------------------------------- suppression


def test_suppress_subject_anywhere() -> None:
    body = "Use `--region`.\n\n<!-- stale: ignore --region -->\n\nAnd `scripts/x.sh`."
    assert subjects(body) == {"scripts/x.sh"}


def test_suppress_next_line_and_block() -> None:
    body = (
        "<!-- stale: ignore -->\n\nUse `scripts/a.sh`.\nUse `scripts/b.sh`.\n\n"
        "<!-- stale: ignore -->\n```bash\n./scripts/c.sh --x\n./scripts/d.sh\n```\n"
        "Use `scripts/e.sh`. <!-- stale: ignore -->\n"
    )
    assert subjects(body) == {"scripts/b.sh"}


def test_suppress_page() -> None:
    assert claims("<!-- stale: ignore-page -->\nUse `scripts/a.sh`.") == []


# --------------------------------------------------------------------- identity, spans


def test_line_and_column_of_inline_code() -> None:
    body = "# T\n\nFirst line of a paragraph\nthen `scripts/x.sh` here.\n"
    c = one(body, K.PATH, "scripts/x.sh")
    assert (c.span.line, c.span.column) == (4, 7)
    assert c.text == "First line of a paragraph then `scripts/x.sh` here."
    assert (c.source, c.page_id) == ("wiki", "x.md")


def test_keys_are_stable_when_lines_shift() -> None:
    body = "Run `./scripts/deploy.sh --region eu`.\n\n```yaml\npool_size: 5\n```\n"
    before = {c.key: c.span.line for c in claims(body)}
    after = {c.key: c.span.line for c in claims("# New title\n\nIntro text.\n\n" + body)}
    assert before.keys() == after.keys()
    assert all(after[k] == before[k] + 4 for k in before)


def test_duplicates_keep_first_occurrence() -> None:
    body = "Use `scripts/a.sh`.\n\nAgain `scripts/a.sh`.\n"
    cs = claims(body)
    assert len(cs) == 1
    assert cs[0].span.line == 1


def test_claim_cap() -> None:
    body = "\n\n".join(f"Use `scripts/s{i}.sh`." for i in range(2100))
    cs = claims(body)
    assert len(cs) == 2000
    assert cs[0].subject == "scripts/s0.sh"


# --------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   \n\n",
        "---\ntitle: x\n---\n# Heading\n\nUse `scripts/a.sh`.",
        "```bash\n./scripts/a.sh --x\n",  # unclosed fence
        "```yaml\na: b\n",
        "\x00\x01\x02\ufffe\udcff binary `\x00x` junk \x7f",
        "`" * 5000,
        "[" * 3000 + "]" * 3000,
        "> " * 500 + "`scripts/deep.sh`",
        "| a |\n|---|\n| `b` | c | d |\n",
        "```bash\necho 'unclosed quote --flag\n```",
        "<!-- stale: ignore -->",
        "\r\nUse `scripts/crlf.sh`.\r\n\r\n```bash\r\n./x.sh --y\r\n```\r\n",
    ],
)
def test_never_raises(body: str) -> None:
    result = claims(body)
    assert isinstance(result, list)


_FUZZ_PIECES = [
    *"`$-_/.:=#<>{}[]()|*~\"' \n\tabcXYZ019",
    "```bash\n",
    "```yaml\n",
    "```\n",
    "`--x`",
    "`A_B`",
    "Last updated: ",
    "<!-- stale: ignore -->",
    "    ",
    "\r\n",
    "| a | b |\n|---|---|\n",
    "GET /v1/",
    "python:3",
    "make ",
    "./s.sh ",
    "\x00",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_FUZZ_PIECES), max_size=60).map("".join))
def test_random_markdown_never_fails(body: str) -> None:
    assert isinstance(claims(body), list)


def test_front_matter_body_still_extracts() -> None:
    assert "scripts/a.sh" in subjects("---\ntitle: x\n---\n\nUse `scripts/a.sh`.")


def test_crlf_line_numbers() -> None:
    body = "Intro\r\n\r\n```bash\r\n./x.sh --y\r\n```\r\n"
    assert one(body, K.FLAG, "--y").span.line == 4


def test_one_megabyte_page() -> None:
    chunk = (
        "Run `./scripts/deploy.sh --region eu` with `BILLING_DB_URL` set; "
        "see `config/app.yaml`.\n\n"
        "```bash\nkubectl apply -f deploy/k8s/api.yaml\n```\n\n"
    )
    body = chunk * (1_000_000 // len(chunk))
    cs = claims(body)
    assert 0 < len(cs) <= 2000


def test_unsupported_content_type_raises_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        extract_claims(page("x", content_type="no-such-format"))


def test_internal_error_becomes_extraction_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import stale.extract as ex

    def boom(body: str) -> list[object]:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setitem(ex.FRONT_ENDS, "markdown", boom)
    with pytest.raises(ExtractionError) as info:
        extract_claims(page("x"))
    assert "\n" not in str(info.value)
    assert "boom" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        "The response has `status: 200` on success.",
        "Send `Content-Type: application/json` and `x-api-key: abc`.",
        "It fails with `error: connection refused`.",
        "Evaluate `a == b` or `result = compute()`.",
    ],
)
def test_key_value_lookalikes_are_not_config(body: str) -> None:
    assert [c for c in claims(body) if c.kind in (K.CONFIG, K.ENV)] == []


def test_plain_word_key_value_needs_config_context() -> None:
    assert ("config", "timeout", "30s", None) in triples("Set the option `timeout: 30s`.")


def test_kubectl_resource_refs_are_not_paths() -> None:
    body = (
        "```bash\nkubectl logs -f deploy/payments-api -n payments\n"
        "helm upgrade api ./charts/api\n```"
    )
    assert triples(body) == {("path", "charts/api", None, None)}


def test_table_default_column() -> None:
    body = (
        "| Setting | Env var | Default |\n|---|---|---|\n"
        "| Database URL | `DATABASE_URL` | `postgres://localhost/app` |\n"
        "| Workers | `WORKERS` | 4 |\n| Cache | `CACHE_TTL` | - |\n"
    )
    t = triples(body)
    assert ("env", "DATABASE_URL", "postgres://localhost/app", None) in t
    assert ("env", "WORKERS", "4", None) in t
    assert ("env", "CACHE_TTL", None, None) in t


def test_table_description_default() -> None:
    body = (
        "| Flag | Description |\n|---|---|\n| `--batch-size` | Rows per batch, defaults to 500 |\n"
    )
    assert ("flag", "--batch-size", "500", None) in triples(body)


def test_default_keeps_unit_words() -> None:
    assert ("config", "request_timeout", "30 seconds", None) in triples(
        "`request_timeout` defaults to 30 seconds."
    )


def test_stated_default_makes_a_camel_case_dotted_key_a_setting() -> None:
    from stale.extract import extract_claims
    from stale.model import Page

    page = Page(
        source="w",
        page_id="x.md",
        url="",
        title="t",
        content_type="markdown",
        body="- `quotes.cacheTtl` defaults to `300`.\n\nCall `quotes.refreshAll()` hourly.\n",
    )
    got = {(c.kind.value, c.subject, c.value) for c in extract_claims(page)}
    assert ("config", "quotes.cacheTtl", "300") in got
    assert ("symbol", "quotes.refreshAll", None) in got  # no default stated: still a symbol
