"""stale: find outdated wiki pages before AI agents repeat them.

The public API is what this module exports. Importing it is cheap: nothing
heavy (torch, sentence-transformers, faiss) is imported here.
"""

from stale.model import (
    Claim,
    ClaimKind,
    Evidence,
    Finding,
    Outcome,
    Page,
    Signal,
    Span,
    Status,
    Verdict,
)

__version__ = "0.1.0"

__all__ = [
    "Claim",
    "ClaimKind",
    "Evidence",
    "Finding",
    "Outcome",
    "Page",
    "Signal",
    "Span",
    "StalenessFilter",
    "Status",
    "Verdict",
    "__version__",
]


def __getattr__(name: str) -> object:
    # Lazy, so `import stale` stays light: the filter loads on first use.
    if name == "StalenessFilter":
        from stale.filter import StalenessFilter

        return StalenessFilter
    raise AttributeError(f"module 'stale' has no attribute {name!r}")
