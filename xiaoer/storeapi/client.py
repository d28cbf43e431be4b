"""The one client for a store's systems (Store API v1, docs/store-api.md).

Every part of Xiaoer that talks to the store goes through StoreClient: the action server, the
follow-up engine, the agent console, Rasa's catalogue matcher and the demo loader. It owns the
bearer token, the timeouts, path-safe ids, retries of idempotent reads and the ETag catalogue fetch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, List, Tuple

import requests

from xiaoer.storeapi.contract import Json

logger = logging.getLogger(__name__)

# A read is tried again once when the connection failed or a proxy said the store is briefly away;
# never after a timeout (the buyer already waited the whole timeout once).
RETRY_STATUSES = frozenset({502, 503, 504})
READ_ATTEMPTS = 2
RETRY_PAUSE = 0.1  # seconds

Timeout = float | Tuple[float, float]


class StoreUnavailable(Exception):
    """The store could not answer: down, slow, misconfigured or erroring."""


class StoreRejected(StoreUnavailable):
    """The store answered a write with an error: the body or the change was refused."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Catalogue:
    """GET /api/products with If-None-Match: the products, or None when they have not changed."""

    products: List[Json] | None
    etag: str | None


def _segment(ident: Any) -> str | None:
    """An id kept inside its path segment, or None for ids no resource can have.

    Ids come from buyer text. "", "." and ".." cannot be kept in one segment (clients resolve dot
    segments even when percent-encoded), so they are not found without asking.
    """
    text = str(ident)
    if text in ("", ".", ".."):
        return None
    return requests.utils.quote(text, safe="")


class StoreClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: Timeout = 3.0,
        session: requests.Session | None = None,
        read_attempts: int = READ_ATTEMPTS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.read_attempts = max(1, read_attempts)
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    # --- plumbing ----------------------------------------------------------------------------

    def _send_read(self, path: str, params: Json | None, headers: Json | None) -> requests.Response:
        url = f"{self.base_url}{path}"
        extra = {"headers": headers} if headers else {}
        for attempt in range(1, self.read_attempts + 1):
            last = attempt == self.read_attempts
            try:
                response = self.session.get(url, params=params, timeout=self.timeout, **extra)
            except requests.Timeout as exc:
                raise StoreUnavailable(f"GET {path}: {exc}") from exc
            except requests.RequestException as exc:
                if last:
                    raise StoreUnavailable(f"GET {path}: {exc}") from exc
                logger.info("store: GET %s failed (%s); trying once more", path, exc.__class__.__name__)
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                logger.info("store: GET %s answered %s; trying once more", path, response.status_code)
            time.sleep(RETRY_PAUSE)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, path: str, params: Json | None = None) -> Any | None:
        """GET a resource; None when the store says 404."""
        response = self._send_read(path, params, None)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise StoreUnavailable(f"GET {path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise StoreUnavailable(f"GET {path}: not JSON") from exc

    def _get_by_id(self, template: str, ident: Any) -> Any | None:
        segment = _segment(ident)
        return None if segment is None else self._get(template.format(segment))

    def _put(self, path: str, body: Json) -> Json:
        """PUT is idempotent in Store API v1, but a write is never retried here: its caller decides."""
        try:
            response = self.session.put(f"{self.base_url}{path}", json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise StoreUnavailable(f"PUT {path}: {exc}") from exc
        if 400 <= response.status_code < 500:
            detail = response.text.strip()[:2000]
            raise StoreRejected(
                f"PUT {path}: HTTP {response.status_code} {detail}", response.status_code, detail
            )
        if response.status_code not in (200, 201):
            raise StoreUnavailable(f"PUT {path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise StoreUnavailable(f"PUT {path}: not JSON") from exc

    def _put_by_id(self, template: str, ident: Any, body: Json) -> Json:
        segment = _segment(ident)
        if segment is None:
            raise ValueError(f"not an id: {ident!r}")
        return self._put(template.format(segment), body)

    # --- orders and shipments ----------------------------------------------------------------

    def get_order(self, order_id: str) -> Json | None:
        return self._get_by_id("/api/orders/{}", order_id)

    def buyer_orders(self, buyer_id: str) -> List[Json]:
        """The buyer's orders, newest first; [] for an unknown buyer."""
        return self._get_by_id("/api/buyers/{}/orders", buyer_id) or []

    def get_shipment(self, order_id: str) -> Json | None:
        return self._get_by_id("/api/orders/{}/shipment", order_id)

    def put_order(self, order_id: str, body: Json) -> Json:
        return self._put_by_id("/api/orders/{}", order_id, body)

    def put_shipment(self, order_id: str, body: Json) -> Json:
        return self._put_by_id("/api/orders/{}/shipment", order_id, body)

    # --- products ------------------------------------------------------------------------------

    def get_product(self, sku: str) -> Json | None:
        return self._get_by_id("/api/products/{}", sku)

    def search_products(self, text: str) -> List[Json]:
        return self._get("/api/products", {"q": text}) or []

    def list_products(self) -> List[Json]:
        return self._get("/api/products") or []

    def catalogue(self, etag: str | None = None) -> Catalogue:
        """The whole catalogue, or Catalogue(None, etag) when it is unchanged since `etag` (304)."""
        headers = {"If-None-Match": etag} if etag else None
        response = self._send_read("/api/products", None, headers)
        if response.status_code == 304:
            return Catalogue(None, etag)
        if response.status_code != 200:
            raise StoreUnavailable(f"GET /api/products: HTTP {response.status_code}")
        try:
            products = response.json()
        except ValueError as exc:
            raise StoreUnavailable("GET /api/products: not JSON") from exc
        if not isinstance(products, list):
            raise StoreUnavailable("GET /api/products: not a list")
        return Catalogue([p for p in products if isinstance(p, dict)], response.headers.get("ETag"))

    def put_product(self, sku: str, body: Json) -> Json:
        return self._put_by_id("/api/products/{}", sku, body)

    # --- promotions ----------------------------------------------------------------------------

    def active_promotions(self, sku: str | None = None) -> List[Json]:
        params = {"sku": sku} if sku else None
        return self._get("/api/promotions", params) or []

    def ended_promotions(self, sku: str | None = None) -> List[Json]:
        """Promotions already over, latest first (?status=ended, a reference-backend extension;
        a store without it answers the running ones, which callers filter out by ends_at)."""
        params = {"status": "ended", **({"sku": sku} if sku else {})}
        return self._get("/api/promotions", params) or []

    def list_promotions(self, active_at: str | None = None) -> List[Json]:
        """Promotions active at a time (ISO 8601 with offset); now when not given."""
        return self._get("/api/promotions", {"active_at": active_at} if active_at else None) or []

    def get_promotion(self, promo_id: str) -> Json | None:
        """GET /api/promotions/{id} (a reference-backend extension); None when unknown."""
        return self._get_by_id("/api/promotions/{}", promo_id)

    def put_promotion(self, promo_id: str, body: Json) -> Json:
        return self._put_by_id("/api/promotions/{}", promo_id, body)

    # --- buyers and events -----------------------------------------------------------------------

    def get_buyer(self, buyer_id: str) -> Json | None:
        """GET /api/buyers/{id} (a reference-backend extension); None when unknown."""
        return self._get_by_id("/api/buyers/{}", buyer_id)

    def put_buyer(self, buyer_id: str, body: Json) -> Json:
        return self._put_by_id("/api/buyers/{}", buyer_id, body)

    def set_marketing_opt_out(self, buyer_id: str, opt_out: bool = True) -> Json | None:
        """Keep the buyer's record and change only the opt-out (PUT replaces the whole buyer).

        None for a buyer the store does not know: an opt-out never creates a buyer (a script
        inventing senders would otherwise fill the store)."""
        buyer = self.get_buyer(buyer_id)
        if buyer is None:
            return None
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

    def health(self) -> bool:
        try:
            return self.session.get(f"{self.base_url}/health", timeout=self.timeout).status_code == 200
        except requests.RequestException:
            return False
