"""The hypothesis budget of the fuzz suites.

In CI (and by default) every suite runs a fixed, derandomized 150 examples per
property: reproducible and about a minute in all. For a deeper search set
`STALE_FUZZ_EXAMPLES` (`make fuzz-long` uses 20000): examples are then drawn at
random, new ones each run, and hypothesis keeps failing examples in
`.hypothesis/` so a rerun tries them first.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

LONG_EXAMPLES = int(os.environ.get("STALE_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings() -> settings:
    checks = [HealthCheck.too_slow, HealthCheck.data_too_large]
    if LONG_EXAMPLES > 0:
        return settings(
            max_examples=LONG_EXAMPLES,
            deadline=None,
            derandomize=False,
            suppress_health_check=checks,
        )
    return settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=checks,
    )
