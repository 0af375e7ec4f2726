"""Write-back for a Markdown wiki: opt-in front-matter field and banner, reversible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.base import ConnectorError
from connectors.markdown import MarkdownFolderConnector
from stale.cli import app

ORIGINAL = (
    "---\ntitle: Deploy\nowner: ana\n---\n# Deploy\n\n"
    "```bash\n./scripts/deploy.sh --region eu\n```\n"
)


def test_tag_and_untag_round_trip_exactly(tmp_path: Path) -> None:
    (tmp_path / "deploy.md").write_text(ORIGINAL)
    c = MarkdownFolderConnector.from_config(
        "w",
        {
            "path": str(tmp_path),
            "tagging": {"enabled": True, "field": "stale", "banner": "> **Outdated?** {reason}"},
        },
    )
    text = c.tagged_text(ORIGINAL, "stale", "flag `--region` was removed; renamed to `--zone`")
    assert "\nstale: stale\n---\n" in text
    assert "<!-- stale: ignore -->\n> **Outdated?** flag `--region` was removed" in text
    assert c.tagged_text(text, "stale", "again").count("<!-- stale: ignore -->") == 1
    assert c.untagged_text(text) == ORIGINAL
    bare = "# No front matter\n\ntext\n"
    assert c.untagged_text(c.tagged_text(bare, "stale", "r")) == bare


def test_config_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match=r"tagging\.field"):
        MarkdownFolderConnector.from_config(
            "w", {"path": str(tmp_path), "tagging": {"enabled": True}}
        )
    with pytest.raises(ConnectorError, match=r"tagging\.colour"):
        MarkdownFolderConnector.from_config(
            "w", {"path": str(tmp_path), "tagging": {"enabled": True, "colour": "red"}}
        )
    with pytest.raises(ConnectorError, match=r"tagging\.banner"):
        MarkdownFolderConnector.from_config(
            "w", {"path": str(tmp_path), "tagging": {"enabled": True, "banner": "a\nb"}}
        )


def test_stale_tag_writes_then_removes_when_fixed(
    world: dict[str, Path | str], tmp_path: Path
) -> None:
    wiki = Path(world["wiki"])
    cfg = tmp_path / "stale.toml"
    cfg.write_text(
        f'store = "{world["store"]}"\n'
        f'[[repos]]\nname = "billing"\npath = "{world["repo"]}"\n'
        f'[[sources]]\nname = "wiki"\ntype = "markdown"\npath = "{wiki}"\n'
        'tagging = { enabled = true, field = "stale", banner = "> **Outdated?** {reason}" }\n'
    )
    runner = CliRunner()
    before = (wiki / "old.md").read_text()
    assert runner.invoke(app, ["scan", "--config", str(cfg)]).exit_code == 1
    res = runner.invoke(app, ["tag", "--config", str(cfg), "--dry-run", "--json"])
    assert [(a["page_id"], a["action"]) for a in json.loads(res.output)[0]["actions"]] == [
        ("old.md", "tag")
    ]
    assert (wiki / "old.md").read_text() == before  # dry run
    assert runner.invoke(app, ["tag", "--config", str(cfg)]).exit_code == 0
    tagged = (wiki / "old.md").read_text()
    assert tagged.startswith("---\nstale: stale\n---\n<!-- stale: ignore -->\n> **Outdated?**")
    # The banner's own words are never claims: the page is stale for the flag only.
    res = runner.invoke(app, ["scan", "--config", str(cfg), "--json"])
    assert json.loads(res.stdout)["counts"]["stale"] == 1
    # Someone fixes the page (keeping the tag): it turns current and the tag goes.
    (wiki / "old.md").write_text(tagged.replace("--region", "--zone"))
    assert runner.invoke(app, ["scan", "--config", str(cfg)]).exit_code == 0
    assert runner.invoke(app, ["tag", "--config", str(cfg)]).exit_code == 0
    assert (wiki / "old.md").read_text() == before.replace("--region", "--zone")
