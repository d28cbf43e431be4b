"""The one client for a store's systems (contract: Store API v1)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

import requests

logger = logging.getLogger(__name__)

Json = Dict[str, Any]


class StoreUnavailable(Exception):
    """The store could not answer: down, slow, misconfigured or erroring."""


class StoreClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = 3.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def _get(self, path: str, params: Json | None = None) -> Any | None:
        """GET a resource; None when the store says 404."""
        url = f"{self.base_url}{path}"
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise StoreUnavailable(f"GET {path}: {exc}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise StoreUnavailable(f"GET {path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise StoreUnavailable(f"GET {path}: not JSON") from exc

    def _get_by_id(self, template: str, ident: str) -> Any | None:
        # Ids come from buyer text; keep them from escaping their path segment. "", "." and ".."
        # cannot be kept in one (clients resolve dot segments even when percent-encoded), and
        # no resource has them, so they are not found without asking.
        text = str(ident)
        if text in ("", ".", ".."):
            return None
        return self._get(template.format(requests.utils.quote(text, safe="")))

    def get_order(self, order_id: str) -> Json | None:
        return self._get_by_id("/api/orders/{}", order_id)

    def buyer_orders(self, buyer_id: str) -> List[Json]:
        return self._get_by_id("/api/buyers/{}/orders", buyer_id) or []

    def get_shipment(self, order_id: str) -> Json | None:
        return self._get_by_id("/api/orders/{}/shipment", order_id)

    def get_product(self, sku: str) -> Json | None:
        return self._get_by_id("/api/products/{}", sku)

    def search_products(self, text: str) -> List[Json]:
        return self._get("/api/products", {"q": text}) or []

    def list_products(self) -> List[Json]:
        return self._get("/api/products") or []

    def active_promotions(self, sku: str | None = None) -> List[Json]:
        params = {"sku": sku} if sku else None
        return self._get("/api/promotions", params) or []

    def ended_promotions(self, sku: str | None = None) -> List[Json]:
        """Promotions already over, latest first (?status=ended, a reference-backend extension;
        a store without it answers the running ones, which callers filter out by ends_at)."""
        params = {"status": "ended", **({"sku": sku} if sku else {})}
        return self._get("/api/promotions", params) or []
