"""Puts the demo store into a store backend, through the Store API only.

Order of writes: products, buyers, orders, shipments, promotions — each needs the ones before
(an order names its buyer and SKUs, a shipment its order). Every write is an idempotent PUT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterable, List, Tuple
from urllib.parse import quote

import requests

from xiaoer.demo.catalog import product_body
from xiaoer.demo.generate import DemoData, generate

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = (5, 30)  # connect, read (seconds)

Json = Dict[str, Any]


class LoadError(RuntimeError):
    """The store refused a request or could not be reached; the message says which and why."""


class StoreSession:
    """A requests.Session against one store: base URL, bearer token, timeouts, clear errors."""

    def __init__(self, url: str, token: str, timeout: Tuple[float, float] = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> StoreSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(self, method: str, path: str, body: Json | None = None) -> requests.Response:
        try:
            response = self.session.request(method, self.url + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise LoadError(f"{method} {self.url}{path}: the store did not answer: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise LoadError(
                f"{method} {self.url}{path}: HTTP {response.status_code}\n{response.text.strip()[:2000]}"
            )
        return response

    def get(self, path: str) -> Any:
        response = self.request("GET", path)
        try:
            return response.json()
        except ValueError as exc:
            raise LoadError(f"GET {self.url}{path}: not JSON: {response.text[:500]!r}") from exc

    def put(self, path: str, body: Json) -> int:
        return self.request("PUT", path, body).status_code


def _id(value: str) -> str:
    return quote(value, safe="")


def writes(data: DemoData) -> List[Tuple[str, str, Json]]:
    """(kind, path, body) of every PUT that loads `data`, in dependency order."""
    found: List[Tuple[str, str, Json]] = []
    for product in data.products:
        found.append(("products", f"/api/products/{_id(product['sku'])}", product_body(product)))
    for buyer in data.buyers:
        found.append(("buyers", f"/api/buyers/{_id(buyer['buyer_id'])}", _without(buyer, "buyer_id")))
    for order in data.orders:
        found.append(("orders", f"/api/orders/{_id(order['order_id'])}", _without(order, "order_id")))
    for shipment in data.shipments:
        path = f"/api/orders/{_id(shipment['order_id'])}/shipment"
        found.append(("shipments", path, _without(shipment, "order_id")))
    for promotion in data.promotions:
        path = f"/api/promotions/{_id(promotion['promo_id'])}"
        found.append(("promotions", path, _without(promotion, "promo_id")))
    return found


def _without(resource: Json, key: str) -> Json:
    return {k: v for k, v in resource.items() if k != key}


def existing_products(store: StoreSession) -> List[Json]:
    """The store's whole catalogue (`GET /api/products` without `q`, a reference-backend extension)."""
    products = store.get("/api/products")
    if not isinstance(products, list):
        raise LoadError(f"GET {store.url}/api/products: expected a JSON list, got {type(products).__name__}")
    return products


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
    with StoreSession(url, token) as store:
        if not force and existing_products(store):
            return None
        counts = dict.fromkeys(data.counts(), 0)
        for kind, path, body in writes(data):
            store.put(path, body)
            counts[kind] += 1
    return counts
