"""Docs stay true: every command, option, setting and built-in plugin is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from stale import plugins
from stale.cli import app
from stale.config import JudgeConfig, LimitsConfig
from stale.model import HINT_KINDS, ClaimKind

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _commands(cmd: object, prefix: str) -> list[tuple[str, object]]:
    """(full name, command) for every leaf command, walking sub-groups."""
    subs = getattr(cmd, "commands", None)
    if not subs:
        return [(prefix, cmd)]
    out = []
    for name, sub in subs.items():
        out += _commands(sub, f"{prefix} {name}".strip())
    return out


def test_every_cli_command_and_option_is_in_docs_cli() -> None:
    text = (DOCS / "cli.md").read_text()
    commands = _commands(typer.main.get_command(app), "")
    names = {name for name, _ in commands}
    assert {"scan", "check", "report", "plugins", "triage list", "triage accept"} <= names
    for name, cmd in commands:
        assert f"## `stale {name}" in text, f"docs/cli.md lacks a section for `stale {name}`"
        section = text.split(f"## `stale {name}", 1)[1].split("\n## ", 1)[0]
        for param in getattr(cmd, "params", []):
            if getattr(param, "param_type_name", "") == "option":
                for opt in param.opts:
                    assert f"`{opt}" in section, f"`stale {name}` option {opt} undocumented"


def test_every_setting_is_in_docs_configuration() -> None:
    text = (DOCS / "configuration.md").read_text()
    for key in vars(JudgeConfig()):
        assert f"`{key}`" in text, key
    limits = text.split("## `[limits]`", 1)[1].split("\n## ", 1)[0]
    for key in vars(LimitsConfig()):
        assert f"| `{key}` |" in limits, f"[limits] {key} is not in docs/configuration.md"
    for key in (
        "store",
        "name",
        "path",
        "type",
        "repos",
        "repo_map",
        "url_base",
        "include_hidden",
        "fail_on",
        "baseline",
    ):
        assert f"`{key}`" in text, key


def test_every_builtin_plugin_is_registered_and_documented() -> None:
    text = (DOCS / "plugins.md").read_text()
    for group in plugins.GROUPS:
        names = [p.name for p in plugins.available(group)]
        assert names, f"no plugins registered in {group}: is the package installed (pip -e .)?"
        for name in names:
            assert f"`{name}`" in text, (group, name)
            assert plugins.load(group, name) is not None


def test_every_checkable_claim_kind_has_a_verifier() -> None:
    handled: set[ClaimKind] = set()
    for cls in plugins.load_all("stale.verifiers").values():
        handled |= set(cls().kinds)
    assert handled >= set(ClaimKind) - HINT_KINDS


def test_docs_links_resolve() -> None:
    for md in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+\.(?:md|toml))\)", md.read_text()):
            assert (md.parent / target).resolve().exists(), (md.name, target)
