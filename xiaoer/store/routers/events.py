"""Events: store-side happenings for the follow-up engine, accepted once per event_id."""

from __future__ import annotations

from typing import List

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from xiaoer.store.db import buyers, events, fetch, orders, products, record_event, write
from xiaoer.store.deps import get_engine
from xiaoer.store.errors import ApiError
from xiaoer.storeapi.schemas import EventIn
from xiaoer.storeapi.values import iso

router = APIRouter(prefix="/api/events", tags=["events"])


def event_json(row) -> dict:
    return {
        "seq": row["seq"],
        "event_id": row["event_id"],
        "type": row["type"],
        "buyer_id": row["buyer_id"],
        "order_id": row["order_id"],
        "sku": row["sku"],
        "at": iso(row["at"]),
    }


def _check_references(conn: Connection, body: EventIn) -> None:
    if fetch(conn, buyers, body.buyer_id) is None:
        raise ApiError(404, f"buyer_id: no buyer with id {body.buyer_id!r}", "buyer_id")
    if body.order_id is not None:
        order = fetch(conn, orders, body.order_id)
        if order is None:
            raise ApiError(404, f"order_id: no order with id {body.order_id!r}", "order_id")
        if order["buyer_id"] != body.buyer_id:
            message = f"order_id: order {body.order_id!r} belongs to another buyer"
            raise ApiError(400, message, "order_id")
    if body.sku is not None and fetch(conn, products, body.sku) is None:
        raise ApiError(404, f"sku: no product with sku {body.sku!r}", "sku")


@router.post("")
def post_event(body: EventIn, engine: Engine = Depends(get_engine)) -> JSONResponse:
    def work(conn: Connection) -> bool:
        _check_references(conn, body)
        return record_event(conn, body.dict())

    inserted = write(engine, work)
    return JSONResponse(
        {"event_id": body.event_id, "duplicate": not inserted},
        status_code=201 if inserted else 200,
    )


@router.get("")
def list_events(
    after: int = Query(0, ge=0, le=2**63 - 1, description="only events with a greater seq"),
    limit: int = Query(100, ge=1, le=1000),
    engine: Engine = Depends(get_engine),
) -> List[dict]:
    """Events in the order they were recorded; page on with after=<last seq>."""
    query = select(events).where(events.c.seq > after).order_by(events.c.seq).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [event_json(row) for row in rows]
