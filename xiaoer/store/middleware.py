"""ASGI middleware that answers before any routing: bearer auth and the body size limit."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xiaoer.store.errors import error_response

MAX_BODY_BYTES = 1024 * 1024


READ_METHODS = {"GET", "HEAD"}


class BearerAuth:
    """Every /api/ request must carry `Authorization: Bearer <token>`: the read-write token, or the
    read-only one (least privilege for processes that never write) on GET and HEAD."""

    def __init__(self, app: ASGIApp, token: str, read_token: str = "", prefix: str = "/api/") -> None:
        if not token:
            raise ValueError("the store token must not be empty")
        if read_token and read_token == token:
            raise ValueError("the read-only store token must differ from the read-write one")
        self.app = app
        self.token = token.encode()
        self.read_token = read_token.encode()
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            if not self._authorised(scope):
                response = error_response(
                    401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _authorised(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer":
            return False
        given = given.strip()
        # compare_digest: the time taken does not reveal how much of the token matched.
        if hmac.compare_digest(given, self.token):
            return True
        reading = scope.get("method", "GET") in READ_METHODS
        return bool(self.read_token) and reading and hmac.compare_digest(given, self.read_token)


class BodyLimit:
    """413 for a body over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_response(413, f"the body is over {self.max_bytes} bytes")
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await too_large(scope, receive, send)
            return
        # Read the whole body first (it is small by now), then hand it on in one piece.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()  # later calls wait for the client to disconnect
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
