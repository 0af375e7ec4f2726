"""When the garbage collector runs around a scan (stale.collector)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stale import collector
from stale.cli import app

ROOT = Path(__file__).resolve().parent.parent

_CYCLE_AT_EXIT = """
import sys
from stale import collector

class Noisy:
    def __del__(self):
        sys.stderr.write("collected\\n")

a = Noisy()
a.me = a  # a cycle: only a collection frees it
del a
if sys.argv[1] == "skip":
    collector.skip_collection_at_exit()
"""


@pytest.mark.parametrize(("mode", "collected"), [("keep", True), ("skip", False)])
def test_a_command_that_ends_its_process_skips_the_last_collection(
    mode: str, collected: bool
) -> None:
    """What a command leaves in cycles (a scan: its code index) is not walked
    and freed at exit; without the skip, the interpreter's last collection does."""
    done = subprocess.run(
        [sys.executable, "-c", _CYCLE_AT_EXIT, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ("collected" in done.stderr) is collected


def test_the_scan_command_skips_it(
    world: dict[str, Path | str], monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[Callable[[], object]] = []
    monkeypatch.setattr(collector, "_SKIP_AT_EXIT", False)
    monkeypatch.setattr(collector.atexit, "register", registered.append)
    args = ["scan", "--wiki", str(world["wiki"]), "--repo", str(world["repo"])]
    res = CliRunner().invoke(app, [*args, "--store", str(world["store"]), "--quiet"])
    assert res.exit_code in (0, 1), res.output
    assert registered.count(gc.freeze) == 1
    assert gc.isenabled()  # the scan's pause is over
