"""Buyer identity: who is chatting comes from what the store signed, never from what a client claims.

A buyer token is an HS256 JWT signed with XIAOER_BUYER_TOKEN_SECRET; `sub` is the buyer id and
`exp` is required (docs/channels.md says how a store mints one). A visitor without a token gets an
anonymous id, `anon-…`, which owns no orders; its token (so a page reload keeps the conversation)
is minted here and carries `anon: true`, and a store's token may never name an `anon-` buyer.

Bottom layer: imports nothing of Xiaoer.
"""

from __future__ import annotations

import secrets
import time

import jwt

ALGORITHM = "HS256"
ANONYMOUS_PREFIX = "anon-"
MAX_BUYER_ID = 128
# Clocks of the store's site and of Xiaoer may differ a little.
LEEWAY_SECONDS = 30
DEFAULT_TTL_SECONDS = 2 * 3600


class InvalidToken(Exception):
    """Missing, forged, expired or malformed; the message says which, for the log and the 401."""


def mint(secret: str, buyer_id: str, ttl_seconds: int = DEFAULT_TTL_SECONDS, anonymous: bool = False) -> str:
    """A buyer token, as the store's site (or, for dev tools and anonymous visitors, Xiaoer) signs it."""
    if not secret:
        raise ValueError("no buyer token secret: set XIAOER_BUYER_TOKEN_SECRET")
    now = int(time.time())
    claims = {"sub": buyer_id, "iat": now, "exp": now + ttl_seconds}
    if anonymous:
        claims["anon"] = True
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, token: str | None) -> str:
    """The buyer id a valid token names; InvalidToken otherwise."""
    if not secret:
        raise InvalidToken("buyer tokens are not configured (XIAOER_BUYER_TOKEN_SECRET)")
    if not token:
        raise InvalidToken("missing buyer token")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("buyer token expired") from None
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"invalid buyer token: {exc}") from None
    buyer_id = claims.get("sub")
    if not isinstance(buyer_id, str) or not buyer_id.strip() or len(buyer_id) > MAX_BUYER_ID:
        raise InvalidToken("invalid buyer token: sub must be a buyer id")
    if any(ord(c) < 32 or ord(c) == 127 for c in buyer_id):
        raise InvalidToken("invalid buyer token: sub has control characters")
    if is_anonymous(buyer_id) and claims.get("anon") is not True:
        raise InvalidToken("invalid buyer token: anon- ids are Xiaoer's own")
    return buyer_id


def anonymous_id() -> str:
    return ANONYMOUS_PREFIX + secrets.token_hex(12)


def is_anonymous(buyer_id: str) -> bool:
    return buyer_id.startswith(ANONYMOUS_PREFIX)


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = (header or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
