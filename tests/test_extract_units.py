"""Unit tests for the building blocks of claim extraction."""

from __future__ import annotations

import pytest

from stale.extract.commands import analyze_line, command_context, tokenize
from stale.extract.context import page_is_historical, sentence_is_historical
from stale.extract.dates import to_iso
from stale.extract.links import repo_link
from stale.extract.markdown import parse_markdown
from stale.extract.patterns import endpoint_subject, env_name, image_version, path_subject
from stale.extract.segments import CodeBlock, Heading, Sentence
from stale.extract.suppress import parse_suppressions
from stale.model import Page


def test_front_end_splits_sentences_outside_code_and_abbreviations() -> None:
    segs = parse_markdown("Use `a.b. C` here, e.g. Now. Second `x`.\nThird line.")
    texts = [s.text for s in segs if isinstance(s, Sentence)]
    assert texts == ["Use `a.b. C` here, e.g. Now.", "Second `x`.", "Third line."]


def test_front_end_segments_and_lines() -> None:
    body = "# Title\n\npara one\nwith `code`\n\n```bash {.x}\nls\n```\n\n    indented\n"
    segs = parse_markdown(body)
    heading = next(s for s in segs if isinstance(s, Heading))
    assert (heading.level, heading.text, heading.line) == (1, "Title", 1)
    para = next(s for s in segs if isinstance(s, Sentence) and not s.is_heading)
    assert para.line == 3
    assert para.codes[0].line == 4
    assert para.text[para.codes[0].start : para.codes[0].end] == "`code`"
    blocks = [s for s in segs if isinstance(s, CodeBlock)]
    assert [(b.info, b.lines, b.first_line) for b in blocks] == [
        ("bash", ("ls",), 7),
        ("", ("indented",), 10),
    ]


def test_table_rows_carry_cells_and_header() -> None:
    segs = parse_markdown("| Name | Default |\n|---|---|\n| `A_B` | 3 |\n")
    row = [s for s in segs if isinstance(s, Sentence)][-1]
    assert row.cells == ("`A_B`", "3")
    assert row.header == ("Name", "Default")
    assert row.codes[0].cell == 0


def test_tokenize_splits_on_operators() -> None:
    assert tokenize("a --x && b | c; d") == [["a", "--x"], ["b"], ["c"], ["d"]]
    assert tokenize("echo 'unclosed") == [["echo", "'unclosed"]]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("./scripts/deploy.sh --x", ("scripts/deploy.sh", False)),
        ("python -m acme.cli run", ("acme.cli", False)),
        ("python3 tools/migrate.py", ("tools/migrate.py", False)),
        ("kubectl get pods", (None, True)),
        ("acme-cli deploy", ("acme-cli", False)),
        ("python -m pip install x", (None, True)),
    ],
)
def test_command_context(line: str, expected: tuple[str | None, bool]) -> None:
    assert command_context(line) == expected


def test_flag_value_form_is_flag_without_value() -> None:
    (path, flag) = analyze_line("./run.sh --region=eu-west")
    assert (flag.subject, flag.value, flag.context) == ("--region", None, "run.sh")
    assert path.subject == "run.sh"


def test_output_redirect_targets_are_not_paths() -> None:
    assert [d.subject for d in analyze_line("psql < db/seed.sql > out/result.txt")] == [
        "db/seed.sql"
    ]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("scripts/deploy.sh", "scripts/deploy.sh"),
        ("./bin/acme", "bin/acme"),
        ("src/app.py:42", "src/app.py"),
        ("migrations/", "migrations"),
        (".github/workflows/ci.yml", ".github/workflows/ci.yml"),
        (".env.example", ".env.example"),
        ("Dockerfile.prod", "Dockerfile.prod"),
        ("../other/x.py", None),
        ("refs/heads/main", None),
        ("text/plain", None),
        ("2023/01/02", None),
        ("I/O", None),
    ],
)
def test_path_subject(token: str, expected: str | None) -> None:
    assert path_subject(token) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("DELETE /v1/items/{item_id}/", "DELETE /v1/items/{}"),
        ("/api/users/[id]", "/api/users/{}"),
        ("/etc/nginx/{name}.conf", None),
        ("/usr/local/bin", None),
        ("GET /api/foo", None),
    ],
)
def test_endpoint_subject(token: str, expected: str | None) -> None:
    assert endpoint_subject(token) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("$DB_URL", "DB_URL"),
        ("${REDIS_HOST}", "REDIS_HOST"),
        ("${BROKEN", None),
        ("YOUR_API_KEY", None),
        ("MY_VAR", None),
        ("UTF8", None),
        ("ABC", None),
        ("HOME", None),
    ],
)
def test_env_name(token: str, expected: str | None) -> None:
    assert env_name(token) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("golang:1.21-alpine", ("go", "1.21")),
        ("docker.io/library/redis:7.2", ("redis", "7.2")),
        ("postgres:latest", None),
        ("timeout:30", None),
    ],
)
def test_image_version(token: str, expected: tuple[str, str] | None) -> None:
    assert image_version(token) == expected


def test_repo_link_variants() -> None:
    assert repo_link("https://github.com/acme/api/blob/main/src/a%20b.py#L3") == (
        "acme/api",
        "src/a b.py",
    )
    assert repo_link("https://gitea.acme.io/ops/infra/src/branch/main/tf/main.tf") == (
        "ops/infra",
        "tf/main.tf",
    )
    assert repo_link("https://bitbucket.acme.io/projects/PAY/repos/api/browse/pom.xml") == (
        "PAY/api",
        "pom.xml",
    )
    assert repo_link("https://github.com/acme/api/pull/12") is None
    assert repo_link("https://github.com/ORG/REPO/blob/main/x.py") is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2023-03-03", "2023-03-03"),
        ("Q4 2021", "2021-10-01"),
        ("2022 Q1", "2022-01-01"),
        ("3 March 2023", "2023-03-03"),
        ("March 3rd, 2023", "2023-03-03"),
        ("2020", "2020-01-01"),
        ("3 times in 2021", None),
        ("next week", None),
    ],
)
def test_to_iso(text: str, iso: str | None) -> None:
    assert to_iso(text) == iso


def test_page_and_sentence_history_cues() -> None:
    def pg(title: str, page_id: str = "p.md") -> Page:
        return Page("wiki", page_id, "", title, "", "markdown")

    assert page_is_historical(pg("Postmortem: outage"))
    assert page_is_historical(pg("Notes", "eng/retros/2023-q1.md"))
    assert page_is_historical(pg("Release notes 1.2"))
    assert not page_is_historical(pg("Address book service"))
    assert sentence_is_historical("Until 2022 we deployed by hand.")
    assert not sentence_is_historical("Deploy with the script.")
    assert not sentence_is_historical("The older workers are fine.")


def test_suppression_parsing() -> None:
    sup = parse_suppressions("a\n<!-- stale: ignore -->\n\nb\n<!-- stale: ignore X, Y -->\n")
    assert sup.lines == {4}
    assert {"X", "Y"} <= sup.subjects
    assert not sup.page
