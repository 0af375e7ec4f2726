"""Hostile repository files: the codebase extractors never crash and never run code.

Every per-file extractor (chosen the way `stale.codebase.index` dispatches by file
name) is fed arbitrary text and structured near-misses of its format. The
extractor itself must not raise: the index build would survive it (it records
the file in `skipped`), but a crash means facts silently lost. The index build
is then checked end to end on a folder of hostile files: it returns, and every
file it could not parse is in `skipped`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzbudget import fuzz_settings
from hypothesis import example, given
from hypothesis import strategies as st

from stale.codebase.index import _extract_one, _extractor_for, build_index
from stale.codebase.sink import FactSink

FUZZ = fuzz_settings()  # fixed and derandomized unless STALE_FUZZ_EXAMPLES is set

_NAMES = [
    "db",
    "url",
    "region",
    "PORT",
    "x",
    "name",
    "image",
    "version",
    "env",
    "services",
    "environment",
    "paths",
    "get",
    "post",
    "scripts",
    "tool",
    "python",
    "node",
    "go",
]
_ATOM = st.one_of(
    st.sampled_from(_NAMES),
    st.sampled_from(
        [
            "${DB_URL}",
            "${X:-1}",
            "$HOME",
            "'",
            '"',
            "\\",
            "{",
            "}",
            "[",
            "]",
            "(",
            ")",
            ":",
            "=",
            "#",
            ";",
            "&",
            "*",
            "!",
            "|",
            ">",
            "<",
            "`",
            "$(",
            "\t",
            "\r",
            "\x00",
            "\ufeff",
            "é",
            "𝔘",
            "3.12",
            "v1.2",
            "1e999",
            "-1",
            "null",
            "true",
            "0x",
            "--region",
            "-r",
        ]
    ),
    st.text(max_size=6),
)
_LINE = st.lists(_ATOM, max_size=6).map(" ".join)


def _doc(fragments: list[str]) -> st.SearchStrategy[str]:
    """Lines made of format fragments, words and junk, optionally indented."""
    line = st.one_of(
        st.sampled_from(fragments),
        st.builds(lambda f, w: f.replace("{}", w), st.sampled_from(fragments), _LINE),
        _LINE,
    )
    return st.lists(
        st.builds(lambda ind, ln: ind + ln, st.sampled_from(["", "  ", "    ", "\t"]), line),
        max_size=12,
    ).map("\n".join)


FORMATS: dict[str, list[str]] = {
    "app/main.py": [
        "import argparse",
        "import os",
        "import click",
        "import typer",
        "from flask import Flask",
        "p = argparse.ArgumentParser()",
        "p.add_argument('--{}', default={})",
        "p.add_argument({})",
        "os.environ.get('{}', {})",
        "os.getenv({})",
        "os.environ['{}']",
        "@click.option('--{}', '-{}')",
        "@click.command()",
        "def {}():",
        "class {}:",
        "class {}({}):",
        "    def {}(self, {}):",
        "@app.get('/{}')",
        "@app.route({}, methods=[{}])",
        "app = typer.Typer()",
        "@app.command()",
        "async def {}():",
        "    pass",
        "    return {}",
        "x: int = {}",
        "{} = lambda: {}",
        "if __name__ == '__main__':",
        "    main()",
        "from . import {}",
        "from .{} import *",
        "global {}",
        "@{}",
        "(" * 5,
        "[" * 40,
    ],
    "config/app.yaml": [
        "{}:",
        "{}: {}",
        "- {}",
        "- {}: {}",
        "&a {}",
        "*a",
        "<<: *a",
        "---",
        "...",
        "? {}",
        "!!python/object/apply:os.system ['{}']",
        "image: {}:{}",
        "environment:",
        "  - {}={}",
        "env:",
        "  {}: {}",
        "paths:",
        "  /v1/{}:",
        "    get:",
        "version: {}",
        "{}: |",
        "{}: >-",
        "{}: [{}, {}",
        "{}: {{{}: {}}}",
        "%YAML 1.1",
        "%TAG ! tag:x",
        "!!binary {}",
    ],
    "pyproject.toml": [
        "[{}]",
        "[[{}]]",
        "{} = {}",
        '{} = "{}"',
        "{} = [{}]",
        "{} = {{ {} = {} }}",
        "[project.scripts]",
        '{} = "{}:{}"',
        "[tool.poetry.dependencies]",
        'python = "{}"',
        '"{}" = {}',
        "'''",
        '"""',
        "[{}.{}]",
        "{}.{} = {}",
        "requires-python = '{}'",
    ],
    "package.json": [
        "{",
        "}",
        '"{}": {},',
        '"{}": "{}"',
        '"scripts": {',
        '"engines": {"node": "{}"}',
        "[",
        "]",
        '"{}": [',
        '"\\u00{}"',
        "{}:",
        "null",
        '"version": "{}"',
        '"paths": {"/{}": {',
    ],
    "setup.cfg": [
        "[{}]",
        "{} = {}",
        "{}: {}",
        "  {}",
        "[options.entry_points]",
        "console_scripts =",
        "    {} = {}:{}",
        "[tox:{}]",
        "%(",
        "%({})s",
        ";{}",
        "#{}",
    ],
    ".env": ["{}={}", "export {}={}", "{}='{}'", '{}="{}', "# {}", "{}", "={}", "{} = {}"],
    "Dockerfile": [
        "FROM {}",
        "FROM {}:{} AS {}",
        "ARG {}={}",
        "ENV {} {}",
        "ENV {}={} {}={}",
        "RUN {}",
        "RUN {} \\",
        "CMD [{}]",
        'ENTRYPOINT ["{}", "--{}"]',
        "EXPOSE {}",
        "COPY {} {}",
        "FROM ${{{}}}",
        "RUN go build -o {} ./{}",
        "# syntax={}",
        "WORKDIR {}",
        "USER {}",
    ],
    "Makefile": [
        "{}:",
        "{}: {}",
        "\t{}",
        "\t$(MAKE) {}",
        ".PHONY: {}",
        "{} := {}",
        "{} ?= {}",
        "include {}",
        "define {}",
        "endef",
        "ifeq ({},{})",
        "endif",
        "{}: ## {}",
        "\\",
        "$({})",
        "\tgo build -o {} ./{}",
        "%.o: %.c",
        "$$({})",
    ],
    "scripts/run.sh": [
        "#!/bin/bash",
        'case "$1" in',
        "  --{}) {}; shift ;;",
        "  -{}|--{}) shift 2 ;;",
        "esac",
        "while getopts '{}' opt; do",
        "done",
        "{}=${{{}:-{}}}",
        "export {}={}",
        ': "${{{}:?}}"',
        'if [ -z "${}" ]; then',
        "fi",
        "$(( {} ))",
        "<<EOF",
        "EOF",
        "<<'{}'",
        "{}() {{",
        "}}",
        "function {} {{",
        "getopt -o {} --long {}",
        "[[ $1 == --{} ]]",
    ],
    "cmd/main.go": [
        "package main",
        "package {}",
        'import "flag"',
        "import (",
        ")",
        'flag.String("{}", {}, {})',
        'flag.IntVar(&{}, "{}", {}, "{}")',
        'os.Getenv("{}")',
        "func main() {",
        "}",
        "func {}({}) {}",
        'http.HandleFunc("/{}", {})',
        'r.GET("/{}", {})',
        "`{}`",
        "/*",
        "*/",
        "// {}",
        "var {} = flag.Bool(",
        'const {} = "{}"',
        "pflag.StringP({})",
    ],
    "web/app.ts": [
        "process.env.{}",
        "process.env['{}']",
        "import {} from '{}'",
        "export function {}() {",
        "}",
        "app.get('/{}', {})",
        "router.post(`/{}`, {})",
        "program.option('--{}', {})",
        ".option('-{}, --{} <{}>')",
        "const {} = {};",
        "/* {}",
        "*/",
        "// {}",
        "`${{{}}}`",
        "yargs.option('{}', {{ default: {} }})",
        "export default {}",
    ],
    "infra/main.tf": [
        'variable "{}" {',
        "}",
        'resource "{}" "{}" {',
        '  {} = "{}"',
        "  {} = {}",
        "/*",
        "*/",
        "# {}",
        "// {}",
        "<<EOF",
        "EOF",
        "<<-{}",
        '  default = "{}"',
        'module "{}" {',
        '  source = "{}"',
        '  version = "{}"',
        "${{{}}}",
        "terraform {",
        "  required_version = {}",
        'provider "{}" {',
        "locals {",
        "  {} = {{",
        "  }",
    ],
    "requirements.txt": [
        "{}=={}",
        "{}>={}",
        "-r {}",
        "-e {}",
        "--{} {}",
        "{}[{}]",
        "# {}",
        "{};{}",
    ],
    ".python-version": ["{}", "3.{}", "pypy{}", ""],
    "go.mod": [
        "module {}",
        "go {}",
        "toolchain go{}",
        "require (",
        ")",
        "\t{} v{}",
        "replace {} => {}",
    ],
    ".tool-versions": ["{} {}", "# {}", "{}", "nodejs {}", "python {} {}"],
    "app.properties": ["{}={}", "{}: {}", "{} {}", "! {}", "# {}", "{}=\\", "  {}"],
}


@pytest.mark.parametrize("path", sorted(FORMATS))
@FUZZ
@given(data=st.data())
def test_extractor_survives_hostile_files(path: str, data: st.DataObject) -> None:
    extractor = _extractor_for(path, {path, "cmd/main.go"})
    assert extractor is not None, path
    text = data.draw(st.one_of(_doc(FORMATS[path]), st.text(max_size=300)), label="text")
    sink = FactSink("fuzz")
    extractor(path, text, sink)  # no exception: a crash would lose the file's facts
    for _, why in sink.skipped:
        assert not why.startswith("extractor error"), why
    for facts in (sink.flags, sink.env, sink.config, sink.versions, sink.routes, sink.commands):
        for f in facts:
            assert f.loc.line is None or f.loc.line >= 1, f


@FUZZ
@given(
    path=st.sampled_from(
        [*sorted(FORMATS), "bin/tool", "x.cfg", "a.yml", "Containerfile", "deploy.mk", "Pipfile"]
    ),
    data=st.binary(max_size=300),
)
@example(path="bin/tool", data=b"#!/usr/bin/env python3\nimport os\nos.environ['X']\n")
@example(path="bin/tool", data=b"#!/bin/sh\ncase $1 in --x) ;; esac\n")
@example(path="a.yml", data=b"a: &a [*a, *a]\nb: *a\n")
@example(path="app/main.py", data=b"\xff\xfe" + "x = 1\n".encode("utf-16-le"))
def test_index_dispatch_never_raises(path: str, data: bytes) -> None:
    sink = FactSink("fuzz")
    _extract_one(path, data, sink, {path})
    assert all(p == path for p, _ in sink.skipped)


_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
)


def test_index_build_on_a_folder_of_hostile_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    files: dict[str, bytes] = {
        "bad.py": b"def f(:\n",
        "deep.py": b"x = " + b"(" * 5000 + b")" * 5000 + b"\n",
        "bomb.yaml": _BOMB.encode(),
        "bad.yaml": b"a: [\n",
        "bad.toml": b"[x\n= 1",
        "bad.json": b'{"a": ',
        "deep.json": b"[" * 100_000 + b"]" * 100_000,
        "binary.py": b"\x00\x01\x02" * 10,
        "latin1.env": "PASSWORD=caf\xe9\n".encode("latin-1"),
        "Makefile": b"x:\n\t$(" * 1000,
        "Dockerfile": b"FROM " + b"${" * 2000,
        "main.tf": b'variable "x" {\n' * 500 + b"/*",
        "run.sh": b'#!/bin/sh\ncase "$1" in\n' + b"  --a|" * 2000,
        "app.ts": b"process.env." + b"`${" * 3000,
        "main.go": b'package main\nflag.String("' + b"(" * 3000,
        "huge.yaml": b"a: 1\n" * (300 * 1024),  # over MAX_FILE_BYTES
    }
    for name, data in files.items():
        p = repo / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (repo / "link.py").symlink_to("/etc/passwd")
    index = build_index("hostile", repo)
    skipped = dict(index.skipped)
    assert "huge.yaml" in skipped and skipped["huge.yaml"].startswith("too large")
    for name in ("bad.py", "bad.yaml", "binary.py"):
        assert name in skipped, (name, skipped)
    assert not any(why.startswith("extractor error") for why in skipped.values()), skipped
    assert index.files >= set(files)
