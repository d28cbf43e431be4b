"""Products: the catalogue, and search by name or alias."""

from __future__ import annotations

import hashlib
from typing import Iterable, List

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.engine import Engine

from xiaoer.store.db import fetch, products, upsert, write
from xiaoer.store.deps import check_path_id, get_engine, saved
from xiaoer.store.errors import ApiError
from xiaoer.store.money import to_fen, to_yuan
from xiaoer.store.search import score
from xiaoer.storeapi.schemas import Id, ProductIn
from xiaoer.storeapi.values import utc_now

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


def catalogue_etag(rows: Iterable) -> str:
    """The catalogue's revision: changes with every product PUT (each one stamps updated_at)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row['sku']}\t{row['updated_at'].isoformat()}\n".encode())
    return f'"{digest.hexdigest()[:32]}"'


@router.get("")
def list_products(request: Request, q: str | None = None, engine: Engine = Depends(get_engine)) -> List[dict]:
    """All products by sku; with q, at most 20 matches, best first (see search.score).

    The whole catalogue carries an ETag; with a matching If-None-Match the answer is a bodiless
    304, so a client can check for changes before every message at the cost of one small query.
    """
    if q is None:
        wanted = request.headers.get("if-none-match")
        if wanted:
            stamps = select(products.c.sku, products.c.updated_at).order_by(products.c.sku)
            with engine.connect() as conn:
                etag = catalogue_etag(conn.execute(stamps).mappings().all())
            if etag in {tag.strip() for tag in wanted.split(",")}:
                return Response(status_code=304, headers={"ETag": etag})
    with engine.connect() as conn:
        rows = conn.execute(select(products).order_by(products.c.sku)).mappings().all()
    if q is None:
        body = [product_json(row) for row in rows]
        return JSONResponse(body, headers={"ETag": catalogue_etag(rows)})
    scored = [(score(q, row["name"], row["aliases"]), row) for row in rows]
    # sort is stable, so equal scores stay in sku order
    ranked = sorted((pair for pair in scored if pair[0]), key=lambda pair: pair[0], reverse=True)
    return [product_json(row) for _, row in ranked[:SEARCH_LIMIT]]
