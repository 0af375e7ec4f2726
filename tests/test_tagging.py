"""Write-back policy: opt-in, dry run, cap per run, recorded, idempotent, reversible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_integrations_support import result

from connectors.base import ConnectorError
from stale.config import Config, ConfigError, SourceConfig
from stale.model import Page, Status, Verdict
from stale.store import MIGRATIONS, Store
from stale.tagging import TaggingConfigError, apply_tags, parse_tagging, plan_tags


class FakeWiki:
    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail_on = fail_on

    def tag(self, page: Page, verdict: Verdict) -> None:
        if page.page_id == self.fail_on:
            raise ConnectorError("source w: 409 Conflict from http://wiki/api.php")
        self.calls.append(("tag", page.page_id))

    def untag(self, page: Page) -> None:
        self.calls.append(("untag", page.page_id))


def make_store(path: Path, statuses: dict[str, Status]) -> Path:
    with Store.open(path) as db:
        run = db.start_run("fp")
        db.save_results(
            [
                result("w", pid, f"http://wiki/{pid}", pid.title(), st, (f"{pid} is {st}",))
                for pid, st in statuses.items()
            ],
            run_id=run,
            code_fingerprint="fp",
            settings_fingerprint="s",
        )
    return path


def cfg(tmp_path: Path, **tagging: Any) -> Config:
    return Config(
        store=tmp_path / "s.db",
        sources=(SourceConfig("w", "fake", {"tagging": tagging} if tagging else {}),),
    )


def test_off_by_default(tmp_path: Path) -> None:
    make_store(tmp_path / "s.db", {"a": Status.STALE})
    with Store.open(tmp_path / "s.db") as db:
        (plan,) = plan_tags(cfg(tmp_path), db)
    assert not plan.enabled and not plan.actions
    assert "sources.w.tagging.enabled = true" in plan.note


def test_tag_record_idempotent_and_untag_when_current(tmp_path: Path) -> None:
    make_store(tmp_path / "s.db", {"a": Status.STALE, "b": Status.CURRENT, "c": Status.SUSPECT})
    c = cfg(tmp_path, enabled=True)
    wiki = FakeWiki()
    with Store.open(tmp_path / "s.db") as db:
        plans = plan_tags(c, db)
        assert [(a.page_id, a.action, a.reason) for a in plans[0].actions] == [
            ("a", "tag", "a is stale")
        ]
        res = apply_tags(c, db, plans, connector_for=lambda s: wiki)
        assert [a.page_id for a in res.done] == ["a"] and wiki.calls == [("tag", "a")]
        assert db.tagged("w") == {"a": "a is stale"}
        # rerun: nothing to do
        assert plan_tags(c, db)[0].actions == []
    make_store(tmp_path / "s.db", {"a": Status.CURRENT})
    with Store.open(tmp_path / "s.db") as db:
        plans = plan_tags(c, db)
        assert [(a.page_id, a.action) for a in plans[0].actions] == [("a", "untag")]
        apply_tags(c, db, plans, connector_for=lambda s: wiki)
        assert wiki.calls[-1] == ("untag", "a") and db.tagged("w") == {}
        log = [(x["page_id"], x["action"], x["status"]) for x in db.tag_actions()]
        assert log == [("a", "untag", "ok"), ("a", "tag", "ok")]


def test_cap_stops_and_reports_instead_of_tagging_some(tmp_path: Path) -> None:
    make_store(tmp_path / "s.db", {f"p{i}": Status.STALE for i in range(5)})
    c = cfg(tmp_path, enabled=True, max_per_run=3)
    wiki = FakeWiki()
    with Store.open(tmp_path / "s.db") as db:
        plans = plan_tags(c, db)
        assert plans[0].over_cap
        res = apply_tags(c, db, plans, connector_for=lambda s: wiki)
        assert wiki.calls == [] and res.done == []
        assert "5 changes planned, more than tagging.max_per_run = 3" in res.skipped[0]
        assert db.tag_actions() == []


def test_failures_are_recorded_and_retried_next_run(tmp_path: Path) -> None:
    make_store(tmp_path / "s.db", {"a": Status.STALE, "b": Status.STALE})
    c = cfg(tmp_path, enabled=True)
    with Store.open(tmp_path / "s.db") as db:
        res = apply_tags(c, db, plan_tags(c, db), connector_for=lambda s: FakeWiki(fail_on="a"))
        assert [a.page_id for a, _ in res.failed] == ["a"]
        row = next(x for x in db.tag_actions() if x["page_id"] == "a")
        assert row["status"] == "failed" and "409 Conflict" in row["error"]
        assert [a.page_id for a in plan_tags(c, db)[0].actions] == ["a"]


def test_connector_without_write_back_is_skipped(tmp_path: Path) -> None:
    make_store(tmp_path / "s.db", {"a": Status.STALE})
    c = cfg(tmp_path, enabled=True)
    with Store.open(tmp_path / "s.db") as db:
        res = apply_tags(c, db, plan_tags(c, db), connector_for=lambda s: object())
    assert "cannot write tags back" in res.skipped[0]


def test_tagging_config_errors_name_the_key() -> None:
    with pytest.raises(TaggingConfigError, match=r"^sources.w.tagging.enabled: expected true"):
        parse_tagging("w", {"enabled": "yes"})
    with pytest.raises(TaggingConfigError, match=r"^sources.w.tagging.max_per_run: "):
        parse_tagging("w", {"max_per_run": -1})
    with pytest.raises(TaggingConfigError, match=r"^sources.w.tagging.statuses: 'current'"):
        parse_tagging("w", {"statuses": ["current"]})
    with pytest.raises(TaggingConfigError, match=r"^sources.w.tagging.category: expected a str"):
        parse_tagging("w", {"category": 3}, {"category": str})
    with pytest.raises(TaggingConfigError, match=r"^sources.w.tagging.colour: unknown key"):
        parse_tagging("w", {"colour": 3}, {"category": str})
    assert parse_tagging("w", None).enabled is False


def test_unknown_source_name(tmp_path: Path) -> None:
    make_store(tmp_path / "s.db", {"a": Status.STALE})
    with Store.open(tmp_path / "s.db") as db, pytest.raises(ConfigError, match="--source"):
        plan_tags(cfg(tmp_path), db, ["nope"])


def test_migration_is_appended_last() -> None:
    names = [n for n, _ in MIGRATIONS]
    assert "write-back: tag actions and tag state" in names
