"""A real MediaWiki on loopback for the tests (Debian's `mediawiki` package).

`mediawiki_wiki` (session-scoped fixture) installs a fresh wiki with SQLite into a
temp folder (`maintenance/install.php`), creates a bot password
(`createBotPassword.php`), serves it with `php -S 127.0.0.1:<free port>`
(`MW_CONFIG_FILE`, so nothing in /etc is touched) in its own process group,
waits for the API and stops the server afterwards.

Without the packages the tests that use it are skipped, with the reason;
under CI=true they fail instead (.ci/install-system-deps installs them).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

MW_ROOT = Path("/usr/share/mediawiki")
INSTALL = MW_ROOT / "maintenance" / "install.php"
BOT_PASSWORD = "stalebotpassword0123456789abcdefgh"  # MediaWiki wants ^[0-9a-w]{32,}$
ADMIN_PASSWORD = "Adm1n-pass-for-stale-tests"


@dataclass
class Wiki:
    api: str
    base: str
    username: str  # Admin@crawler
    password: str  # the bot password
    state: Path
    started_in: float  # seconds from nothing to API answering


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing_reason() -> str | None:
    if not INSTALL.exists():
        return f"MediaWiki is not installed ({INSTALL} missing); run .ci/install-system-deps"
    if shutil.which("php") is None:
        return "php is not installed; run .ci/install-system-deps"
    return None


def require_mediawiki() -> None:
    """Skip (locally) or fail (CI=true) when the MediaWiki packages are absent."""
    why = missing_reason()
    if why is None:
        return
    if _ci():
        pytest.fail(f"CI=true: {why}", pytrace=False)
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], **kw: object) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload]
    if out.returncode != 0:
        raise RuntimeError(
            f"{cmd[1]} failed ({out.returncode}): {out.stdout[-800:]} {out.stderr[-800:]}"
        )


def start_wiki(state: Path) -> tuple[Wiki, subprocess.Popen[bytes]]:
    t0 = time.monotonic()
    port = _free_port()
    (state / "data").mkdir(parents=True, exist_ok=True)
    conf = state / "LocalSettings.php"
    _run(
        [
            "php", str(INSTALL), "--quiet", "--dbtype", "sqlite", "--dbpath", str(state / "data"),
            "--dbname", "my_wiki", "--confpath", str(state),
            "--server", f"http://127.0.0.1:{port}", "--scriptpath", "", "--lang", "en",
            "--skins", "Vector", "--pass", ADMIN_PASSWORD, "TestWiki", "Admin",
        ]
    )  # fmt: skip
    with conf.open("a") as f:
        # quick and quiet: no job queue on requests, no rate limits for the tests
        f.write("\n$wgJobRunRate = 0;\n$wgRateLimits = [];\n$wgEnableUploads = false;\n")
    _run(
        [
            "php", str(MW_ROOT / "maintenance" / "createBotPassword.php"), "--conf", str(conf),
            "--appid", "crawler", "--grants",
            "basic,highvolume,editpage,createeditmovepage,delete", "Admin", BOT_PASSWORD,
        ]
    )  # fmt: skip
    log = (state / "server.log").open("wb")
    proc = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(MW_ROOT)],
        env={**os.environ, "MW_CONFIG_FILE": str(conf)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group
    )
    api = f"http://127.0.0.1:{port}/api.php"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(
                f"{api}?action=query&meta=siteinfo&format=json", timeout=2
            ) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"MediaWiki did not answer at {api}; see {state / 'server.log'}")
        time.sleep(0.1)
    wiki = Wiki(
        api=api,
        base=f"http://127.0.0.1:{port}",
        username="Admin@crawler",
        password=BOT_PASSWORD,
        state=state,
        started_in=time.monotonic() - t0,
    )
    return wiki, proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def mediawiki_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wiki]:
    require_mediawiki()
    wiki, proc = start_wiki(tmp_path_factory.mktemp("mediawiki"))
    try:
        yield wiki
    finally:
        stop(proc)
