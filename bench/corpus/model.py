"""The corpus repository as data: facts, components, and the changes between states.

A *fact* is one thing the code says (a flag and its default, an env var, a
config key and value, a route, a runtime version, a make target, a symbol). It
lives in a *slot* ("dispatch.cli/retries") so a rename keeps its identity. A
*component* is a file that facts belong to ("dispatch.cli" ->
services/dispatch/dispatch/cli.py); moving or deleting the file moves or deletes
the component. Every repository file is rendered from a `State`, so the
generator's own record of each change is the ground truth for the labels.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Fact:
    """kind/subject/value follow stale.model.ClaimKind conventions.

    `display` is how the thing is written in code and on pages when that differs
    from the subject ("/v1/orders/{order_id}" for "GET /v1/orders/{}")."""

    kind: str
    subject: str
    value: str | None = None
    display: str = ""
    note: str = ""

    @property
    def shown(self) -> str:
        return self.display or self.subject


@dataclass
class State:
    facts: dict[str, Fact] = field(default_factory=dict)  # slot -> fact
    paths: dict[str, str] = field(default_factory=dict)  # component -> repo path
    #: component -> how many "churn" commits reworked it (code that changes while
    #: every fact stays the same: the drift fixtures)
    revs: dict[str, int] = field(default_factory=dict)

    def copy(self) -> State:
        return State(dict(self.facts), dict(self.paths), dict(self.revs))

    def of(self, owner: str, kind: str | None = None) -> list[tuple[str, Fact]]:
        pre = owner + "/"
        return [
            (slot, f)
            for slot, f in self.facts.items()
            if slot.startswith(pre) and (kind is None or f.kind == kind)
        ]

    def get(self, slot: str) -> Fact | None:
        return self.facts.get(slot)

    def val(self, slot: str) -> str:
        f = self.facts[slot]
        return f.value or ""

    def subj(self, slot: str) -> str:
        return self.facts[slot].subject

    def has(self, owner: str) -> bool:
        return owner in self.paths


@dataclass(frozen=True)
class Op:
    """One edit: rename (subject), set (value), add, delete, move/delete/add component."""

    op: str  # "rename" | "set" | "add" | "del" | "move" | "delcomp" | "addcomp" | "churn"
    target: str  # slot or component
    subject: str | None = None
    value: str | None = None
    display: str | None = None
    fact: Fact | None = None
    path: str | None = None


@dataclass(frozen=True)
class Change:
    """One commit of the history, with what it did to which facts."""

    date: str  # ISO date
    kind: str  # change kind, e.g. "renamed-flag"
    message: str
    ops: tuple[Op, ...]
    author: str = "ana"

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(o.target for o in self.ops if o.op in ("rename", "set", "add", "del"))

    @property
    def components(self) -> tuple[str, ...]:
        return tuple(o.target for o in self.ops if o.op in ("move", "delcomp", "addcomp"))

    @property
    def churned(self) -> tuple[str, ...]:
        return tuple(o.target for o in self.ops if o.op == "churn")


def apply(state: State, change: Change) -> State:
    s = state.copy()
    for o in change.ops:
        if o.op == "rename":
            f = s.facts[o.target]
            s.facts[o.target] = replace(
                f,
                subject=o.subject or f.subject,
                display=o.display if o.display is not None else "",
                value=o.value if o.value is not None else f.value,
            )
        elif o.op == "set":
            s.facts[o.target] = replace(s.facts[o.target], value=o.value)
        elif o.op == "add":
            assert o.fact is not None
            s.facts[o.target] = o.fact
        elif o.op == "del":
            del s.facts[o.target]
        elif o.op == "move":
            assert o.path is not None
            s.paths[o.target] = o.path
        elif o.op == "delcomp":
            del s.paths[o.target]
            for slot in [k for k in s.facts if k.startswith(o.target + "/")]:
                del s.facts[slot]
        elif o.op == "addcomp":
            assert o.path is not None
            s.paths[o.target] = o.path
        elif o.op == "churn":
            s.revs[o.target] = s.revs.get(o.target, 0) + 1
        else:  # pragma: no cover - data error
            raise ValueError(o.op)
    return s


def deep(state: State) -> State:
    return copy.deepcopy(state)
