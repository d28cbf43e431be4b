"""Puts the demo store into a store backend, through the Store API only.

Order of writes: products, buyers, orders, shipments, promotions — each needs the ones before
(an order names its buyer and SKUs, a shipment its order). Every write is an idempotent PUT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Tuple

from xiaoer.demo.catalog import product_body
from xiaoer.demo.generate import DemoData, generate
from xiaoer.storeapi.client import StoreClient, StoreRejected, StoreUnavailable

TIMEOUT = (5, 30)  # connect, read (seconds)

Json = Dict[str, Any]

# How each kind of resource is written: StoreClient's idempotent PUT for it.
PUTS: Dict[str, Callable[[StoreClient, str, Json], Json]] = {
    "products": StoreClient.put_product,
    "buyers": StoreClient.put_buyer,
    "orders": StoreClient.put_order,
    "shipments": StoreClient.put_shipment,
    "promotions": StoreClient.put_promotion,
}


class LoadError(RuntimeError):
    """The store refused a request or could not be reached; the message says which and why."""


def writes(data: DemoData) -> List[Tuple[str, str, Json]]:
    """(kind, id, body) of every PUT that loads `data`, in dependency order; ids only in paths."""
    found: List[Tuple[str, str, Json]] = []
    for product in data.products:
        found.append(("products", product["sku"], product_body(product)))
    for buyer in data.buyers:
        found.append(("buyers", buyer["buyer_id"], _without(buyer, "buyer_id")))
    for order in data.orders:
        found.append(("orders", order["order_id"], _without(order, "order_id")))
    for shipment in data.shipments:
        found.append(("shipments", shipment["order_id"], _without(shipment, "order_id")))
    for promotion in data.promotions:
        found.append(("promotions", promotion["promo_id"], _without(promotion, "promo_id")))
    return found


def _without(resource: Json, key: str) -> Json:
    return {k: v for k, v in resource.items() if k != key}


def existing_products(client: StoreClient) -> List[Json]:
    """The store's whole catalogue (`GET /api/products` without `q`, a reference-backend extension)."""
    try:
        return client.list_products()
    except StoreUnavailable as exc:
        raise LoadError(f"{client.base_url}: the store did not answer as expected: {exc}") from exc


def store_client(url: str, token: str) -> StoreClient:
    return StoreClient(url, token, timeout=TIMEOUT)


def load_demo(
    url: str,
    token: str,
    *,
    force: bool = False,
    now: datetime | None = None,
    products: Iterable[Json] | None = None,
) -> Dict[str, int] | None:
    """Load the demo store; the number of resources written per kind, or None when the store
    already had products and `force` is off (then nothing is written)."""
    data = generate(now, list(products) if products is not None else None)
    client = store_client(url, token)
    if not force and existing_products(client):
        return None
    counts = dict.fromkeys(data.counts(), 0)
    for kind, ident, body in writes(data):
        try:
            PUTS[kind](client, ident, body)
        except StoreRejected as exc:
            raise LoadError(f"{client.base_url}: the store refused a {kind} write: {exc}") from exc
        except StoreUnavailable as exc:
            raise LoadError(f"{client.base_url}: the store did not answer: {exc}") from exc
        counts[kind] += 1
    return counts
