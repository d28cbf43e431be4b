"""An in-memory store with the public methods of xiaoer.storeapi.client.StoreClient (Store API v1).

Tests seed it with put_* and read what the actions asked for in `calls`. `down = True` makes every
call raise StoreUnavailable, as the real client does when the store is down, slow or erroring;
`down_methods` makes only the named calls fail.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Tuple

from xiaoer.storeapi.client import Catalogue, StoreUnavailable
from xiaoer.text import compact

Json = Dict[str, Any]

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
ALICE = "buyer-alice"
BOB = "buyer-bob"


def now() -> datetime:
    return datetime.now(SHANGHAI)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def ago(**delta: float) -> str:
    return iso(now() - timedelta(**delta))


def ahead(**delta: float) -> str:
    return iso(now() + timedelta(**delta))


def parse(iso_time: str) -> datetime:
    return datetime.fromisoformat(iso_time.replace("Z", "+00:00"))


class FakeStore:
    def __init__(self) -> None:
        self.products: Dict[str, Json] = {}
        self.orders: Dict[str, Json] = {}
        self.shipments: Dict[str, Json] = {}
        self.promotions: Dict[str, Json] = {}
        self.down = False
        self.down_methods: set[str] = set()  # only these calls fail
        self.calls: List[Tuple[str, Tuple[Any, ...]]] = []
        self.buyers: Dict[str, Json] = {}
        self.events: List[Json] = []

    # --- seeding --------------------------------------------------------------------------------

    def put_product(
        self,
        sku: str,
        name: str,
        category: str,
        price: float,
        stock: int,
        aliases: Iterable[str] = (),
        attributes: Dict[str, str] | None = None,
    ) -> Json:
        product = {
            "sku": sku,
            "name": name,
            "category": category,
            "price": price,
            "stock": stock,
            "aliases": list(aliases),
            "attributes": dict(attributes or {}),
        }
        self.products[sku] = product
        return product

    def put_order(
        self,
        order_id: str,
        buyer_id: str = ALICE,
        status: str = "paid",
        items: List[Json] | None = None,
        created_at: str | None = None,
        paid_at: str | None = None,
        address: str = "上海市浦东新区张江路88号 王小明 138****5678",
    ) -> Json:
        items = items if items is not None else [{"sku": "TV-65E7K", "qty": 1, "unit_price": 4999}]
        created_at = created_at or ago(days=2)
        if paid_at is None and status != "created":
            paid_at = iso(parse(created_at) + timedelta(minutes=10))
        order = {
            "order_id": order_id,
            "buyer_id": buyer_id,
            "items": items,
            "status": status,
            "created_at": created_at,
            "paid_at": paid_at,
            "address": address,
            "total": sum(i["qty"] * i["unit_price"] for i in items),
        }
        self.orders[order_id] = order
        return order

    def put_shipment(
        self,
        order_id: str,
        carrier: str = "顺丰速运",
        tracking_no: str = "SF0000000000000",
        eta: str | None = None,
        events: List[Json] | None = None,
    ) -> Json:
        shipment = {
            "order_id": order_id,
            "carrier": carrier,
            "tracking_no": tracking_no,
            "eta": eta,
            "events": list(events or []),
        }
        self.shipments[order_id] = shipment
        return shipment

    def put_promotion(
        self,
        promo_id: str,
        title: str,
        description: str,
        kind: str = "discount",
        skus: Iterable[str] = (),
        starts_at: str | None = None,
        ends_at: str | None = None,
    ) -> Json:
        promotion = {
            "promo_id": promo_id,
            "title": title,
            "description": description,
            "kind": kind,
            "starts_at": starts_at or ago(days=3),
            "ends_at": ends_at or ahead(days=7),
            "skus": list(skus),
        }
        self.promotions[promo_id] = promotion
        return promotion

    # --- the StoreClient interface --------------------------------------------------------------

    def _call(self, method: str, *args: Any) -> None:
        self.calls.append((method, args))
        if self.down or method in self.down_methods:
            raise StoreUnavailable(f"fake store is down ({method})")

    def get_order(self, order_id: str) -> Json | None:
        self._call("get_order", order_id)
        return copy.deepcopy(self.orders.get(str(order_id)))

    def buyer_orders(self, buyer_id: str) -> List[Json]:
        self._call("buyer_orders", buyer_id)
        mine = [o for o in self.orders.values() if o.get("buyer_id") == buyer_id]
        mine.sort(key=lambda o: parse(o["created_at"]), reverse=True)  # newest first
        return copy.deepcopy(mine)

    def get_shipment(self, order_id: str) -> Json | None:
        self._call("get_shipment", order_id)
        return copy.deepcopy(self.shipments.get(str(order_id)))

    def get_product(self, sku: str) -> Json | None:
        self._call("get_product", sku)
        return copy.deepcopy(self.products.get(str(sku)))

    def search_products(self, text: str) -> List[Json]:
        """Best match first: exact alias/name, then an alias inside the query (longer first),
        then the query inside an alias or name (closer first)."""
        self._call("search_products", text)
        query = compact(text)  # the backend's matching form (xiaoer.store.search)
        if not query:
            return []
        ranked = []
        for product in self.products.values():
            names = [compact(a) for a in product["aliases"]] + [compact(product["name"])]
            aliases = names[:-1]
            if query in names:
                rank: Tuple[int, int] = (0, 0)
            elif any(a and a in query for a in aliases):
                rank = (1, -max(len(a) for a in aliases if a and a in query))
            elif any(query in n for n in names):
                rank = (2, min(len(n) for n in names if query in n))
            else:
                continue
            ranked.append((rank, product["sku"], product))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return copy.deepcopy([product for _, _, product in ranked])

    def list_products(self) -> List[Json]:
        self._call("list_products")
        return copy.deepcopy(sorted(self.products.values(), key=lambda p: p["sku"]))

    def catalogue(self, etag: str | None = None) -> Catalogue:
        self._call("catalogue", etag)
        products = sorted(self.products.values(), key=lambda p: p["sku"])
        current = str(hash(repr(products)))
        return Catalogue(None if etag == current else copy.deepcopy(products), current)

    def health(self) -> bool:
        return not self.down

    def active_promotions(self, sku: str | None = None) -> List[Json]:
        """Promotions running now; with a sku, that product's own plus the storewide ones."""
        self._call("active_promotions", sku)
        moment = now()
        active = [
            p
            for p in self.promotions.values()
            if parse(p["starts_at"]) <= moment < parse(p["ends_at"])
            and (sku is None or not p["skus"] or sku in p["skus"])
        ]
        return copy.deepcopy(active)

    def ended_promotions(self, sku: str | None = None) -> List[Json]:
        """Promotions already over, the latest ended first (the store's ?status=ended)."""
        self._call("ended_promotions", sku)
        moment = now()
        ended = [
            p
            for p in self.promotions.values()
            if parse(p["ends_at"]) <= moment and (sku is None or not p["skus"] or sku in p["skus"])
        ]
        return copy.deepcopy(sorted(ended, key=lambda p: parse(p["ends_at"]), reverse=True))

    # --- buyers, events and single promotions (the unsubscribe action, the follow-up engine) ------

    def get_buyer(self, buyer_id: str) -> Json | None:
        self._call("get_buyer", buyer_id)
        return copy.deepcopy(self.buyers.get(str(buyer_id)))

    def put_buyer(self, buyer_id: str, body: Json) -> Json:
        self._call("put_buyer", buyer_id, body)
        self.buyers[str(buyer_id)] = {"buyer_id": str(buyer_id), "marketing_opt_out": False, **body}
        return copy.deepcopy(self.buyers[str(buyer_id)])

    def set_marketing_opt_out(self, buyer_id: str, opt_out: bool = True) -> Json | None:
        """As the real client: PUT the whole buyer back with only the opt-out changed; never create one."""
        buyer = self.get_buyer(buyer_id)
        if buyer is None:
            return None
        body = {"nickname": buyer.get("nickname") or str(buyer_id), "marketing_opt_out": opt_out}
        if buyer.get("phone"):
            body["phone"] = buyer["phone"]
        return self.put_buyer(buyer_id, body)

    def events_after(self, after: int, limit: int = 500) -> List[Json]:
        self._call("events_after", after, limit)
        return copy.deepcopy([e for e in self.events if e["seq"] > after][:limit])

    def list_promotions(self, active_at: str | None = None) -> List[Json]:
        self._call("list_promotions", active_at)
        moment = parse(active_at) if active_at else now()
        return copy.deepcopy(
            [p for p in self.promotions.values() if parse(p["starts_at"]) <= moment < parse(p["ends_at"])]
        )

    def get_promotion(self, promo_id: str) -> Json | None:
        self._call("get_promotion", promo_id)
        return copy.deepcopy(self.promotions.get(str(promo_id)))

    def called(self, method: str) -> List[Tuple[Any, ...]]:
        return [args for name, args in self.calls if name == method]


TRACKING_NO = "SF1400123456789"
LATEST_EVENT = "快件已到达【上海浦东转运中心】，正在安排派送"
OLDER_EVENT = "快件离开【杭州转运中心】"


def day(moment: datetime) -> str:
    """A moment's date as the actions word it, in the store's timezone."""
    local = moment.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日"


def seed_shipped(store: FakeStore, order_id: str, buyer_id: str = ALICE, status: str = "shipped") -> datetime:
    """An order with its parcel on the way; returns the ETA.

    The latest event is written in UTC and an older one in +08:00 (which sorts later as text), and
    the events are listed out of order. The ETA, 20:00 UTC, is the next morning in Shanghai.
    """
    store.put_order(order_id, buyer_id, status, created_at=ago(days=3))
    utc_now = now().astimezone(timezone.utc)
    eta = (utc_now + timedelta(days=2)).replace(hour=20, minute=0, second=0, microsecond=0)
    store.put_shipment(
        order_id,
        carrier="顺丰速运",
        tracking_no=TRACKING_NO,
        eta=iso(eta),
        events=[
            {"time": iso(utc_now - timedelta(hours=1)), "location": "上海", "description": LATEST_EVENT},
            {"time": ago(days=2), "location": "青岛", "description": "顺丰速运 已收取快件"},
            {"time": ago(hours=3), "location": "杭州", "description": OLDER_EVENT},
        ],
    )
    return eta


def demo_catalogue(store: FakeStore) -> FakeStore:
    """Televisions, a fridge and a washer; attribute order matters (overviews list the first six)."""
    store.put_product(
        "TV-65E7K",
        "海悦 65E7K 65英寸 Mini LED 144Hz 液晶电视",
        "电视",
        4999,
        120,
        aliases=["65E7K", "E7K 65寸"],
        attributes={
            "屏幕尺寸": "65英寸",
            "刷新率": "144Hz",
            "分辨率": "3840×2160（4K）",
            "背光类型": "Mini LED",
            "能效等级": "一级能效",
            "运行内存": "4GB",
            "存储容量": "64GB",
        },
    )
    store.put_product(
        "TV-75E7K",
        "海悦 75E7K 75英寸 Mini LED 144Hz 液晶电视",
        "电视",
        6999,
        8,
        aliases=["75E7K", "E7K 75寸"],
        attributes={"屏幕尺寸": "75英寸", "刷新率": "144Hz", "能效等级": "二级能效"},
    )
    store.put_product(
        "TV-55E5N",
        "海悦 55E5N 55英寸 120Hz 液晶电视",
        "电视",
        3299,
        30,
        aliases=["55E5N"],
        attributes={"屏幕尺寸": "55英寸", "刷新率": "120Hz", "能效等级": "一级能效"},
    )
    store.put_product(
        "TV-55E3N",
        "海悦 55E3N 55英寸 智能电视",
        "电视",
        2799,
        0,
        aliases=["55E3N"],
        attributes={"屏幕尺寸": "55英寸", "刷新率": "60Hz"},
    )
    store.put_product(
        "TV-50E3N",
        "海悦 50E3N 50英寸 智能电视",
        "电视",
        1999,
        15,
        aliases=["50E3N"],
        attributes={"屏幕尺寸": "50英寸", "刷新率": "60Hz"},
    )
    store.put_product(
        "TV-43E2F",
        "海悦 43E2F 43英寸 全高清电视",
        "电视",
        1299,
        50,
        aliases=["43E2F"],
        attributes={"屏幕尺寸": "43英寸"},
    )
    store.put_product(
        "RF-520W",
        "海悦 BCD-520W 十字对开门 风冷无霜 冰箱",
        "冰箱",
        3999,
        5,
        aliases=["520W", "BCD-520W"],
        attributes={
            "门款式": "十字对开门",
            "制冷方式": "风冷无霜",
            "冷藏室容积": "320升",
            "冷冻室容积": "200升",
            "能效等级": "一级能效",
            "产品尺寸": "833×680×1900mm",
            "总容积": "520升",
        },
    )
    store.put_product(
        "WM-XQG100",
        "海悦 XQG100 10公斤 滚筒洗衣机",
        "洗衣机",
        2599,
        40,
        aliases=["XQG100"],
        attributes={},
    )
    return store
