"""The code side of a scan: an index of each repository at HEAD and its git history.

Repository code is never imported or executed: Python is read with `ast`, config
with safe parsers, everything else as text; git runs with argument lists and
timeouts.
"""

from stale.codebase.facts import (
    CodebaseError,
    CommandDef,
    CommandFile,
    CommitRef,
    EnvVar,
    FlagDef,
    KeyValue,
    Location,
    PathEvent,
    Program,
    Removal,
    Route,
    SymbolDef,
    VersionPin,
)
from stale.codebase.history import GitHistory, is_doc_path, is_test_path
from stale.codebase.index import (
    Codebase,
    CodeIndex,
    build_codebase,
    build_index,
    repo_fingerprint,
)

__all__ = [
    "CodeIndex",
    "Codebase",
    "CodebaseError",
    "CommandDef",
    "CommandFile",
    "CommitRef",
    "EnvVar",
    "FlagDef",
    "GitHistory",
    "KeyValue",
    "Location",
    "PathEvent",
    "Program",
    "Removal",
    "Route",
    "SymbolDef",
    "VersionPin",
    "build_codebase",
    "build_index",
    "is_doc_path",
    "is_test_path",
    "repo_fingerprint",
]
