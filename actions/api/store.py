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

    # --- buyers, events and promotions: used by the unsubscribe action and the follow-up engine ---

    def get_buyer(self, buyer_id: str) -> Json | None:
        """GET /api/buyers/{id} (a reference-backend extension); None when unknown."""
        return self._get_by_id("/api/buyers/{}", buyer_id)

    def put_buyer(self, buyer_id: str, body: Json) -> Json:
        text = str(buyer_id)
        if text in ("", ".", ".."):
            raise ValueError(f"not a buyer id: {buyer_id!r}")
        path = "/api/buyers/{}".format(requests.utils.quote(text, safe=""))
        try:
            response = self.session.put(f"{self.base_url}{path}", json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise StoreUnavailable(f"PUT {path}: {exc}") from exc
        if response.status_code not in (200, 201):
            raise StoreUnavailable(f"PUT {path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise StoreUnavailable(f"PUT {path}: not JSON") from exc

    def set_marketing_opt_out(self, buyer_id: str, opt_out: bool = True) -> Json:
        """Keep the buyer's record and change only the opt-out (PUT replaces the whole buyer)."""
        buyer = self.get_buyer(buyer_id) or {"nickname": str(buyer_id)}
        body = {"nickname": buyer.get("nickname") or str(buyer_id), "marketing_opt_out": opt_out}
        if buyer.get("phone"):
            body["phone"] = buyer["phone"]
        return self.put_buyer(buyer_id, body)

    def events_after(self, after: int, limit: int = 500) -> List[Json]:
        """GET /api/events?after=SEQ (a reference-backend extension): the event feed, in seq order."""
        events = self._get("/api/events", {"after": after, "limit": limit})
        if not isinstance(events, list):
            raise StoreUnavailable("GET /api/events: not a list")
        return events

    def list_promotions(self, active_at: str | None = None) -> List[Json]:
        """Promotions active at a time (ISO 8601 with offset); now when not given."""
        return self._get("/api/promotions", {"active_at": active_at} if active_at else None) or []

    def get_promotion(self, promo_id: str) -> Json | None:
        """GET /api/promotions/{id} (a reference-backend extension); None when unknown."""
        return self._get_by_id("/api/promotions/{}", promo_id)
