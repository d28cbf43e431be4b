"""GET /health: no token; 200 while the database answers, 503 while it does not."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


@router.get("/health")
def health(request: Request) -> JSONResponse:
    database = request.app.state.database
    try:
        database.ensure_schema()
        database.ping()
    except SQLAlchemyError as exc:
        logger.warning("health check: database unavailable: %s", exc)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})
