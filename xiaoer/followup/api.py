"""HTTP endpoint for stores that push events instead of serving the feed: POST /events."""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from xiaoer.followup.engine import FollowupEngine
from xiaoer.followup.ingest import EventInvalid
from xiaoer.storeapi.client import StoreUnavailable

logger = logging.getLogger(__name__)
MAX_BODY = 1 << 20


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(engine: FollowupEngine, token: str) -> FastAPI:
    app = FastAPI(title="Xiaoer follow-up engine", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/events")
    async def post_event(request: Request) -> JSONResponse:
        given = request.headers.get("authorization", "")
        if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return error(401, "missing or wrong bearer token")
        body = await request.body()
        if len(body) > MAX_BODY:
            return error(413, "body over 1 MiB")
        try:
            raw = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return error(400, "body: malformed JSON")
        try:
            result = engine.ingest(raw, source="push", verify=True)
        except EventInvalid as exc:
            return error(400, str(exc))
        except StoreUnavailable as exc:
            # Not recorded: the store pushes again and nothing is lost.
            logger.warning("followup: store unavailable while checking a pushed event: %s", exc)
            return error(503, "store unavailable to check the event; retry later")
        payload = {
            "event_id": result.event_id,
            "outcome": result.outcome,
            "reason": result.reason,
            "jobs": result.jobs,
        }
        return JSONResponse(payload, status_code=200 if result.duplicate else 201)

    return app
