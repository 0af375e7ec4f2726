"""bench/redos.py's adversarial inputs at 50 KB: every extractor finishes on them.

No timing assertion (CI machines vary); a catastrophic-backtracking regression
shows up as this test taking minutes instead of seconds, and as a FAIL line in
`python -m bench.redos`, which times the same inputs at 1 MB.
"""

from __future__ import annotations

import pytest

from bench.redos import PATTERNS, TARGETS, _fill, run_one

SIZE = 50_000


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_adversarial_inputs_complete(target: str) -> None:
    for pattern, (unit, head, tail) in PATTERNS.items():
        result = run_one(target, pattern, _fill(unit, SIZE, head, tail))
        assert result.error is None, (target, pattern, result.error)
