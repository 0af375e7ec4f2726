"""Plugin discovery through entry points.

Built-ins register in pyproject.toml under the same groups a third party uses:
`stale.connectors` (name -> Connector class with `from_config(name, options)`),
`stale.verifiers` (name -> Verifier class), `stale.reporters` (format -> Reporter
class). Loading is lazy: only the group asked for is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

GROUPS = ("stale.connectors", "stale.verifiers", "stale.reporters")


class PluginError(Exception):
    """A plugin is missing or failed to load; str() is a one-line fix-it message."""


@dataclass(frozen=True)
class PluginInfo:
    group: str
    name: str
    target: str  # "module:attr"
    distribution: str


def available(group: str) -> list[PluginInfo]:
    """Registered plugins of a group, without importing them."""
    out = []
    for ep in entry_points(group=group):
        dist = ep.dist.name if ep.dist is not None else "?"
        out.append(PluginInfo(group=group, name=ep.name, target=ep.value, distribution=dist))
    return sorted(out, key=lambda p: p.name)


@cache
def load(group: str, name: str) -> Any:
    """Import and return the object registered as `name` in `group`."""
    matches = [ep for ep in entry_points(group=group) if ep.name == name]
    if not matches:
        names = ", ".join(p.name for p in available(group)) or "none"
        kind = group.split(".", 1)[1].rstrip("s")
        raise PluginError(f"no {kind} named {name!r} is installed; available: {names}")
    try:
        return matches[0].load()
    except Exception as e:  # a broken third-party plugin must not look like our bug
        raise PluginError(f"plugin {name!r} ({matches[0].value}) failed to load: {e}") from None


def load_all(group: str) -> dict[str, Any]:
    return {p.name: load(group, p.name) for p in available(group)}
