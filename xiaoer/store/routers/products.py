"""Products: the catalogue, and search by name or alias."""

from __future__ import annotations

from typing import List

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.engine import Engine

from xiaoer.store.db import fetch, products, upsert, write
from xiaoer.store.deps import check_path_id, get_engine, saved
from xiaoer.store.errors import ApiError
from xiaoer.store.money import to_fen, to_yuan
from xiaoer.store.schemas import Id, ProductIn
from xiaoer.store.search import score
from xiaoer.store.times import utc_now

router = APIRouter(prefix="/api/products", tags=["products"])
SEARCH_LIMIT = 20


def product_json(row) -> dict:
    return {
        "sku": row["sku"],
        "name": row["name"],
        "category": row["category"],
        "price": to_yuan(row["price_fen"]),
        "stock": row["stock"],
        "aliases": row["aliases"],
        "attributes": row["attributes"],
        "image_url": row["image_url"],
        "video_url": row["video_url"],
        "detail_image_url": row["detail_image_url"],
    }


@router.put("/{sku}")
def put_product(sku: Id, body: ProductIn, engine: Engine = Depends(get_engine)):
    check_path_id("sku", sku, body.sku)
    values = body.dict(exclude={"sku", "price"})
    values.update(price_fen=to_fen(body.price), updated_at=utc_now())

    def work(conn):
        return upsert(conn, products, sku, values), fetch(conn, products, sku)

    created, row = write(engine, work)
    return saved(product_json(row), created)


@router.get("/{sku}")
def get_product(sku: Id, engine: Engine = Depends(get_engine)) -> dict:
    with engine.connect() as conn:
        row = fetch(conn, products, sku)
    if row is None:
        raise ApiError(404, f"no product with sku {sku!r}")
    return product_json(row)


@router.get("")
def list_products(q: str | None = None, engine: Engine = Depends(get_engine)) -> List[dict]:
    """All products by sku; with q, at most 20 matches, best first (see search.score)."""
    with engine.connect() as conn:
        rows = conn.execute(select(products).order_by(products.c.sku)).mappings().all()
    if q is None:
        return [product_json(row) for row in rows]
    scored = [(score(q, row["name"], row["aliases"]), row) for row in rows]
    # sort is stable, so equal scores stay in sku order
    ranked = sorted((pair for pair in scored if pair[0]), key=lambda pair: pair[0], reverse=True)
    return [product_json(row) for _, row in ranked[:SEARCH_LIMIT]]
