"""The built-in verifiers: one per claim kind, checked against the code at HEAD
and, for what is gone, against git history.

Precision first: a claim is CONTRADICTED or MISSING only with evidence (a file
and line, or a commit and its date); when the code cannot speak to a claim the
finding is UNVERIFIABLE and says why.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
from collections.abc import Callable, Sequence
from typing import ClassVar

from stale.codebase import (
    Codebase,
    CodeIndex,
    CommitRef,
    FlagDef,
    KeyValue,
    Removal,
    Route,
    is_test_path,
)
from stale.codebase.history import DEF_RX, ENV_RX, FLAG_RX, KEY_RX, TARGET_RX
from stale.codebase.index import flags_in_text
from stale.codebase.norm import Cmp, compare_values, key_parts, normalize_route, version_matches
from stale.codebase.sink import norm_tech
from stale.codebase.textextract import GO_FLAG_DEF_RX, go_flag_def_rx
from stale.model import HINT_KINDS, Claim, ClaimKind, Evidence, Finding, Outcome
from stale.verify.support import (
    Found,
    code_file,
    commit_evidence,
    commit_phrase,
    confirmed,
    head_mention,
    judge_values,
    negative,
    never_found,
    newest_removal,
    product_values,
    program_file,
    repo_names,
    specific_key,
    unverifiable,
    where,
)

_NPM_KEY_RX = re.compile(r"\"([^\"\s]+)\"\s*:")


class _Base:
    """Shared entry point: guards, then the kind-specific `check`."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset()
    #: A finding depends only on the claim's kind, subject, value and context (and
    #: the code): the scan checks each such claim identity once per codebase.
    memoizable: ClassVar[bool] = True

    def verify(self, claim: Claim, code: Codebase) -> Finding:
        # Historical claims are checked like any other; the judge decides what a
        # finding on a past-tense claim means (never evidence against the page).
        if claim.kind in HINT_KINDS:
            return unverifiable(claim, "Page hints (dates, markers) are not checked.")
        if claim.kind not in self.kinds:
            return unverifiable(claim, f"{type(self).__name__} does not check {claim.kind} claims.")
        try:
            return self.check(claim, code)
        except Exception as exc:  # one odd claim must never break a scan
            return unverifiable(claim, f"Could not check this claim: {type(exc).__name__}: {exc}")

    def check(self, claim: Claim, code: Codebase) -> Finding:
        raise NotImplementedError


def _removed(
    claim: Claim, shown: str, r: CodeIndex, rem: Removal, family: re.Pattern[str]
) -> Finding:
    """MISSING: `shown` was removed in a commit (the evidence); with its successor
    when the removing diff shows one of the same family (a rename)."""
    assert r.history is not None
    succ = r.history.successor_of(rem.token, rem.commit.sha, rem.path, family)
    msg = f"`{shown}` was removed from {rem.path} in {commit_phrase(rem.commit)}"
    msg += f"; renamed to `{succ}`." if succ else "."
    return negative(
        claim,
        Outcome.MISSING,
        msg,
        [commit_evidence(r.name, rem.path, rem.commit, f"removed `{rem.token}`")],
        _renamed(succ),
    )


def _no_longer_served(
    claim: Claim, shown: str, found: Found, what: str, removed: str, suggestion: str | None
) -> Finding:
    """MISSING for an endpoint whose route (or path literal) a commit removed."""
    rem = found.removal
    msg = f"{shown} is no longer served: {what} was removed from {rem.path} in "
    msg += commit_phrase(rem.commit) + (f"; {suggestion}." if suggestion else ".")
    evidence = commit_evidence(found.repo.name, rem.path, rem.commit, f"removed {removed}")
    return negative(claim, Outcome.MISSING, msg, [evidence], suggestion)


def _renamed(successor: str | None) -> str | None:
    return f"renamed to `{successor}`" if successor else None


# ====================================================================== paths


class PathVerifier(_Base):
    """A repository path (or a file linked by URL) exists, or history says where it went."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.PATH, ClaimKind.LINK})

    def check(self, claim: Claim, code: Codebase) -> Finding:
        path = claim.subject.strip().split("#", 1)[0].split("?", 1)[0]
        path = re.sub(r":\d+(?:-\d+)?$", "", path.removeprefix("./").strip("/"))
        if not path:
            return unverifiable(claim, "The path is empty.")
        repos = code.select(claim.context)
        if (
            claim.kind is ClaimKind.LINK
            and claim.context
            and code.match_repo(claim.context) is None
        ):
            return unverifiable(
                claim,
                f"The link points into {claim.context}, which is not among the checked "
                f"repositories ({repo_names(code.repos)}).",
            )
        if re.search(r"[<>{}$]", path):
            return unverifiable(claim, f"{path} contains a placeholder; it names no single file.")
        if any(ch in path for ch in "*?["):
            for r in repos:
                hits = sorted(f for f in r.files if fnmatch.fnmatchcase(f, path))
                if hits:
                    return confirmed(
                        claim,
                        f"{path} matches {len(hits)} file(s) in {r.name}, e.g. {hits[0]}.",
                        [Evidence(r.name, hits[0])],
                    )
            return unverifiable(claim, f"The pattern {path} matches no file now.")
        for r in repos:
            if r.has_path(path):
                kind = "directory" if path in r.dirs else "file"
                return confirmed(
                    claim, f"{path} exists in {r.name} ({kind}).", [Evidence(r.name, path)]
                )
        for r in repos:
            hits = r.by_basename(path) if "/" not in path else r.by_suffix(path)
            if "/" not in path and not hits:
                hits = sorted(d for d in r.dirs if d.rsplit("/", 1)[-1] == path)
            if hits:
                more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
                return confirmed(
                    claim,
                    f"{path} exists in {r.name} as {hits[0]}{more}.",
                    [Evidence(r.name, hits[0])],
                )
        return self._history(claim, code, path, repos)

    def _history(
        self, claim: Claim, code: Codebase, path: str, repos: tuple[CodeIndex, ...]
    ) -> Finding:
        best = None
        for r in repos:
            if r.history is None:
                continue
            ev = r.history.path_history(path)
            if ev is not None and (best is None or ev.commit.ts > best[1].commit.ts):
                best = (r, ev)
        if best is None:
            return never_found(claim, path, repos)
        r, ev = best
        if ev.kind == "renamed" and ev.new_path:
            if ev.new_path_exists:
                return negative(
                    claim,
                    Outcome.MISSING,
                    f"{ev.path} was moved to {ev.new_path} in {commit_phrase(ev.commit)}.",
                    [commit_evidence(r.name, ev.path, ev.commit, f"renamed to {ev.new_path}")],
                    f"moved to {ev.new_path}",
                )
            assert r.history is not None
            later = r.history.path_history(ev.new_path)
            if later is not None and later.kind == "deleted":
                return negative(
                    claim,
                    Outcome.MISSING,
                    f"{ev.path} was moved to {ev.new_path} in {commit_phrase(ev.commit)}, "
                    f"which was deleted in {commit_phrase(later.commit)}.",
                    [
                        commit_evidence(r.name, later.path, later.commit, "deleted"),
                        commit_evidence(r.name, ev.path, ev.commit, f"renamed to {ev.new_path}"),
                    ],
                )
            return negative(
                claim,
                Outcome.MISSING,
                f"{ev.path} was moved to {ev.new_path} in {commit_phrase(ev.commit)}, "
                "which no longer exists.",
                [commit_evidence(r.name, ev.path, ev.commit, f"renamed to {ev.new_path}")],
            )
        shown = ev.path if "/" in path or ev.path == path else f"{path} ({ev.path})"
        msg = f"{shown} was deleted in {commit_phrase(ev.commit)}"
        suggestion = f"possibly replaced by {ev.replaced_by}" if ev.replaced_by else None
        msg += f"; {suggestion}." if suggestion else "."
        return negative(
            claim,
            Outcome.MISSING,
            msg,
            [commit_evidence(r.name, ev.path, ev.commit, "deleted")],
            suggestion,
        )


# ====================================================================== symbols

_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


class SymbolVerifier(_Base):
    """A function, class, method or module-level name is defined."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.SYMBOL})

    def check(self, claim: Claim, code: Codebase) -> Finding:
        subject = claim.subject.strip().removesuffix("()").strip("`")
        subject = subject.replace("::", ".").replace("#", ".")
        if not _SYMBOL.fullmatch(subject):
            return unverifiable(claim, f"`{subject}` is not an identifier this index can look up.")
        repos = code.select(claim.context)
        for r in repos:
            syms = r.find_symbols(subject)
            if syms:
                s = syms[0]
                return confirmed(
                    claim,
                    f"`{subject}` is defined in {where(code, s.loc)} ({s.kind} {s.full_name}).",
                    [s.loc.evidence(text=f"{s.kind} {s.full_name}")],
                )
        for r in repos:
            mod = r.find_module(subject)
            if mod:
                return confirmed(
                    claim, f"`{subject}` is a module at {mod}.", [Evidence(r.name, mod, 1)]
                )
        leaf = subject.rsplit(".", 1)[-1]
        tokens = [f"def {leaf}", f"class {leaf}", f"func {leaf}", f"function {leaf}"]
        for tok in tokens:
            mention = head_mention(repos, tok)
            if mention is not None:
                return unverifiable(
                    claim,
                    f"`{leaf}` is still defined at {where(code, mention[1])}, in a place this "
                    "index does not resolve as `{subject}`.".replace("{subject}", subject),
                )
        found = newest_removal(repos, tokens, accept=code_file)
        if found is None:
            return never_found(claim, f"`{subject}`", repos)
        r, rem = found.repo, found.removal
        return _removed(claim, subject, r, rem, DEF_RX)


# ====================================================================== flags

_FLAG = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9_-]*")


class FlagVerifier(_Base):
    """A command-line flag is accepted by its program (or by some program)."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.FLAG})

    def check(self, claim: Claim, code: Codebase) -> Finding:
        name = claim.subject.strip().strip("`").split("=", 1)[0].strip()
        if not _FLAG.fullmatch(name):
            return unverifiable(claim, f"`{name}` is not a flag name.")
        if claim.context:
            return self._with_program(claim, code, name, claim.context.strip())
        return self._anywhere(claim, code, name)

    def _with_program(self, claim: Claim, code: Codebase, name: str, ctx: str) -> Finding:
        matches = [(r, p) for r in code.repos for p in r.find_programs(ctx)]
        moved_from: list[tuple[CodeIndex, str, CommitRef]] = []
        if not matches:
            gone = self._program_gone(claim, code, name, ctx)
            if isinstance(gone, Finding):
                return gone
            if gone is not None:
                moved_from = [gone]
                r0, old, c0 = gone
                assert r0.history is not None
                ev = r0.history.path_history(old)
                new_path = ev.new_path if ev is not None and ev.new_path else ""
                matches = [(r0, p) for p in r0.find_programs(new_path)]
                if not matches:
                    return unverifiable(
                        claim,
                        f"{old} was moved to {new_path} in {commit_phrase(c0)}, whose flags "
                        "are not read here.",
                    )
        if not matches:
            return unverifiable(
                claim,
                f"`{ctx}` is not a program in {repo_names(code.repos)}; its flags cannot be "
                "checked here.",
            )
        defined = [f for r, p in matches for f in r.program_flags.get(p, []) if f.name == name]
        if defined:
            return self._check_default(claim, code, name, defined)
        best = None
        for r, p in matches:
            if r.history is None:
                continue
            rem = r.history.removal_of(name, p)
            if rem is not None and (best is None or rem.commit.ts > best[1].commit.ts):
                best = (r, rem)
        for r, old, _c in moved_from:
            # dropped when the program moved: gone from the old file, absent from the new
            if r.history is None:
                continue
            news = [p for r2, p in matches if r2 is r]
            if any(_in_program(loc.path, p) for p in news for loc, _ in r.grep(name)):
                continue
            rem = r.history.removal_of(name, old)
            if rem is not None and (best is None or rem.commit.ts > best[1].commit.ts):
                best = (r, rem)
        if best is not None:
            r, rem = best
            return _removed(claim, name, r, rem, FLAG_RX)
        go = [(r, p) for r, p in matches if _is_go_program(r, p)]
        if go:
            found = _go_flag_removal(go, name)
            if found is not None:
                return _go_flag_missing(claim, name, found)
        complete = [
            (r, p) for r, p in matches if (prog := r.programs.get(p)) is not None and prog.complete
        ]
        if complete and len(complete) == len(matches):
            r, p = complete[0]
            known = sorted(
                {f.name for f in r.program_flags.get(p, []) if f.name.startswith("--")} - {"--help"}
            )
            listing = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
            return negative(
                claim,
                Outcome.MISSING,
                f"`{name}` is not accepted by {p} ({r.programs[p].parser}; it defines "
                f"{listing or 'no long options'}).",
                [Evidence(r.name, p, text=f"flags: {listing}")],
            )
        shown = ", ".join(p for _, p in matches[:3])
        return unverifiable(
            claim,
            f"`{name}` is not among the flags read from {shown}; their flag set may be incomplete.",
        )

    def _program_gone(
        self, claim: Claim, code: Codebase, name: str, ctx: str
    ) -> Finding | tuple[CodeIndex, str, CommitRef] | None:
        """A program the page names that is not at HEAD: MISSING when history shows
        it deleted and its last version took the flag; (repo, old path, commit) when
        it moved to a file that exists now; None when history cannot say."""
        path = _program_path(ctx)
        if path is None:
            return None
        best = None
        for r in code.select(None):
            if r.history is None:
                continue
            ev = r.history.path_history(path)
            if ev is not None and (best is None or ev.commit.ts > best[1].commit.ts):
                best = (r, ev)
        if best is None:
            return None
        r, ev = best
        assert r.history is not None
        if ev.kind == "renamed":
            if ev.new_path and ev.new_path_exists:
                return (r, ev.path, ev.commit)
            return None
        last = r.history.show_file(ev.commit.sha + "^", ev.path)
        if last is None:
            return None
        if not any(f.name == name for f in flags_in_text(ev.path, last)):
            return None  # the page may pair the flag with the wrong program
        msg = f"{ev.path}, which took `{name}`, was deleted in {commit_phrase(ev.commit)}"
        suggestion = None
        if ev.replaced_by:
            suggestion = f"possibly replaced by {ev.replaced_by}"
            takes = any(
                f.name == name
                for p in r.find_programs(ev.replaced_by)
                for f in r.program_flags.get(p, [])
            )
            msg += f"; possibly replaced by {ev.replaced_by}"
            if takes:
                msg += f", which takes `{name}`"
        return negative(
            claim,
            Outcome.MISSING,
            msg + ".",
            [commit_evidence(r.name, ev.path, ev.commit, f"deleted; it took `{name}`")],
            suggestion,
        )

    def _anywhere(self, claim: Claim, code: Codebase, name: str) -> Finding:
        defined = [f for r in code.repos for f in r.flags.get(name, [])]
        if defined:
            return self._check_default(claim, code, name, defined)
        bare = name.lstrip("-")
        if not name.startswith("--"):
            if len(bare) >= 2:  # Go takes `-region` for `--region`
                go_found = _go_flag_removal([(r, None) for r in code.repos], name)
                if go_found is not None:
                    return _go_flag_missing(claim, name, go_found)
            return unverifiable(
                claim, f"Short flag `{name}` is defined by no program we read and names none."
            )
        mention = head_mention(code.repos, name)
        if mention is not None:
            return unverifiable(
                claim,
                f"`{name}` appears at {where(code, mention[1])}, but no program we read "
                "defines it.",
            )
        found = newest_removal(code.repos, [name], accept=program_file)
        go_found = _go_flag_removal([(r, None) for r in code.repos], name)
        if go_found is not None and (
            found is None or go_found.removal.commit.ts > found.removal.commit.ts
        ):
            return _go_flag_missing(claim, name, go_found)
        if found is None:
            return never_found(claim, f"`{name}`", code.repos)
        r, rem = found.repo, found.removal
        return _removed(claim, name, r, rem, FLAG_RX)

    def _check_default(
        self, claim: Claim, code: Codebase, name: str, defined: list[FlagDef]
    ) -> Finding:
        first = defined[0]
        ev = [f.loc.evidence(text=f"{f.name} default={f.default}") for f in defined]
        if claim.value is None:
            return confirmed(claim, f"`{name}` is defined in {where(code, first.loc)}.", ev)
        actual = [(f.default, f.loc) for f in defined if f.default is not None]
        if not actual:
            return confirmed(
                claim,
                f"`{name}` is defined in {where(code, first.loc)}; its default is not a literal "
                f"there, so the stated default {claim.value} was not compared.",
                ev,
            )
        j = judge_values(claim.value, actual)
        if j.outcome is Cmp.EQUAL:
            v, loc = j.equal[0]
            return confirmed(
                claim, f"`{name}` defaults to {v} in {where(code, loc)}.", [loc.evidence()]
            )
        j = judge_values(claim.value, product_values(actual))
        if j.outcome is Cmp.DIFFERENT and len(j.distinct_different) == 1:
            v, loc = j.different[0]
            evidence = [loc2.evidence(text=f"{name} default={v2}") for v2, loc2 in j.different]
            flag_def = next((f for f in defined if f.loc == loc), None)
            token = name
            if flag_def is not None and flag_def.parser in ("go-flag", "pflag"):
                token = '"' + name.lstrip("-") + '"'  # Go spells it `"workers"`
            change = _value_change(code, loc.repo, loc.path, token, claim.value)
            msg = f"`{name}` defaults to {v} in {where(code, loc)}"
            if change is not None:
                msg += f" (changed in {commit_phrase(change)})"
                evidence.append(commit_evidence(loc.repo, loc.path, change, "default changed"))
            msg += f", page says {claim.value}."
            return negative(claim, Outcome.CONTRADICTED, msg, evidence, v)
        shown = ", ".join(f"{v} ({where(code, loc)})" for v, loc in (j.different + j.unclear)[:4])
        return unverifiable(
            claim,
            f"`{name}` exists but its default cannot be matched with the stated {claim.value}: "
            f"{shown}.",
        )


def _program_path(ctx: str) -> str | None:
    """The file a program context names, when it names one by path or file name
    ("./scripts/deploy.sh", "bash scripts/x.sh", "deploy.sh")."""
    c = ctx.strip()
    for prefix in ("bash ", "sh ", "zsh ", "python3 ", "python ", "node ", "go run "):
        if c.startswith(prefix):
            c = c[len(prefix) :].strip()
    c = c.removeprefix("./").strip("/")
    if not c or " " in c or re.search(r"[<>{}$*?]", c):
        return None
    base = c.rsplit("/", 1)[-1]
    return c if "/" in c or "." in base else None


def _in_program(path: str, program: str) -> bool:
    return path == program or path.startswith(program + "/")


def _is_go_program(r: CodeIndex, p: str) -> bool:
    prog = r.programs.get(p)
    if prog is not None:
        return "go-flag" in prog.parser or "pflag" in prog.parser
    return p.endswith(".go") or any(f.startswith(p + "/") and f.endswith(".go") for f in r.files)


def _go_source(path: str) -> bool:
    return path.endswith(".go") and not is_test_path(path)


def _go_source_under(program: str) -> Callable[[str], bool]:
    return lambda path: _go_source(path) and _in_program(path, program)


def _go_flag_removal(where_: Sequence[tuple[CodeIndex, str | None]], name: str) -> Found | None:
    """The newest commit that removed a Go flag definition of `name` (the source
    spells it `"region"`, without dashes) from Go files (under a program directory)."""
    bare = name.lstrip("-")
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", bare):
        return None
    ere = '"' + re.sub(r"([.\[\]\\*^$+?(){}|])", r"\\\1", bare) + '"'
    rx = go_flag_def_rx(bare)
    best: Found | None = None
    for r, p in where_:
        if r.history is None:
            continue

        accept = _go_source if p is None else _go_source_under(p)
        rem = r.history.removal_matching(name, ere, rx, accept=accept)
        if rem is not None and (best is None or rem.commit.ts > best.removal.commit.ts):
            best = Found(r, rem)
    return best


def _go_flag_missing(claim: Claim, name: str, found: Found) -> Finding:
    r, rem = found.repo, found.removal
    assert r.history is not None
    bare = name.lstrip("-")
    dashes = name[: len(name) - len(bare)]
    succ = r.history.successor_of(f'"{bare}"', rem.commit.sha, rem.path, GO_FLAG_DEF_RX)
    new = f"{dashes}{succ.strip(chr(34))}" if succ else None
    msg = f'`{name}` (`"{bare}"`) was removed from {rem.path} in {commit_phrase(rem.commit)}'
    msg += f"; renamed to `{new}`." if new else "."
    return negative(
        claim,
        Outcome.MISSING,
        msg,
        [commit_evidence(r.name, rem.path, rem.commit, f'removed flag "{bare}"')],
        _renamed(new),
    )


def _value_change(code: Codebase, repo: str, path: str, key: str, old: str) -> CommitRef | None:
    r = code.repo(repo)
    if r is None or r.history is None:
        return None
    return r.history.value_change(path, key, old)


# ====================================================================== env

_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _authoritative_env(how: str, path: str) -> bool:
    """Defaults that are the code's own fallbacks (not example or deployment values)."""
    base = path.rsplit("/", 1)[-1].lower()
    if how in ("read", "arg"):
        return True
    return how == "set" and (
        base.startswith(("dockerfile", "containerfile"))
        or base.endswith(".mk")
        or base == "makefile"
    )


class EnvVerifier(_Base):
    """An environment variable is read or set somewhere (and has the stated default)."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.ENV})

    def check(self, claim: Claim, code: Codebase) -> Finding:
        name = claim.subject.strip().strip("`").lstrip("$").strip("{}")
        if not _ENV.fullmatch(name):
            return unverifiable(claim, f"`{name}` is not an environment variable name.")
        repos = code.select(claim.context)
        found = [e for r in repos for e in r.find_env(name)]
        if found:
            order = {"read": 0, "arg": 1, "set": 2, "example": 3}
            found.sort(key=lambda e: order.get(e.how, 9))
            first = found[0]
            ev = [
                e.loc.evidence(text=f"{e.how} {name}" + (f"={e.default}" if e.default else ""))
                for e in found
            ]
            if claim.value is None:
                return confirmed(claim, f"`{name}` is used in {where(code, first.loc)}.", ev)
            allv = [(e.default, e.loc) for e in found if e.default is not None]
            j = judge_values(claim.value, allv)
            if j.outcome is Cmp.EQUAL:
                v, loc = j.equal[0]
                return confirmed(claim, f"`{name}` is {v} in {where(code, loc)}.", [loc.evidence()])
            auth = [
                (e.default, e.loc)
                for e in found
                if e.default is not None and _authoritative_env(e.how, e.loc.path)
            ]
            if not auth:
                return confirmed(
                    claim,
                    f"`{name}` is used in {where(code, first.loc)}; the code sets no default to "
                    f"compare with the stated {claim.value}.",
                    ev,
                )
            ja = judge_values(claim.value, product_values(auth))
            if ja.outcome is Cmp.DIFFERENT and len(ja.distinct_different) == 1:
                v, loc = ja.different[0]
                evidence = [l2.evidence(text=f"{name} default={v2}") for v2, l2 in ja.different]
                r = code.repo(loc.repo)
                change = (
                    r.history.value_change(loc.path, name, claim.value)
                    if r is not None and r.history is not None
                    else None
                )
                msg = f"`{name}` defaults to {v} in {where(code, loc)}"
                if change is not None:
                    msg += f" (changed in {commit_phrase(change)})"
                    evidence.append(commit_evidence(loc.repo, loc.path, change, "default changed"))
                msg += f", page says {claim.value}."
                return negative(claim, Outcome.CONTRADICTED, msg, evidence, v)
            shown = ", ".join(
                f"{v} ({where(code, loc)})" for v, loc in (ja.different + ja.unclear)[:4]
            )
            return unverifiable(
                claim,
                f"`{name}` exists; its defaults ({shown}) do not settle the stated {claim.value}.",
            )
        mention = head_mention(repos, name)
        if mention is not None:
            return unverifiable(
                claim,
                f"`{name}` appears at {where(code, mention[1])}, in a form this index does "
                "not read.",
            )
        rem_found = newest_removal(repos, [name], accept=code_file)
        if rem_found is None:
            return never_found(claim, f"`{name}`", repos)
        r, rem = rem_found.repo, rem_found.removal
        return _removed(claim, name, r, rem, ENV_RX)


# ====================================================================== config


def _in_context_file(kv: KeyValue, ctx: str) -> bool:
    c = ctx.strip().removeprefix("./").strip("/")
    p = kv.loc.path
    return p == c or p.endswith("/" + c) or p.rsplit("/", 1)[-1] == c.rsplit("/", 1)[-1]


class ConfigVerifier(_Base):
    """A configuration key exists (and has the stated value)."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.CONFIG})

    def check(self, claim: Claim, code: Codebase) -> Finding:
        key = claim.subject.strip().strip("`")
        parts = key_parts(key)
        if not parts:
            return unverifiable(claim, "The key is empty.")
        leaf_written = key.rsplit(".", 1)[-1]
        full = [kv for r in code.repos for kv in r.find_config(key, with_leaf=False)[0]]

        def leaf_matches() -> list[KeyValue]:
            # keys sharing only the last part: thousands in a monorepo, so only
            # listed when the full key does not settle the claim
            return [kv for r in code.repos for kv in r.find_config(key)[1]]

        leaf = [] if full else leaf_matches()
        if claim.context:
            # the named file settles it; within it, the value at exactly the dotted
            # path wins over other keys that merely share its last part
            ctx = claim.context
            in_full = [kv for kv in full if _in_context_file(kv, ctx)]
            # only looked at when the full key is not in the file (the leaf list can
            # hold every `pool_size` of a monorepo)
            in_leaf = (
                []
                if in_full
                else [kv for kv in (leaf or leaf_matches()) if _in_context_file(kv, ctx)]
            )
            if in_full:
                full, leaf = in_full, []
            elif in_leaf:
                # only other paths to the same leaf in the named file: compared, but
                # the message says which key was matched
                return self._check(claim, code, key, in_leaf, strong=False)
        generic = len(parts) == 1 and not specific_key(leaf_written) and not claim.context
        if generic:
            # `region`, `environment`: a Terraform variable is only meant when the page
            # says `var.region` or names the file
            full = [kv for kv in full if kv.source != "terraform"]
        pool = full or (leaf if specific_key(leaf_written) else [])
        if pool:
            return self._check(claim, code, key, pool, strong=bool(full), generic=generic)
        if leaf:
            kv = leaf[0]
            return unverifiable(
                claim,
                f"Only a `{kv.key}` is found ({where(code, kv.loc)}); `{key}` is too generic to "
                "match on its last part.",
            )
        mention = head_mention(code.repos, leaf_written)
        if mention is not None:
            return unverifiable(
                claim,
                f"`{leaf_written}` appears at {where(code, mention[1])}, but no config file we "
                f"read sets `{key}`.",
            )
        found = newest_removal(code.repos, [leaf_written], accept=code_file)
        if found is None:
            return never_found(claim, f"`{key}`", code.repos)
        r, rem = found.repo, found.removal
        return _removed(claim, key, r, rem, KEY_RX)

    def _check(
        self,
        claim: Claim,
        code: Codebase,
        key: str,
        pool: list[KeyValue],
        strong: bool,
        generic: bool = False,
    ) -> Finding:
        first = pool[0]
        if claim.value is None:
            return confirmed(
                claim,
                f"`{key}` is set in {where(code, first.loc)} (as `{first.key}`).",
                [kv.loc.evidence(text=f"{kv.key}: {kv.value}") for kv in pool],
            )
        scalars = [kv for kv in pool if kv.value is not None]
        if not scalars:
            return unverifiable(
                claim, f"`{key}` in {where(code, first.loc)} holds no single value to compare."
            )
        for kv in scalars:
            values = [kv.value] + ([kv.raw] if kv.raw else [])
            if any(compare_values(claim.value, v) is Cmp.EQUAL for v in values if v is not None):
                return confirmed(
                    claim,
                    f"`{key}` is {kv.value} in {where(code, kv.loc)}.",
                    [kv.loc.evidence(text=f"{kv.key}: {kv.value}")],
                )
        j = judge_values(claim.value, product_values([(kv.value or "", kv.loc) for kv in scalars]))
        if generic and len(j.different) > 1:
            shown = ", ".join(f"{v} ({where(code, loc)})" for v, loc in j.different[:4])
            return unverifiable(
                claim,
                f"`{key}` is a common key set in several places ({shown}); none says "
                f"{claim.value}, but none is clearly the one the page means.",
            )
        if j.outcome is Cmp.DIFFERENT and len(j.distinct_different) == 1:
            v, loc = j.different[0]
            kv0 = next(kv for kv in scalars if kv.loc == loc)
            evidence = [l2.evidence(text=f"{key} = {v2}") for v2, l2 in j.different]
            r = code.repo(loc.repo)
            change = None
            if r is not None and r.history is not None:
                if kv0.source == "terraform" and kv0.key.startswith("var."):
                    # the value sits on a `default = ...` line of the variable's block
                    change = r.history.value_change(
                        loc.path, "default", claim.value, fallback=False
                    )
                else:
                    change = r.history.value_change(
                        loc.path, kv0.key.rsplit(".", 1)[-1], claim.value
                    )
            msg = f"`{key}` is {v} in {where(code, loc)}"
            if change is not None:
                msg += f" (changed in {commit_phrase(change)})"
                evidence.append(commit_evidence(loc.repo, loc.path, change, "value changed"))
            msg += f", page says {claim.value}."
            if not strong:
                msg += f" (matched on `{kv0.key}`)"
            return negative(claim, Outcome.CONTRADICTED, msg, evidence, v)
        shown = ", ".join(f"{v} ({where(code, loc)})" for v, loc in (j.different + j.unclear)[:4])
        return unverifiable(
            claim,
            f"`{key}` has values that do not settle the stated {claim.value}: {shown}.",
        )


# ====================================================================== endpoints

_HTTP_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
_VERSION_SEG = re.compile(r"v\d+")


def _parse_endpoint(subject: str) -> tuple[str | None, str] | None:
    s = subject.strip().strip("`")
    method = None
    parts = s.split(None, 1)
    if len(parts) == 2 and parts[0].upper() in _HTTP_METHODS:
        method, s = parts[0].upper(), parts[1].strip()
    s = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]+", "", s)
    if not s.startswith("/"):
        return None
    return method, normalize_route(s)


def _suffix_match(route: Route, path: str) -> bool:
    if route.anchored or route.path in ("/", "/{}"):
        return False
    if not re.search(r"/[^{}/]+", route.path):
        return False
    return path.endswith(route.path) and path[: len(path) - len(route.path)].startswith("/")


class EndpointVerifier(_Base):
    """An HTTP endpoint is served (FastAPI/Flask/Express routes, OpenAPI paths)."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.ENDPOINT})

    def check(self, claim: Claim, code: Codebase) -> Finding:
        parsed = _parse_endpoint(claim.subject)
        if parsed is None:
            return unverifiable(claim, f"`{claim.subject}` is not an HTTP path.")
        method, path = parsed
        shown = f"{method} {path}" if method else path
        repos = code.select(claim.context)
        routes = [rt for r in repos for rt in r.routes]
        exact = [rt for rt in routes if rt.path == path]
        loose = [rt for rt in routes if _suffix_match(rt, path)]
        for group, strong in ((exact, True), (loose, False)):
            if not group:
                continue
            ok = [rt for rt in group if method is None or rt.method in (None, method)]
            note = "" if strong else " (router prefix not resolved)"
            if ok:
                rt = ok[0]
                return confirmed(
                    claim,
                    f"{shown} is served by {where(code, rt.loc)}{note}.",
                    [rt.loc.evidence(text=f"{rt.method or '*'} {rt.raw}") for rt in ok],
                )
            if strong:
                served = sorted({f"{rt.method} {rt.path}" for rt in group})
                return negative(
                    claim,
                    Outcome.CONTRADICTED,
                    f"{path} is served only as {', '.join(served)} ({where(code, group[0].loc)}), "
                    f"page says {method}.",
                    [rt.loc.evidence(text=f"{rt.method} {rt.raw}") for rt in group],
                    served[0],
                )
        alt = self._other_version(path, routes, method)
        suggestion = f"moved to {alt}" if alt else None
        route_removed = _route_removal(repos, path)
        if route_removed is not None:
            return _no_longer_served(
                claim, shown, route_removed, "its route", f"route {path}", suggestion
            )
        literal = path.split("{}", 1)[0].rstrip("/")
        if literal.count("/") < 1 or len(literal) < 3:
            return unverifiable(claim, f"{shown} is not served by any route we read.", suggestion)
        mention = head_mention(repos, literal)
        if mention is not None:
            return unverifiable(
                claim,
                f"{shown} is not a route we read, but `{literal}` appears at "
                f"{where(code, mention[1])}.",
                suggestion,
            )
        found = newest_removal(repos, [literal], accept=code_file)
        if found is None:
            f = never_found(claim, shown, repos)
            return unverifiable(claim, f.message, suggestion)
        return _no_longer_served(claim, shown, found, f"`{literal}`", f"`{literal}`", suggestion)

    @staticmethod
    def _other_version(path: str, routes: list[Route], method: str | None) -> str | None:
        segs = path.split("/")
        idx = [i for i, s in enumerate(segs) if _VERSION_SEG.fullmatch(s)]
        if not idx:
            return None
        best: str | None = None
        for rt in routes:
            rsegs = rt.path.split("/")
            if len(rsegs) != len(segs):
                continue
            if all(
                (a == b) if i not in idx else (_VERSION_SEG.fullmatch(b) is not None and a != b)
                for i, (a, b) in enumerate(zip(segs, rsegs, strict=True))
            ) and (method is None or rt.method in (None, method)):
                cand = f"{method} {rt.path}" if method else rt.path
                if best is None or cand > best:
                    best = cand
        return best


def _route_patterns(path: str) -> tuple[str, re.Pattern[str]] | None:
    """(git ERE, Python regex) matching `path` as a quoted route literal, with any
    framework's parameter syntax where the normalised path has `{}`."""
    if "{}" not in path or path.count("/") < 2:
        return None  # a fixed path is found by its literal already
    ere_param = r"(\{[^}/]*\}|<[^>/]*>|:[A-Za-z_][A-Za-z0-9_]*)"
    py_param = r"(?:\{[^}/]*\}|<[^>/]*>|:[A-Za-z_]\w*)"
    ere_parts, py_parts = [], []
    for seg in path.split("{}"):
        ere_parts.append(re.sub(r"([.\[\]\\*^$+?(){}|])", r"\\\1", seg))
        py_parts.append(re.escape(seg))
    quote_ere, quote_py = "[\"'`]", "[\"'`]"
    ere = quote_ere + ere_param.join(ere_parts) + "/?" + quote_ere
    rx = re.compile(quote_py + py_param.join(py_parts) + "/?" + quote_py)
    return ere, rx


def _route_removal(repos: Sequence[CodeIndex], path: str) -> Found | None:
    """The newest commit that removed a route literal for `path` from code."""
    pats = _route_patterns(path)
    if pats is None:
        return None
    best: Found | None = None
    for r in repos:
        if r.history is None:
            continue
        rem = r.history.removal_matching(path, pats[0], pats[1], accept=code_file)
        if rem is not None and (best is None or rem.commit.ts > best.removal.commit.ts):
            best = Found(r, rem)
    return best


# ====================================================================== versions


_SERVER_NAMES = frozenset(
    {
        "redis",
        "postgres",
        "mysql",
        "mariadb",
        "mongodb",
        "mongo",
        "elasticsearch",
        "opensearch",
        "kafka",
        "rabbitmq",
        "memcached",
        "nginx",
        "docker",
        "kubernetes",
        "terraform",
        "consul",
        "vault",
        "etcd",
        "cassandra",
        "clickhouse",
        "influxdb",
        "neo4j",
        "minio",
        "nats",
        "zookeeper",
    }
)


class VersionVerifier(_Base):
    """A technology or image version agrees with the pins in the repositories."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.VERSION})

    def check(self, claim: Claim, code: Codebase) -> Finding:
        name = norm_tech(claim.subject)
        if not claim.value:
            return unverifiable(claim, f"No version of {name} is stated.")
        repos = code.select(claim.context)
        pins = [p for r in repos for p in r.find_versions(name)]
        if not pins:
            return unverifiable(claim, f"No version of {name} is pinned in {repo_names(repos)}.")
        verdicts = [(p, version_matches(claim.value, p.version)) for p in pins]
        for p, ok in verdicts:
            if ok:
                return confirmed(
                    claim,
                    f"{name} {claim.value} agrees with {p.version} in {where(code, p.loc)}.",
                    [p.loc.evidence(text=f"{name} {p.version}")],
                )
        wrong = [p for p, ok in verdicts if ok is False]
        if not wrong:
            shown = ", ".join(p.version for p in pins[:4])
            return unverifiable(
                claim, f"The pins of {name} ({shown}) cannot be compared with {claim.value}."
            )
        # a client library pin ("redis==4.5") says nothing about the server a page means
        wrong = [
            p
            for p in wrong
            if not is_test_path(p.loc.path)
            and (p.source != "dependency" or name not in _SERVER_NAMES)
        ]
        if not wrong:
            return unverifiable(
                claim,
                f"Only library or test pins of {name} disagree with {claim.value}; they do not "
                "say which server version is meant.",
            )
        evidence = [p.loc.evidence(text=f"{name} {p.version}") for p in wrong]
        first = wrong[0]
        r = code.repo(first.loc.repo)
        change = None
        if r is not None and r.history is not None:
            change = r.history.value_change(first.loc.path, name, claim.value)
            if change is None:
                change = r.history.value_change(first.loc.path, claim.value)
        msg = f"{name} is pinned to {first.version} in {where(code, first.loc)}"
        if change is not None:
            msg += f" (changed in {commit_phrase(change)})"
            evidence.insert(
                1, commit_evidence(first.loc.repo, first.loc.path, change, "pin changed")
            )
        if len(wrong) > 1:
            others = ", ".join(f"{p.version} ({where(code, p.loc)})" for p in wrong[1:4])
            msg += f" and {others}"
        msg += f", page says {claim.value}."
        return negative(claim, Outcome.CONTRADICTED, msg, evidence, first.version)


# ====================================================================== commands

_YARN_BUILTINS = frozenset(
    [
        "add",
        "audit",
        "autoclean",
        "bin",
        "cache",
        "check",
        "config",
        "create",
        "dlx",
        "exec",
        "generate-lock-entry",
        "global",
        "help",
        "import",
        "info",
        "init",
        "install",
        "licenses",
        "link",
        "list",
        "login",
        "logout",
        "node",
        "outdated",
        "owner",
        "pack",
        "plugin",
        "publish",
        "remove",
        "tag",
        "team",
        "unlink",
        "unplug",
        "upgrade",
        "upgrade-interactive",
        "version",
        "versions",
        "why",
        "workspace",
        "workspaces",
    ]
)
_NPM_DIRECT = frozenset({"test", "start", "stop", "restart"})


def _parse_command(subject: str) -> tuple[str, str, str | None] | str:
    """(tool, target, directory) or a reason it is not a target command."""
    try:
        words = shlex.split(subject.strip().strip("`"))
    except ValueError:
        words = subject.split()
    if not words:
        return "The command is empty."
    tool = words[0].rsplit("/", 1)[-1]
    rest = words[1:]
    if tool in ("make", "gmake"):
        directory = None
        i = 0
        targets = []
        while i < len(rest):
            w = rest[i]
            if w in ("-C", "--directory", "-f", "--file", "-j", "--jobs") and i + 1 < len(rest):
                if w in ("-C", "--directory"):
                    directory = rest[i + 1].strip("/")
                if w in ("-j", "--jobs") and not rest[i + 1].isdigit():
                    i += 1
                    continue
                i += 2
                continue
            if w.startswith("-") or "=" in w:
                i += 1
                continue
            targets.append(w)
            i += 1
        if not targets:
            return "`make` without a target runs the default goal; nothing to look up."
        return "make", targets[0], directory
    if tool in ("npm", "pnpm", "yarn", "bun"):
        if not rest:
            return f"`{tool}` without a script name names no script."
        if rest[0] in ("run", "run-script"):
            if len(rest) < 2:
                return "No script name is given."
            return "npm", rest[1], None
        if tool == "npm":
            if rest[0] in _NPM_DIRECT:
                return "npm", rest[0], None
            return f"`npm {rest[0]}` is an npm command, not a package.json script."
        if rest[0] in _YARN_BUILTINS or rest[0].startswith("-"):
            return f"`{tool} {rest[0]}` is a {tool} command, not a package.json script."
        return "npm", rest[0], None
    return f"`{tool}` is not make or an npm-style runner; its targets are not indexed."


class CommandVerifier(_Base):
    """A `make` target or a package.json script exists."""

    kinds: ClassVar[frozenset[ClaimKind]] = frozenset({ClaimKind.COMMAND})

    def check(self, claim: Claim, code: Codebase) -> Finding:
        parsed = _parse_command(claim.subject)
        if isinstance(parsed, str):
            return unverifiable(claim, parsed)
        tool, target, directory = parsed
        repos = code.select(claim.context)
        label = f"make {target}" if tool == "make" else f"npm run {target}"
        kind_name = "Makefile" if tool == "make" else "package.json"

        def in_dir(path: str) -> bool:
            return directory is None or path.startswith(directory + "/")

        defs = [d for r in repos for d in r.find_commands(tool, target) if in_dir(d.loc.path)]
        if defs:
            d = defs[0]
            return confirmed(
                claim,
                f"`{label}` is defined in {where(code, d.loc)}.",
                [x.loc.evidence(text=f"{tool} {target}") for x in defs],
            )
        files = [cf for r in repos for cf in r.command_files if cf.tool == tool and in_dir(cf.path)]
        if not files:
            return unverifiable(
                claim, f"There is no {kind_name} in {repo_names(repos)} to define `{label}`."
            )
        if tool == "make":
            token = f"{target}:"

            def accept(p: str) -> bool:
                base = p.rsplit("/", 1)[-1].lower()
                return base in ("makefile", "gnumakefile") or base.endswith(".mk")

            family = TARGET_RX
        else:
            token = f'"{target}"'

            def accept(p: str) -> bool:
                return p.rsplit("/", 1)[-1] == "package.json"

            family = _NPM_KEY_RX
        found = newest_removal(repos, [token], accept=accept)
        if found is not None:
            r, rem = found.repo, found.removal
            assert r.history is not None
            succ = r.history.successor_of(token, rem.commit.sha, rem.path, family)
            succ_label = None
            if succ:
                succ_label = f"make {succ}" if tool == "make" else f"npm run {succ}"
            msg = f"`{label}` was removed from {rem.path} in {commit_phrase(rem.commit)}"
            msg += f"; renamed to `{succ_label}`." if succ_label else "."
            return negative(
                claim,
                Outcome.MISSING,
                msg,
                [commit_evidence(r.name, rem.path, rem.commit, f"removed `{label}`")],
                _renamed(succ_label),
            )
        if all(cf.complete for cf in files):
            names = sorted(
                {
                    name
                    for r in repos
                    for (t, name), ds in r.commands.items()
                    if t == tool and any(in_dir(d.loc.path) for d in ds)
                }
            )
            listing = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
            paths = ", ".join(cf.path for cf in files[:3])
            return negative(
                claim,
                Outcome.MISSING,
                f"`{label}` is not defined in {paths} (it defines {listing or 'nothing'}).",
                [Evidence(cf.repo, cf.path, text=f"targets: {listing}") for cf in files],
            )
        return unverifiable(
            claim,
            f"`{label}` is not defined in {files[0].path}, which may generate targets this "
            "index cannot list.",
        )


__all__ = [
    "CommandVerifier",
    "ConfigVerifier",
    "EndpointVerifier",
    "EnvVerifier",
    "FlagVerifier",
    "PathVerifier",
    "SymbolVerifier",
    "VersionVerifier",
]
