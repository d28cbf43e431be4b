"""Promotions: time-limited offers for some SKUs or the whole store."""

from __future__ import annotations

from typing import List

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.engine import Engine

from xiaoer.store.db import fetch, promotions, upsert, write
from xiaoer.store.deps import check_path_id, get_engine, saved
from xiaoer.store.errors import ApiError
from xiaoer.storeapi.schemas import Id, PromotionIn
from xiaoer.storeapi.values import iso, parse_time, utc_now

router = APIRouter(prefix="/api/promotions", tags=["promotions"])


def promotion_json(row) -> dict:
    return {
        "promo_id": row["promo_id"],
        "title": row["title"],
        "description": row["description"],
        "kind": row["kind"],
        "starts_at": iso(row["starts_at"]),
        "ends_at": iso(row["ends_at"]),
        "skus": row["skus"],
    }


@router.put("/{promo_id}")
def put_promotion(promo_id: Id, body: PromotionIn, engine: Engine = Depends(get_engine)):
    check_path_id("promo_id", promo_id, body.promo_id)
    values = body.dict(exclude={"promo_id"})
    values["updated_at"] = utc_now()

    def work(conn):
        return upsert(conn, promotions, promo_id, values), fetch(conn, promotions, promo_id)

    created, row = write(engine, work)
    return saved(promotion_json(row), created)


@router.get("/{promo_id}")
def get_promotion(promo_id: Id, engine: Engine = Depends(get_engine)) -> dict:
    with engine.connect() as conn:
        row = fetch(conn, promotions, promo_id)
    if row is None:
        raise ApiError(404, f"no promotion with id {promo_id!r}")
    return promotion_json(row)


ENDED_LIMIT = 20


@router.get("")
def active_promotions(
    sku: str | None = None,
    active_at: str | None = None,
    status: str = "active",
    engine: Engine = Depends(get_engine),
) -> List[dict]:
    """Promotions running at active_at (default now), for sku when given; storewide ones count.

    status=ended (an extension) lists instead the ones that ended by then, the latest first,
    so a buyer asking after a finished promotion can be told it is over.
    """
    try:
        moment = parse_time(active_at) if active_at is not None else utc_now()
    except ValueError as exc:
        raise ApiError(400, f"active_at: {exc}", "active_at") from None
    if status == "active":
        query = (
            select(promotions)
            .where(promotions.c.starts_at <= moment, promotions.c.ends_at > moment)
            .order_by(promotions.c.starts_at, promotions.c.promo_id)
        )
    elif status == "ended":
        query = (
            select(promotions)
            .where(promotions.c.ends_at <= moment)
            .order_by(promotions.c.ends_at.desc(), promotions.c.promo_id)
            .limit(ENDED_LIMIT)
        )
    else:
        raise ApiError(400, "status: must be active or ended", "status")
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    # JSON containment differs per database; the running promotions are few, so filter here.
    if sku is not None:
        rows = [row for row in rows if not row["skus"] or sku in row["skus"]]
    return [promotion_json(row) for row in rows]
