"""Loads the demo store into a store backend, only through the Store API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List

import requests

from xiaoer.demo.generate import SHANGHAI, DemoStore, generate


class LoadError(Exception):
    pass


class _Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> Any:
        response = self.session.get(f"{self.url}{path}", timeout=10)
        if response.status_code != 200:
            raise LoadError(f"GET {path}: HTTP {response.status_code}: {response.text[:500]}")
        return response.json()

    def put(self, path: str, body: Dict[str, Any]) -> None:
        response = self.session.put(f"{self.url}{path}", json=body, timeout=10)
        if response.status_code not in (200, 201):
            raise LoadError(f"PUT {path}: HTTP {response.status_code}: {response.text[:500]}")


def load(url: str, token: str, products: List[Dict[str, Any]], force: bool = False) -> Dict[str, int]:
    """PUT the demo store; an empty dict when the store already had products and not forced."""
    api = _Api(url, token)
    if api.get("/api/products") and not force:
        return {}
    store: DemoStore = generate(products, datetime.now(SHANGHAI))
    for product in products:
        body = {k: v for k, v in product.items() if k != "sku"}
        api.put(f"/api/products/{product['sku']}", body)
    for buyer_id, buyer in store.buyers.items():
        api.put(f"/api/buyers/{buyer_id}", buyer)
    for order_id, order in store.orders.items():
        api.put(f"/api/orders/{order_id}", order)
    for order_id, shipment in store.shipments.items():
        api.put(f"/api/orders/{order_id}/shipment", shipment)
    for promo_id, promotion in store.promotions.items():
        api.put(f"/api/promotions/{promo_id}", promotion)
    return {
        "products": len(products),
        "buyers": len(store.buyers),
        "orders": len(store.orders),
        "shipments": len(store.shipments),
        "promotions": len(store.promotions),
    }
