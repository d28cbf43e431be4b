"""Buyer tokens: only what the store signed names a buyer."""

from __future__ import annotations

import jwt
import pytest

from xiaoer import identity

SECRET = "identity-test-secret-0123456789abcdef0123"


def test_a_minted_token_names_its_buyer():
    assert identity.verify(SECRET, identity.mint(SECRET, "buyer-alice")) == "buyer-alice"


@pytest.mark.parametrize(
    "token, reason",
    [
        (None, "missing"),
        ("", "missing"),
        ("abc.def.ghi", "invalid"),
        (identity.mint("another-secret-0123456789abcdef012345", "buyer-alice"), "invalid"),
        (identity.mint(SECRET, "buyer-alice", ttl_seconds=-120), "expired"),
        (jwt.encode({"sub": "buyer-alice"}, SECRET, algorithm="HS256"), "invalid"),
        (jwt.encode({"exp": 9999999999}, SECRET, algorithm="HS256"), "invalid"),
        (jwt.encode({"sub": "buyer-alice", "exp": 9999999999}, None, algorithm="none"), "invalid"),
        (jwt.encode({"sub": "", "exp": 9999999999}, SECRET, algorithm="HS256"), "invalid"),
        (jwt.encode({"sub": 42, "exp": 9999999999}, SECRET, algorithm="HS256"), "invalid"),
        (jwt.encode({"sub": "a\nb", "exp": 9999999999}, SECRET, algorithm="HS256"), "invalid"),
        (jwt.encode({"sub": "x" * 129, "exp": 9999999999}, SECRET, algorithm="HS256"), "invalid"),
        (jwt.encode({"sub": "anon-1", "exp": 9999999999}, SECRET, algorithm="HS256"), "invalid"),
    ],
    ids=[
        "none",
        "empty",
        "garbage",
        "forged",
        "expired",
        "no exp",
        "no sub",
        "alg none",
        "empty sub",
        "number sub",
        "control char",
        "too long",
        "store-named anon",
    ],  # fmt: skip
)
def test_every_bad_token_is_refused_with_a_reason(token, reason):
    with pytest.raises(identity.InvalidToken, match=reason):
        identity.verify(SECRET, token)


def test_a_token_within_the_leeway_of_the_clocks_still_counts():
    assert identity.verify(SECRET, identity.mint(SECRET, "buyer-alice", ttl_seconds=-10)) == "buyer-alice"


def test_anonymous_visitors_get_an_id_of_their_own_and_a_token_to_come_back():
    visitor = identity.anonymous_id()
    assert identity.is_anonymous(visitor) and visitor != identity.anonymous_id()
    assert identity.verify(SECRET, identity.mint(SECRET, visitor, anonymous=True)) == visitor


def test_nothing_verifies_without_a_secret():
    with pytest.raises(identity.InvalidToken, match="not configured"):
        identity.verify("", identity.mint(SECRET, "buyer-alice"))
    with pytest.raises(ValueError):
        identity.mint("", "buyer-alice")


@pytest.mark.parametrize(
    "header, token",
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("", None),
        (None, None),
        ("Bearer", None),
    ],
)
def test_bearer_header(header, token):
    assert identity.bearer(header) == token
