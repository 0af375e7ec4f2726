"""Claim.key is computed once and cached on the claim: the cache must never
outlive the fields it was computed from."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import pickle

from stale.model import Claim, ClaimKind, Span


def _expected(c: Claim) -> str:
    ident = "\x1f".join(
        [c.source, c.page_id, str(c.kind), c.subject, c.value or "", c.context or ""]
    )
    return hashlib.sha1(ident.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def test_key_is_the_sha1_of_the_identity_fields() -> None:
    c = Claim("wiki", "a.md", ClaimKind.FLAG, "--region", "eu", "deploy.sh")
    assert c.key == _expected(c) == c.key
    assert Claim("w", "p", ClaimKind.ENV, "X\ud800").key == _expected(
        Claim("w", "p", ClaimKind.ENV, "X\ud800")
    )


def test_replace_does_not_carry_a_stale_key() -> None:
    c = Claim("wiki", "a.md", ClaimKind.FLAG, "--region")
    before = c.key
    d = dataclasses.replace(c, subject="--zone")
    assert d.key == _expected(d) != before
    assert dataclasses.replace(c, span=Span(9, 9), text="x").key == before


def test_cached_key_leaves_equality_hash_pickle_and_copy_alone() -> None:
    c = Claim("wiki", "a.md", ClaimKind.PATH, "src/app.py", span=Span(3, 4))
    fresh = Claim("wiki", "a.md", ClaimKind.PATH, "src/app.py", span=Span(7, 1))
    _ = c.key
    assert c == fresh and hash(c) == hash(fresh)
    for other in (pickle.loads(pickle.dumps(c)), copy.copy(c), copy.deepcopy(c)):
        assert other == c and other.key == c.key == _expected(other)
    assert "key" not in dataclasses.asdict(c)
    assert [f.name for f in dataclasses.fields(c)][-1] == "text"
