"""Progress of a scan: a live line on a terminal, periodic log lines otherwise.

Cron and CI capture output, so when stderr is not a terminal we print one line
every `every_s` seconds (plain text or JSON, as asked) instead of redrawing.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from stale.model import Page, Status


class ScanProgress:
    """`on_page` is passed to `run_scan`; `close()` ends the live display."""

    def __init__(
        self,
        *,
        quiet: bool = False,
        log_format: str = "text",
        stream: TextIO | None = None,
        every_s: float = 10.0,
        live: bool | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.log_format = log_format
        self.every_s = every_s
        self.live = (
            (not quiet and log_format == "text" and self.stream.isatty()) if live is None else live
        )
        self.started = time.monotonic()
        self.last_line = self.started
        self.seen = 0
        self.checked = 0
        self.by_status: dict[str, int] = {}
        self._progress = None
        self._task = None
        if self.live:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=True,
                # refreshed from on_page, not by a thread: with no other thread
                # alive the scan may fork helpers (stale.parallel.Forked)
                auto_refresh=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("scanning", total=None)

    def on_page(self, page: Page, status: Status | None) -> None:
        self.seen += 1
        if status is not None:
            self.checked += 1
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
        now = time.monotonic()
        if self._progress is not None and self._task is not None:
            refresh = now - self.last_line >= 0.1
            if refresh:
                self.last_line = now
            self._progress.update(
                self._task,
                description=f"{self.seen} pages, {self.checked} checked  {page.page_id[-50:]}",
                refresh=refresh,
            )
            return
        if not self.quiet and now - self.last_line >= self.every_s:
            self.last_line = now
            self.emit("progress")

    def emit(self, event: str, **extra: object) -> None:
        elapsed = round(time.monotonic() - self.started, 1)
        if self.log_format == "json":
            doc = {
                "event": event,
                "seen": self.seen,
                "checked": self.checked,
                "elapsed_s": elapsed,
                "statuses": dict(self.by_status),
                **extra,
            }
            print(json.dumps(doc), file=self.stream, flush=True)
        else:
            print(
                f"stale scan: {self.seen} pages seen, {self.checked} checked, {elapsed}s",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
