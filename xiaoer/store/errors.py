"""One error body everywhere: {"error": "<human readable>", "field": "<dotted path>" | null}."""

from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)

_LOCATIONS = ("body", "query", "path", "header", "cookie")
_MARKERS = ("__root__", "__key__")


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def error_response(
    status: int, message: str, field: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers)


def field_path(loc: Sequence[Any]) -> str | None:
    """("body", "items", 0, "sku") -> "items.0.sku"; the body itself -> None."""
    parts = list(loc[1:] if loc and loc[0] in _LOCATIONS else loc)
    return ".".join(str(p) for p in parts if p not in _MARKERS) or None


def _validation_message(request: Request, error: Mapping[str, Any], field: str | None) -> str:
    if error.get("type") == "json_invalid":
        return f"malformed JSON: {error.get('ctx', {}).get('error', 'cannot parse')}"
    if field:
        return f"{field}: {error['msg']}"
    if tuple(error.get("loc", ())) == ("body",):
        content_type = request.headers.get("content-type", "")
        if content_type and "json" not in content_type:
            # FastAPI reads only JSON content types; curl -d sends a form type.
            return f"send the body as JSON with Content-Type: application/json, not {content_type}"
        return f"the body must be a JSON object ({error['msg']})"
    return str(error["msg"])


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    field = None if first.get("type") == "json_invalid" else field_path(first.get("loc", ()))
    return error_response(400, _validation_message(request, first, field), field)


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc.status, exc.message, exc.field)


async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
    logger.warning("database unavailable: %s", exc)
    return error_response(503, "the store database is unavailable; try again shortly")


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error", exc_info=exc)
    return error_response(500, "internal error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(InterfaceError, _database_down)
    app.add_exception_handler(Exception, _unexpected)
