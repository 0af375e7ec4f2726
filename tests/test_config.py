from pathlib import Path

import pytest

from stale.config import ConfigError, load_config, parse_config


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "stale.toml"
    p.write_text(text)
    return p


def test_full_config_parses_and_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            """
store = "state/stale.db"
[[repos]]
name = "billing"
path = "code/billing"
[[sources]]
name = "eng"
type = "markdown"
path = "wiki"
repos = ["billing"]
[judge]
stale_score = 0.7
[scan]
fail_on = "suspect"
""",
        )
    )
    base = tmp_path.resolve()
    assert cfg.store == base / "state/stale.db"
    assert cfg.repos[0].name == "billing" and cfg.repos[0].path == base / "code/billing"
    assert cfg.sources[0].options["path"] == str(base / "wiki")
    assert cfg.sources[0].repos == ("billing",)
    assert cfg.judge.stale_score == 0.7
    assert cfg.scan.fail_on == "suspect"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("colour = 1", "colour"),
        ("[judge]\nstale_scor = 0.5", "judge.stale_scor"),
        ("[judge]\nstale_score = 'high'", "judge.stale_score"),
        ("[judge]\nstale_score = 1.5", "judge.stale_score"),
        ("[judge]\nsuspect_score = 0.9\nstale_score = 0.5", "judge.suspect_score"),
        ("[scan]\nfail_on = 'never'", "scan.fail_on"),
        ("[[repos]]\nname = 'x'", "repos[0].path"),
        ("[[repos]]\npath = 'a'\nbranch = 'main'", "repos[0].branch"),
        ("[[sources]]\nname = 'w'", "sources[0].type"),
        ("[[repos]]\npath='a'\n[[sources]]\ntype='markdown'\nrepos=['nope']", "sources[0].repos"),
        ("store = 3", "store"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, text: str, names: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, text))
    msg = str(e.value)
    assert msg.startswith(names + ":"), msg
    assert "\n" not in msg


def test_secrets_come_from_env_only_by_reference(tmp_path: Path) -> None:
    data = {"sources": [{"type": "markdown", "path": "w", "token": "${WIKI_TOKEN}"}]}
    cfg = parse_config(data, tmp_path, environ={"WIKI_TOKEN": "s3cr3t"})
    assert cfg.sources[0].options["token"] == "s3cr3t"
    with pytest.raises(ConfigError) as e:
        parse_config(data, tmp_path, environ={})
    assert "WIKI_TOKEN" in str(e.value)
    assert "sources[0].token" in str(e.value)
    assert "s3cr3t" not in str(e.value)


def test_malformed_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[judge\nx=1"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_example_config_is_valid_and_documents_every_key() -> None:
    root = Path(__file__).resolve().parent.parent
    example = root / "config.example.toml"
    cfg = load_config(example, environ={"CONFLUENCE_TOKEN": "x", "WIKI_TOKEN": "x"})
    text = example.read_text()
    from stale.config import JudgeConfig

    for key in vars(JudgeConfig()):
        assert key in text, f"config.example.toml does not document judge.{key}"
    for key in ("store", "[[repos]]", "[[sources]]", "fail_on", "url_base"):
        assert key in text
    assert cfg.sources
