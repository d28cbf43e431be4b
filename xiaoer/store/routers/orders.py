"""Orders, their status machine and the events it emits; a buyer's orders; shipments."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from xiaoer.store.db import buyers, fetch, orders, products, record_event, shipments, upsert, write
from xiaoer.store.deps import check_path_id, get_engine, plain_json, saved
from xiaoer.store.errors import ApiError
from xiaoer.store.money import to_fen, to_yuan
from xiaoer.storeapi.contract import STATUS_EVENTS
from xiaoer.storeapi.lifecycle import may_change
from xiaoer.storeapi.schemas import Id, OrderIn, ShipmentIn
from xiaoer.storeapi.values import iso, utc_now

router = APIRouter(tags=["orders"])

NOT_SHIPPABLE = {"created", "cancelled"}


def order_json(row) -> dict:
    items = [
        {"sku": item["sku"], "qty": item["qty"], "unit_price": to_yuan(item["unit_price_fen"])}
        for item in row["items"]
    ]
    total_fen = sum(item["qty"] * item["unit_price_fen"] for item in row["items"])
    return {
        "order_id": row["order_id"],
        "buyer_id": row["buyer_id"],
        "items": items,
        "status": row["status"],
        "created_at": iso(row["created_at"]),
        "paid_at": iso(row["paid_at"]),
        "address": row["address"],
        "total": to_yuan(total_fen),
        "updated_at": iso(row["updated_at"]),
    }


def _check_references(conn: Connection, body: OrderIn) -> None:
    if fetch(conn, buyers, body.buyer_id) is None:
        raise ApiError(400, f"buyer_id: no buyer with id {body.buyer_id!r}", "buyer_id")
    wanted = {item.sku for item in body.items}
    known = set(conn.execute(select(products.c.sku).where(products.c.sku.in_(wanted))).scalars())
    for index, item in enumerate(body.items):
        if item.sku not in known:
            field = f"items.{index}.sku"
            raise ApiError(400, f"{field}: no product with sku {item.sku!r}", field)


def _check_change(old, body: OrderIn) -> None:
    if old["buyer_id"] != body.buyer_id:
        raise ApiError(409, "buyer_id: an order cannot move to another buyer", "buyer_id")
    if not may_change(old["status"], body.status):
        message = f"status: an order cannot go from {old['status']} to {body.status}"
        raise ApiError(409, message, "status")


def _status_time(body: OrderIn, now: datetime) -> datetime:
    """When the order entered its status, by the order's own clock where it has one.

    created_at and paid_at are the store's record of those moments; a status with no timestamp
    of its own (shipped, delivered…) entered it when this change arrived.
    """
    if body.status == "created":
        return body.created_at
    if body.status == "paid" and body.paid_at is not None:
        return body.paid_at
    return now


def _emit_status_event(conn: Connection, order_id: str, body: OrderIn, now: datetime) -> None:
    event_type = STATUS_EVENTS.get(body.status)
    if event_type is None:
        return
    at = _status_time(body, now)
    record_event(
        conn,
        {
            # One event per order and status: a replayed PUT or a withdrawn refund adds none.
            "event_id": f"order:{order_id}:{body.status}",
            "type": event_type,
            "buyer_id": body.buyer_id,
            "order_id": order_id,
            "at": at,
        },
    )


@router.put("/api/orders/{order_id}")
def put_order(order_id: Id, body: OrderIn, engine: Engine = Depends(get_engine)):
    check_path_id("order_id", order_id, body.order_id)
    values = body.dict(exclude={"order_id", "items"})
    values["items"] = [
        {"sku": item.sku, "qty": item.qty, "unit_price_fen": to_fen(item.unit_price)} for item in body.items
    ]
    now = utc_now()
    values["updated_at"] = now

    def work(conn: Connection):
        _check_references(conn, body)
        old = fetch(conn, orders, order_id, for_update=True)
        if old is not None:
            _check_change(old, body)
        created = upsert(conn, orders, order_id, values)
        if old is None or old["status"] != body.status:
            _emit_status_event(conn, order_id, body, now)
        return created, fetch(conn, orders, order_id)

    created, row = write(engine, work)
    return saved(order_json(row), created)


@router.get("/api/orders/{order_id}")
def get_order(order_id: Id, engine: Engine = Depends(get_engine)) -> JSONResponse:
    with engine.connect() as conn:
        row = fetch(conn, orders, order_id)
    if row is None:
        raise ApiError(404, f"no order with id {order_id!r}")
    return plain_json(order_json(row))


@router.get("/api/buyers/{buyer_id}/orders")
def buyer_orders(buyer_id: Id, engine: Engine = Depends(get_engine)) -> JSONResponse:
    """The buyer's orders, newest first."""
    with engine.connect() as conn:
        if fetch(conn, buyers, buyer_id) is None:
            raise ApiError(404, f"no buyer with id {buyer_id!r}")
        query = (
            select(orders)
            .where(orders.c.buyer_id == buyer_id)
            .order_by(orders.c.created_at.desc(), orders.c.order_id.desc())
        )
        rows = conn.execute(query).mappings().all()
    return plain_json([order_json(row) for row in rows])


def shipment_json(row) -> dict:
    return {
        "order_id": row["order_id"],
        "carrier": row["carrier"],
        "tracking_no": row["tracking_no"],
        "eta": iso(row["eta"]),
        "events": row["events"],
    }


@router.put("/api/orders/{order_id}/shipment")
def put_shipment(order_id: Id, body: ShipmentIn, engine: Engine = Depends(get_engine)):
    check_path_id("order_id", order_id, body.order_id)
    tracking = sorted(body.events, key=lambda event: event.time)
    values = {
        "carrier": body.carrier,
        "tracking_no": body.tracking_no,
        "eta": body.eta,
        "events": [
            {"time": iso(e.time), "location": e.location, "description": e.description} for e in tracking
        ],
        "updated_at": utc_now(),
    }

    def work(conn: Connection):
        order = fetch(conn, orders, order_id, for_update=True)
        if order is None:
            raise ApiError(404, f"no order with id {order_id!r}")
        if order["status"] in NOT_SHIPPABLE:
            raise ApiError(409, f"order {order_id} is {order['status']}; it cannot ship")
        return upsert(conn, shipments, order_id, values), fetch(conn, shipments, order_id)

    created, row = write(engine, work)
    return saved(shipment_json(row), created)


@router.get("/api/orders/{order_id}/shipment")
def get_shipment(order_id: Id, engine: Engine = Depends(get_engine)) -> JSONResponse:
    with engine.connect() as conn:
        row = fetch(conn, shipments, order_id)
    if row is None:
        raise ApiError(404, f"order {order_id!r} has not shipped (or does not exist)")
    return plain_json(shipment_json(row))
