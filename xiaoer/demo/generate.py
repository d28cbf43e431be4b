"""Buyers, orders, shipments and promotions for the demo store, fresh relative to `now`.

Deterministic for a given `now` and seed, so tests and demos see the same store.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUSES = ("created", "paid", "shipped", "delivered", "completed", "cancelled", "refunding", "refunded")
DEMO_BUYER = "demo"

NICKNAMES = [
    "橘子汽水",
    "阿杰不加班",
    "小鹿乱撞",
    "青岛老李",
    "爱吃火锅的猫",
    "木子",
    "陈先生",
    "晴天娃娃",
    "Kevin_Z",
    "王姐家",
    "一只小胖",
    "明天会更好",
    "桃桃乌龙",
    "老周装修中",
    "Lucky星",
    "飞鱼",
    "佳佳妈妈",
    "风吹麦浪",
    "张工",
    "豆包",
    "刘女士",
    "北漂小赵",
    "海边的卡夫卡",
    "程序员老吴",
    "静静",
    "大白兔",
    "南山南",
    "七月",
    "孙阿姨",
    "Momo",
    "新房待入住",
    "半糖去冰",
]
ADDRESSES = [
    ("山东省", "青岛市", "黄岛区", "长江中路228号阳光小区3号楼"),
    ("北京市", "北京市", "朝阳区", "望京西园四区412号楼"),
    ("上海市", "上海市", "浦东新区", "张杨路1588弄7号"),
    ("广东省", "广州市", "天河区", "天河北路233号中信广场附近"),
    ("浙江省", "杭州市", "余杭区", "五常大道181号西溪璞园"),
    ("江苏省", "南京市", "江宁区", "双龙大道1222号"),
    ("四川省", "成都市", "高新区", "天府三街69号"),
    ("湖北省", "武汉市", "洪山区", "珞喻路1037号"),
    ("陕西省", "西安市", "雁塔区", "科技路48号"),
    ("河南省", "郑州市", "金水区", "花园路39号"),
    ("天津市", "天津市", "南开区", "卫津路92号"),
    ("辽宁省", "沈阳市", "浑南区", "创新路155号"),
]
RECEIVERS = ["李", "王", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
BIG_CATEGORIES = {"电视", "冰箱", "空调", "洗衣机"}
CARRIER_FORMATS = {
    "京东物流": ("JD", 13),
    "顺丰速运": ("SF", 13),
    "日日顺物流": ("RRS", 12),
    "中通快递": ("7", 14),
    "德邦快递": ("DPK", 12),
}


def iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


@dataclass
class DemoStore:
    buyers: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    orders: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    shipments: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    promotions: Dict[str, Dict[str, Any]] = field(default_factory=dict)


class _Generator:
    def __init__(self, products: List[Dict[str, Any]], now: datetime, seed: int) -> None:
        self.products = products
        self.now = now
        self.rng = random.Random(seed)
        self.store = DemoStore()
        self.used_ids: set = set()

    def order_id(self) -> str:
        while True:
            candidate = "26" + "".join(self.rng.choice("0123456789") for _ in range(10))
            if candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate

    def phone(self) -> str:
        return f"1{self.rng.choice('3578')}{self.rng.randint(0, 9)}****{self.rng.randint(0, 9999):04d}"

    def buyers(self) -> None:
        for i, nickname in enumerate(NICKNAMES, 1):
            self.store.buyers[f"buyer_{i:03d}"] = {
                "nickname": nickname,
                "phone": self.phone(),
                "marketing_opt_out": i % 8 == 0,
            }
        self.store.buyers[DEMO_BUYER] = {
            "nickname": "演示买家",
            "phone": "138****0000",
            "marketing_opt_out": False,
        }

    def address(self) -> str:
        province, city, district, street = self.rng.choice(ADDRESSES)
        receiver = self.rng.choice(RECEIVERS) + self.rng.choice(["先生", "女士"])
        return f"{receiver} {self.phone()} {province}{city}{district}{street}"

    def age_for(self, status: str) -> timedelta:
        hours = {
            "created": (1, 40),
            "paid": (2, 40),
            "shipped": (30, 110),
            "delivered": (100, 400),
            "completed": (300, 1400),
            "cancelled": (5, 1000),
            "refunding": (60, 500),
            "refunded": (200, 1400),
        }[status]
        return timedelta(hours=self.rng.uniform(*hours))

    def order(self, buyer_id: str, status: str) -> None:
        created = self.now - self.age_for(status)
        count = self.rng.choice([1, 1, 1, 1, 2, 2, 3])
        picks = self.rng.sample(self.products, count)
        items = []
        for product in picks:
            # Most buyers paid a little under list price; some paid more than today's price.
            factor = self.rng.choice([0.9, 0.95, 1.0, 1.0, 1.05])
            items.append({"sku": product["sku"], "qty": 1, "unit_price": round(product["price"] * factor)})
        order: Dict[str, Any] = {
            "buyer_id": buyer_id,
            "items": items,
            "status": status,
            "created_at": iso(created),
            "address": self.address(),
        }
        paid: datetime | None = None
        if status not in ("created", "cancelled"):
            paid = created + timedelta(minutes=self.rng.randint(2, 90))
            order["paid_at"] = iso(paid)
        order_id = self.order_id()
        self.store.orders[order_id] = order
        shipped = status in ("shipped", "delivered", "completed") or (
            status in ("refunding", "refunded") and self.rng.random() < 0.5
        )
        if shipped and paid:
            big = any(p["category"] in BIG_CATEGORIES for p in picks)
            self.store.shipments[order_id] = self.shipment(paid, status, big, order["address"])

    def shipment(self, paid: datetime, status: str, big: bool, address: str) -> Dict[str, Any]:
        carriers = (
            ["日日顺物流", "京东物流", "京东物流"]
            if big
            else ["顺丰速运", "中通快递", "京东物流", "德邦快递"]
        )
        carrier = self.rng.choice(carriers)
        prefix, digits = CARRIER_FORMATS[carrier]
        tracking = prefix + "".join(self.rng.choice("0123456789") for _ in range(digits))
        city = next((c for _, c, _, _ in ADDRESSES if c in address), "目的地")
        district = next((d for _, c, d, _ in ADDRESSES if c in address), "")
        steps = [
            ("青岛市", f"您的订单已在【海悦青岛黄岛仓】出库，{carrier}已揽收"),
            ("青岛市", "快件已到达【青岛转运中心】"),
            ("青岛市", f"快件已从【青岛转运中心】发出，下一站【{city}转运中心】"),
            ("济南市", "快件途经【济南分拨中心】"),
            (city, f"快件已到达【{city}转运中心】"),
            (city, f"快件已到达【{city}{district}营业部】"),
            (
                city,
                f"配送员【{self.rng.choice(RECEIVERS)}师傅，电话 {self.phone()}】正在为您派送，请保持电话畅通",
            ),
            (city, "您的快件已签收，签收人：本人。感谢使用，期待再次为您服务"),
        ]
        delivered = status in ("delivered", "completed") or (status == "refunded" and self.rng.random() < 0.7)
        if delivered:
            chosen = steps[:3] + self.rng.sample(steps[3:6], self.rng.randint(1, 3)) + steps[6:]
            chosen = [s for s in steps if s in chosen]
        else:
            chosen = steps[: self.rng.randint(3, 6)]
        start = paid + timedelta(hours=self.rng.uniform(4, 30))
        end = min(self.now - timedelta(minutes=20), start + timedelta(hours=self.rng.uniform(20, 70)))
        span = max((end - start).total_seconds(), 3600)
        times = sorted(start + timedelta(seconds=span * self.rng.random()) for _ in chosen)
        events = [
            {"time": iso(moment), "location": location, "description": description}
            for moment, (location, description) in zip(times, chosen, strict=True)
        ]
        eta = times[-1] if delivered else self.now + timedelta(days=self.rng.randint(1, 3))
        return {"carrier": carrier, "tracking_no": tracking, "eta": iso(eta), "events": events}

    def orders(self) -> None:
        for buyer_id in self.store.buyers:
            if buyer_id == DEMO_BUYER:
                for status in STATUSES:
                    self.order(buyer_id, status)
                continue
            for _ in range(self.rng.randint(1, 4)):
                status = self.rng.choices(STATUSES, weights=[2, 2, 3, 3, 5, 1, 1, 1])[0]
                self.order(buyer_id, status)

    def promotions(self) -> None:
        by_category: Dict[str, List[str]] = {}
        for product in self.products:
            by_category.setdefault(product["category"], []).append(product["sku"])
        day = timedelta(days=1)
        now = self.now.replace(minute=0, second=0, microsecond=0)
        tvs, acs = by_category.get("电视", []), by_category.get("空调", [])
        fridges_washers = by_category.get("冰箱", []) + by_category.get("洗衣机", [])
        specs = [
            (
                "P-WINTER-TV",
                "冬季焕新 电视限时直降",
                "指定电视型号限时直降500–2000元，到手价以下单页为准",
                "discount",
                now - 5 * day,
                now + 10 * day,
                tvs[:6],
            ),
            (
                "P-COUPON-5000",
                "店铺满减券",
                "全店满5000元减300元、满10000元减800元，每个账号限领一张",
                "coupon",
                now - 3 * day,
                now + 20 * day,
                [],
            ),
            (
                "P-TRADE-IN",
                "以旧换新 最高补贴800元",
                "电视、冰箱、洗衣机、空调以旧换新，旧机免费上门回收，按品类补贴200–800元",
                "trade_in",
                now - 30 * day,
                now + 60 * day,
                [],
            ),
            (
                "P-PRICE-PROTECT",
                "30天价保",
                "付款后30天内本店同款降价，可在订单页申请价格保护，差价原路退回（不含定金预售和赠品）",
                "price_protection",
                now - 90 * day,
                now + 275 * day,
                [],
            ),
            (
                "P-AC-GIFT",
                "空调买就送安装辅材包",
                "购买指定空调赠送3米铜管和支架辅材包，安装时由师傅现场核销",
                "gift",
                now - 2 * day,
                now + 25 * day,
                acs[:4],
            ),
            (
                "P-DOUBLE11",
                "双11狂欢 全场低至5折",
                "双11期间全场低至5折，叠加跨店满减",
                "discount",
                now - 30 * day,
                now - 12 * day,
                [],
            ),
            (
                "P-NATIONAL-DAY",
                "国庆焕新季 冰洗套购立减",
                "冰箱洗衣机套购立减1000元",
                "discount",
                now - 60 * day,
                now - 45 * day,
                fridges_washers[:6],
            ),
            (
                "P-PRESALE-1212",
                "双12定金预售",
                "付定金100元抵300元，尾款12月12日零点开始支付",
                "presale",
                now + 6 * day,
                now + 18 * day,
                tvs[:3],
            ),
            (
                "P-NEW-YEAR",
                "年货节 冰洗套购",
                "冰箱洗衣机套购再享9.5折，全国包邮包安装",
                "discount",
                now + 35 * day,
                now + 55 * day,
                fridges_washers[:8],
            ),
        ]
        for promo_id, title, description, kind, starts, ends, skus in specs:
            self.store.promotions[promo_id] = {
                "title": title,
                "description": description,
                "kind": kind,
                "starts_at": iso(starts),
                "ends_at": iso(ends),
                "skus": skus,
            }


def generate(products: List[Dict[str, Any]], now: datetime, seed: int = 20261124) -> DemoStore:
    if now.tzinfo is None:
        raise ValueError("now must carry a timezone")
    generator = _Generator(products, now, seed)
    generator.buyers()
    generator.orders()
    generator.promotions()
    return generator.store
