"""The FastAPI application: create_app(database_url, token, read_token)."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from xiaoer import __version__
from xiaoer.store.db import Database
from xiaoer.store.errors import install_error_handlers
from xiaoer.store.middleware import BearerAuth, BodyLimit
from xiaoer.store.routers import buyers, events, health, orders, products, promotions

logger = logging.getLogger(__name__)


def create_app(database_url: str, token: str, read_token: str = "") -> FastAPI:
    """The store service on database_url; every /api/ request must bear token (or, to read only,
    read_token)."""
    if not token:
        raise ValueError("the store token must not be empty")
    if read_token and read_token == token:
        raise ValueError("the read-only store token must differ from the read-write one")
    database = Database(database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            database.ensure_schema()
        except SQLAlchemyError as exc:
            # Keep serving: /health says 503 and requests retry the schema until it answers.
            logger.error("store database unavailable at start: %s", exc)
        yield
        database.engine.dispose()

    app = FastAPI(title="Xiaoer store API", version=__version__, lifespan=lifespan)
    app.state.database = database
    for module in (health, products, buyers, orders, promotions, events):
        app.include_router(module.router)
    install_error_handlers(app)
    # The last added runs first: auth before reading any body.
    app.add_middleware(BodyLimit)
    app.add_middleware(BearerAuth, token=token, read_token=read_token)
    return app
