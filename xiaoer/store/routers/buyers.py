"""Buyers: the people who chat; their id is the conversation's sender id."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Engine

from xiaoer.store.db import buyers, fetch, upsert, write
from xiaoer.store.deps import check_path_id, get_engine, saved
from xiaoer.store.errors import ApiError
from xiaoer.storeapi.schemas import BuyerIn, Id
from xiaoer.storeapi.values import utc_now

router = APIRouter(prefix="/api/buyers", tags=["buyers"])


def buyer_json(row) -> dict:
    return {
        "buyer_id": row["buyer_id"],
        "nickname": row["nickname"],
        "phone": row["phone"],
        "marketing_opt_out": row["marketing_opt_out"],
    }


@router.put("/{buyer_id}")
def put_buyer(buyer_id: Id, body: BuyerIn, engine: Engine = Depends(get_engine)):
    check_path_id("buyer_id", buyer_id, body.buyer_id)
    values = body.dict(exclude={"buyer_id"})
    values["updated_at"] = utc_now()

    def work(conn):
        return upsert(conn, buyers, buyer_id, values), fetch(conn, buyers, buyer_id)

    created, row = write(engine, work)
    return saved(buyer_json(row), created)


@router.get("/{buyer_id}")
def get_buyer(buyer_id: Id, engine: Engine = Depends(get_engine)) -> dict:
    with engine.connect() as conn:
        row = fetch(conn, buyers, buyer_id)
    if row is None:
        raise ApiError(404, f"no buyer with id {buyer_id!r}")
    return buyer_json(row)
