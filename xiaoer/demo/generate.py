"""Buyers, orders, shipments and promotions of the demo store, fresh relative to a moment `now`.

Everything but the times comes from one seeded random stream that never looks at `now`: the
same ids, buyers, items, statuses, carriers and tracking numbers whenever the demo is generated,
so loading it again (`load --force`) replaces each resource with the same one, moved in time.
Times are laid out backwards from `now`: an unpaid order is minutes old, a parcel in transit
left the warehouse a day or two ago, a completed order was signed for weeks ago.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Dict, List, Sequence, Tuple

from xiaoer.demo import SHANGHAI
from xiaoer.demo.catalog import load_catalog
from xiaoer.storeapi.contract import ORDER_STATUSES

Json = Dict[str, Any]

SEED = 20261124
STATUSES = ORDER_STATUSES
DEMO_BUYER = "demo"
BUYER_COUNT = 32
MAX_ORDER_AGE = timedelta(days=60)

# --------------------------------------------------------------------------------- buyers
NICKNAMES = (
    "小鱼爱吃鱼",
    "tb_88234917",
    "快乐的大脸猫",
    "老王装修中",
    "Lily_2019",
    "南山南",
    "阿杰同学",
    "柠檬不萌",
    "jd_小周周",
    "风吹麦浪",
    "晴天娃娃",
    "爱生活的二丫",
    "hz_陈先生",
    "蓝色天际线",
    "momo酱",
    "程序员老李",
    "奶茶三分糖",
    "一只小胖橘",
    "木子李",
    "深圳打工人",
    "王女士家",
    "佛系青年",
    "Tony_zhang",
    "春天的小熊",
    "稻香",
    "北漂十年",
    "周末去钓鱼",
    "新家装修ing",
    "米粒妈妈",
    "喵小姐",
    "秋刀鱼的滋味",
    "铁锅炖大鹅",
)
PHONE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "158",
    "159",
    "177",
    "186",
    "187",
    "189",
)
# (province, city, district, street address); municipalities have no province.
ADDRESSES = (
    ("浙江省", "杭州市", "西湖区", "文一西路998号西溪蓝海花园6幢2单元1202室"),
    ("", "上海市", "浦东新区", "张杨路1200弄金桥花园15号601室"),
    ("", "北京市", "朝阳区", "望京西路48号望京新城412号楼3单元802"),
    ("广东省", "深圳市", "南山区", "科苑南路3099号海岸城花园B栋1705"),
    ("广东省", "广州市", "天河区", "天河北路613号天河花园2座902房"),
    ("江苏省", "南京市", "鼓楼区", "中山北路281号颐和家园3栋1101室"),
    ("江苏省", "苏州市", "工业园区", "星湖街328号东沙湖花园18幢402室"),
    ("四川省", "成都市", "武侯区", "天府大道北段1388号美年小区A座1506"),
    ("湖北省", "武汉市", "洪山区", "珞喻路1037号光谷天地7栋2单元1803"),
    ("", "重庆市", "渝北区", "新南路6号紫都城5栋2304"),
    ("陕西省", "西安市", "雁塔区", "科技路48号创业新村B座1208"),
    ("山东省", "青岛市", "崂山区", "香港东路195号海韵花园2号楼1601"),
    ("山东省", "济南市", "历下区", "经十路11111号中海国际社区C区9号楼501"),
    ("河南省", "郑州市", "金水区", "花园路139号金水花园12号楼2单元701"),
    ("湖南省", "长沙市", "岳麓区", "麓谷大道658号麓谷明珠3栋903"),
    ("福建省", "厦门市", "思明区", "莲前西路2号莲富大厦1号楼1907室"),
    ("", "天津市", "南开区", "红旗南路263号天津湾花园8号楼1门1402"),
    ("安徽省", "合肥市", "蜀山区", "长江西路669号幸福里小区11栋806"),
    ("辽宁省", "沈阳市", "浑南区", "创新路177号春河里4号楼2单元1102"),
    ("江西省", "南昌市", "红谷滩区", "赣江中大道1218号新地花园6栋1201"),
    ("云南省", "昆明市", "五华区", "滇缅大道2427号名城小区M1栋1703"),
    ("广西壮族自治区", "南宁市", "青秀区", "民族大道136号二十四城9栋2102"),
    ("河北省", "石家庄市", "长安区", "中山东路508号东胜小区3号楼1205"),
    ("浙江省", "宁波市", "鄞州区", "天童南路1188号万达华府16幢2208室"),
    ("黑龙江省", "哈尔滨市", "南岗区", "红军街38号中央公馆2单元1502"),
    ("贵州省", "贵阳市", "观山湖区", "林城西路95号未来方舟F组团3栋1106"),
    ("山西省", "太原市", "小店区", "长风街113号华府小区7号楼901"),
    ("江苏省", "无锡市", "滨湖区", "蠡湖大道2008号香樟园12幢301室"),
    ("广东省", "佛山市", "顺德区", "大良街道东乐路268号碧水湾5座1603"),
    ("海南省", "海口市", "龙华区", "滨海大道105号百方花园A座1802"),
)
DEMO_ADDRESS = ("浙江省", "杭州市", "余杭区", "五常街道西溪八方城3幢1单元802室")

# ------------------------------------------------------------------------------ logistics
CARRIERS = ("京东物流", "顺丰速运", "日日顺物流", "中通快递", "德邦快递")
# Big appliances go by 日日顺 (delivery and installation), 京东 or 德邦; small ones by express.
CARRIER_CHOICES = {
    "电视": ("日日顺物流", "日日顺物流", "京东物流", "京东物流", "德邦快递"),
    "冰箱": ("日日顺物流", "日日顺物流", "京东物流", "京东物流", "德邦快递"),
    "空调": ("日日顺物流", "日日顺物流", "京东物流", "德邦快递"),
    "洗衣机": ("日日顺物流", "日日顺物流", "京东物流", "京东物流", "德邦快递"),
    "厨房电器": ("京东物流", "京东物流", "顺丰速运", "中通快递", "德邦快递"),
}
# How each carrier's tracking numbers look: a prefix and that many digits.
TRACKING_FORMATS = {
    "京东物流": ("JD", 13),
    "顺丰速运": ("SF", 13),
    "日日顺物流": ("RRS", 12),
    "中通快递": ("78", 12),
    "德邦快递": ("DPK", 12),
}
HUB_NAMES = {
    "京东物流": "分拣中心",
    "顺丰速运": "中转场",
    "日日顺物流": "区域配送中心",
    "中通快递": "转运中心",
    "德邦快递": "枢纽中心",
}
STATION_NAMES = {
    "京东物流": "营业部",
    "顺丰速运": "营业点",
    "日日顺物流": "服务网点",
    "中通快递": "网点",
    "德邦快递": "营业部",
}
# Where each category ships from: (province + city, city, warehouse).
WAREHOUSES = {
    "电视": (
        ("山东省青岛市", "青岛", "海悦青岛黄岛工厂仓"),
        ("广东省佛山市", "佛山", "海悦顺德智能制造基地仓"),
    ),
    "冰箱": (
        ("安徽省合肥市", "合肥", "海悦合肥冰箱工厂仓"),
        ("广东省佛山市", "佛山", "海悦顺德智能制造基地仓"),
    ),
    "空调": (("广东省佛山市", "佛山", "海悦顺德空调基地仓"), ("湖北省武汉市", "武汉", "海悦武汉华中区域仓")),
    "洗衣机": (
        ("安徽省合肥市", "合肥", "海悦合肥洗衣机工厂仓"),
        ("江苏省无锡市", "无锡", "海悦无锡华东区域仓"),
    ),
    "厨房电器": (("浙江省绍兴市", "绍兴", "海悦嵊州厨电基地仓"), ("浙江省宁波市", "宁波", "海悦慈溪厨电仓")),
}
TRANSIT_HUBS = ("武汉", "郑州", "南京", "长沙", "济南", "杭州", "西安")
COURIERS = (
    "王师傅",
    "李师傅",
    "张师傅",
    "刘师傅",
    "陈师傅",
    "杨师傅",
    "赵师傅",
    "黄师傅",
    "周师傅",
    "吴师傅",
)
SIGNERS = ("本人签收", "本人签收", "本人签收", "家人代收", "物业代收")

# Products bought together.
BUNDLES = (
    (("HY-KC-CXW220-J10", 1), ("HY-KC-JZT-B512", 1)),
    (("HY-KC-CXW200-T2", 1), ("HY-KC-JZT-B450", 1)),
    (("HY-WM-XQG100-BH1406", 1), ("HY-WM-GDZ100-H1", 1)),
    (("HY-AC-KFR35GW-E290X1", 2), ("HY-AC-KFR72LW-E500A1", 1)),
    (("HY-AC-KFR26GW-E290X1", 2),),
    (("HY-AC-KFR35GW-X1", 3),),
    (("HY-RF-536WFK1DPUJ", 1), ("HY-WM-HD100-U1", 1)),
    (("HY-TV-65E7K", 1), ("HY-RF-450WTD", 1), ("HY-KC-MG23-C1", 1)),
    (("HY-TV-43E2K", 1), ("HY-RF-128D", 1), ("HY-WM-XQB80-C31", 1)),
)
# Paid below list price: store coupons, 国补 and the like.
DISCOUNTS = (0, 0, 0, 0, 50, 100, 100, 200, 300)
STATUS_WEIGHTS = {
    "created": 6,
    "paid": 9,
    "shipped": 12,
    "delivered": 11,
    "completed": 34,
    "cancelled": 9,
    "refunding": 7,
    "refunded": 8,
}

# ----------------------------------------------------------------------------- promotions
# Big sales of the Chinese shopping calendar: (id, name, start month/day, end month/day).
FESTIVALS = (
    ("newyear", "年货节", (1, 8), (1, 22)),
    ("womens-day", "3·8焕新节", (3, 1), (3, 8)),
    ("618", "618年中大促", (5, 31), (6, 18)),
    ("national-day", "国庆焕新季", (9, 28), (10, 7)),
    ("double11", "双十一", (10, 20), (11, 11)),
    ("double12", "双十二", (12, 1), (12, 12)),
)
PRESALE_LEAD = timedelta(days=12)
# When parcels of orders past "shipped" were signed for: (min, max) days ago.
SIGNED_DAYS_AGO = {
    "delivered": (0, 5),
    "completed": (9, 50),
    "refunding": (2, 9),
    "refunded": (12, 45),
}  # deposits are taken this long before a big sale starts


@dataclass
class DemoData:
    """The demo store; every resource is a dict holding its id and its PUT body's fields."""

    now: datetime
    products: List[Json] = field(default_factory=list)
    buyers: List[Json] = field(default_factory=list)
    orders: List[Json] = field(default_factory=list)
    shipments: List[Json] = field(default_factory=list)
    promotions: List[Json] = field(default_factory=list)

    def counts(self) -> Dict[str, int]:
        return {
            "products": len(self.products),
            "buyers": len(self.buyers),
            "orders": len(self.orders),
            "shipments": len(self.shipments),
            "promotions": len(self.promotions),
        }


def iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def format_address(address: Tuple[str, str, str, str]) -> str:
    return "".join(address)


def generate(now: datetime | None = None, products: Sequence[Json] | None = None) -> DemoData:
    """The demo store as of `now` (an aware datetime; default: the current time)."""
    if now is None:
        now = datetime.now(SHANGHAI)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    now = now.astimezone(SHANGHAI).replace(microsecond=0)
    catalog = list(products) if products is not None else load_catalog()
    return _Generator(now, catalog).run()


class _Generator:
    def __init__(self, now: datetime, products: List[Json]) -> None:
        self.now = now
        self.rng = random.Random(SEED)
        self.data = DemoData(now=now, products=[dict(p) for p in products])
        self.by_sku = {p["sku"]: p for p in products}
        self.order_ids = set(DEMO_ORDERS)
        self.homes: Dict[str, Tuple[str, str, str, str]] = {}

    def run(self) -> DemoData:
        self.buyers()
        self.demo_orders()
        for buyer in self.data.buyers:
            if buyer["buyer_id"] != DEMO_BUYER:
                self.buyer_orders(buyer["buyer_id"])
        self.data.orders.sort(key=lambda order: order["created_at"], reverse=True)
        self.data.promotions = promotions(self.now, self.data.products)
        return self.data

    # ---------------------------------------------------------------------------- buyers
    def phone(self) -> str:
        return f"{self.rng.choice(PHONE_PREFIXES)}****{self.rng.randint(0, 9999):04d}"

    def buyers(self) -> None:
        homes = self.rng.sample(ADDRESSES, k=min(BUYER_COUNT, len(ADDRESSES)))
        for number in range(1, BUYER_COUNT + 1):
            buyer_id = f"buyer_{number:03d}"
            phone = self.phone()
            opted_out = self.rng.random() < 0.15
            self.data.buyers.append(
                {
                    "buyer_id": buyer_id,
                    "nickname": NICKNAMES[(number - 1) % len(NICKNAMES)],
                    "phone": phone,
                    "marketing_opt_out": opted_out,
                }
            )
            self.homes[buyer_id] = homes[(number - 1) % len(homes)]
        self.data.buyers.append(
            {
                "buyer_id": DEMO_BUYER,
                "nickname": "演示买家",
                "phone": "139****2026",
                "marketing_opt_out": False,
            }
        )
        self.homes[DEMO_BUYER] = DEMO_ADDRESS

    # ---------------------------------------------------------------------------- orders
    def order_id(self) -> str:
        while True:
            candidate = "26" + "".join(self.rng.choice("0123456789") for _ in range(10))
            if candidate not in self.order_ids:
                self.order_ids.add(candidate)
                return candidate

    def unit_price(self, sku: str) -> float:
        price = float(self.by_sku[sku]["price"])
        discount = self.rng.choice(DISCOUNTS)
        if discount > price * 0.1:
            discount = round(price * 0.05)
        return float(round(price - discount))

    def pick_items(self, status: str) -> List[Json]:
        # Orders not yet shipped hold products in stock now.
        in_stock = status in ("created", "paid")
        roll = self.rng.random()
        bundle = self.rng.choice(BUNDLES)
        others = self.rng.sample(self.data.products, 3)
        if roll < 0.2 and all(sku in self.by_sku for sku, _ in bundle):
            picks = list(bundle)
        elif roll < 0.28:
            picks = [(p["sku"], 1) for p in others[:2]]
        else:
            several = others[0]["category"] in ("空调", "厨房电器") and self.rng.random() < 0.15
            picks = [(others[0]["sku"], 2 if several else 1)]
        if in_stock:
            picks = [(sku, qty) for sku, qty in picks if self.by_sku[sku]["stock"] > 0]
            if not picks:
                picks = [(next(p["sku"] for p in self.data.products if p["stock"] > 0), 1)]
        return [{"sku": sku, "qty": qty, "unit_price": self.unit_price(sku)} for sku, qty in picks]

    def buyer_orders(self, buyer_id: str) -> None:
        count = self.rng.choices((0, 1, 2, 3, 4), weights=(8, 38, 30, 16, 8))[0]
        for _ in range(count):
            status = self.rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
            elsewhere = self.rng.random() < 0.15  # sent to parents, the office...
            address = self.rng.choice(ADDRESSES) if elsewhere else self.homes[buyer_id]
            self.add_order(self.order_id(), buyer_id, status, self.pick_items(status), address)

    def demo_orders(self) -> None:
        for order_id, (status, skus, carrier) in DEMO_ORDERS.items():
            items = [{"sku": sku, "qty": qty, "unit_price": self.unit_price(sku)} for sku, qty in skus]
            self.add_order(order_id, DEMO_BUYER, status, items, DEMO_ADDRESS, carrier=carrier)

    def add_order(
        self,
        order_id: str,
        buyer_id: str,
        status: str,
        items: List[Json],
        address: Tuple[str, str, str, str],
        carrier: str | None = None,
    ) -> None:
        rng, now = self.rng, self.now
        # Draw everything up front, whatever the status, so the stream never depends on `now`.
        draws = [rng.random() for _ in range(6)]
        ships = status in ("shipped", "delivered", "completed")
        if status in ("refunding", "refunded"):
            # A return after delivery ships; a refund before shipping does not.
            ships = draws[0] < 0.5 if carrier is None else carrier != ""
        category = self.by_sku[items[0]["sku"]]["category"]
        if ships:
            carrier = carrier or rng.choice(CARRIER_CHOICES[category])
            shipment = self.shipment(order_id, status, carrier, category, address, draws)
        else:
            shipment = None

        pay_delay = timedelta(minutes=1 + 39 * draws[1])
        if shipment is not None:
            ship_time = shipment.pop("_start")
            paid_at: datetime | None = ship_time - timedelta(hours=2 + 28 * draws[2])
            created_at = paid_at - pay_delay
        elif status == "created":
            created_at, paid_at = now - timedelta(minutes=15 + 1185 * draws[2]), None
        elif status == "paid":
            paid_at = now - timedelta(minutes=20 + 2380 * draws[2])
            created_at = paid_at - pay_delay
        elif status == "cancelled":
            created_at, paid_at = now - timedelta(days=1 + 57 * draws[2]), None
        elif status == "refunding":
            paid_at = now - timedelta(hours=4 + 56 * draws[2])
            created_at = paid_at - pay_delay
        else:  # refunded before it shipped
            paid_at = now - timedelta(days=3 + 52 * draws[2])
            created_at = paid_at - pay_delay
        created_at = max(created_at, now - MAX_ORDER_AGE + timedelta(hours=1))
        order = {
            "order_id": order_id,
            "buyer_id": buyer_id,
            "items": items,
            "status": status,
            "created_at": iso(created_at),
            "address": format_address(address),
        }
        if paid_at is not None:
            order["paid_at"] = iso(max(paid_at, created_at))
        self.data.orders.append(order)
        if shipment is not None:
            self.data.shipments.append(shipment)

    # ------------------------------------------------------------------------- shipments
    def tracking_no(self, carrier: str) -> str:
        prefix, digits = TRACKING_FORMATS[carrier]
        return (
            prefix
            + str(self.rng.randint(1, 9))
            + "".join(self.rng.choice("0123456789") for _ in range(digits - 1))
        )

    def shipment(
        self,
        order_id: str,
        status: str,
        carrier: str,
        category: str,
        address: Tuple[str, str, str, str],
        draws: List[float],
    ) -> Json:
        rng, now = self.rng, self.now
        tracking_no = self.tracking_no(carrier)
        origin = rng.choice(WAREHOUSES[category])
        via = rng.choice(TRANSIT_HUBS) if rng.random() < 0.5 else None
        courier, courier_phone, signer = rng.choice(COURIERS), self.phone(), rng.choice(SIGNERS)
        gaps = [rng.random() for _ in range(10)]
        steps = route(carrier, origin, address, via, courier, courier_phone, signer)

        if status == "shipped":
            # Left the warehouse 10-50 hours ago; what has happened so far, never the signature.
            timeline = schedule(now - timedelta(hours=10 + 40 * draws[3]), via is not None, gaps)
            past = [moment <= now - timedelta(minutes=5) for moment in timeline[:-1]]
            timeline, steps = timeline[: sum(past)], steps[: sum(past)]
            planned = schedule(timeline[0], via is not None, gaps)[-1]
            eta = max(planned, now + timedelta(hours=3))
        else:
            low, high = SIGNED_DAYS_AGO[status]
            signed_day = (now - timedelta(days=low + (high - low) * draws[3])).date()
            start = datetime.combine(signed_day, time(0), SHANGHAI) + timedelta(hours=24 * draws[4])
            timeline = schedule(start, via is not None, gaps)
            # Move by whole days, keeping the times of day: signed on signed_day, an hour ago at most.
            timeline = [
                moment - timedelta(days=(timeline[-1].date() - signed_day).days) for moment in timeline
            ]
            while timeline[-1] > now - timedelta(hours=1):
                timeline = [moment - timedelta(days=1) for moment in timeline]
            eta = timeline[-1]
        events = [
            {"time": iso(moment), "location": location, "description": description}
            for moment, (location, description) in zip(timeline, steps, strict=True)
        ]
        return {
            "order_id": order_id,
            "carrier": carrier,
            "tracking_no": tracking_no,
            "eta": iso(eta.replace(minute=0, second=0) + timedelta(hours=1)),
            "events": events,
            "_start": timeline[0],
        }


def route(
    carrier: str,
    origin: Tuple[str, str, str],
    address: Tuple[str, str, str, str],
    via: str | None,
    courier: str,
    courier_phone: str,
    signer: str,
) -> List[Tuple[str, str]]:
    """(location, description) of each tracking step, from warehouse to signature."""
    origin_place, origin_city, warehouse = origin
    _, city, district, _ = address
    dest_city = city.removesuffix("市")
    hub = HUB_NAMES[carrier]
    if carrier == "日日顺物流":
        parcel = "货物"
        origin_hub, dest_hub = f"日日顺{origin_city}分拨中心", f"日日顺{dest_city}{hub}"
        via_hub = f"日日顺{via}分拨中心"
        station = f"日日顺{dest_city}{district}{STATION_NAMES[carrier]}"
    else:
        parcel = "快件"
        origin_hub, dest_hub, via_hub = f"{origin_city}{hub}", f"{dest_city}{hub}", f"{via}{hub}"
        station = f"{dest_city}{district}{STATION_NAMES[carrier]}"
    steps = [
        (origin_place, f"您的订单已在【{warehouse}】出库，{carrier}已揽收"),
        (f"{origin_city}市", f"{parcel}已到达【{origin_hub}】"),
        (f"{origin_city}市", f"{parcel}已从【{origin_hub}】发出，下一站【{via_hub if via else dest_hub}】"),
    ]
    if via:
        steps += [
            (f"{via}市", f"{parcel}已到达【{via_hub}】"),
            (f"{via}市", f"{parcel}已从【{via_hub}】发出，下一站【{dest_hub}】"),
        ]
    steps += [
        (city, f"{parcel}已到达【{dest_hub}】"),
        (city, f"{parcel}已从【{dest_hub}】发出，下一站【{station}】"),
        (f"{city}{district}", f"{parcel}已到达【{station}】，正在安排派送"),
    ]
    if carrier == "日日顺物流":
        steps += [
            (
                f"{city}{district}",
                f"送装师傅 {courier}（{courier_phone}）已出发，送货上门并安装，请保持电话畅通",
            ),
            (f"{city}{district}", f"已签收（{signer}），送装完成。感谢您使用日日顺物流"),
        ]
    else:
        steps += [
            (
                f"{city}{district}",
                f"【{station}】快递员 {courier}（{courier_phone}）正在为您派件，请保持电话畅通",
            ),
            (f"{city}{district}", f"已签收（{signer}）。感谢使用{carrier}，期待再次为您服务"),
        ]
    return steps


def schedule(start: datetime, via: bool, gaps: List[float]) -> List[datetime]:
    """When each of route()'s steps happens, from `start`: hours between hubs, delivery by day."""
    if via:
        hops = ((1.5, 4), (1, 4), (8, 20), (1, 3), (6, 16), (1, 3), (2, 5))
    else:
        hops = ((1.5, 4), (1, 4), (10, 26), (1, 3), (2, 5))
    times = [start]
    for (low, high), gap in zip(hops, gaps, strict=False):
        times.append(times[-1] + timedelta(hours=low + (high - low) * gap))
    # Out for delivery: the morning after a late arrival, or soon after a daytime one.
    arrived = times[-1].astimezone(SHANGHAI)
    if arrived.hour < 7:
        out = datetime.combine(arrived.date(), time(7, 30), SHANGHAI)
    elif arrived.hour < 16:
        out = arrived + timedelta(minutes=20)
    else:
        out = datetime.combine(arrived.date() + timedelta(days=1), time(7, 30), SHANGHAI)
    out += timedelta(minutes=90 * gaps[8])
    return [*times, out, out + timedelta(minutes=40 + 260 * gaps[9])]


# ------------------------------------------------------------------------------- demo buyer
# One order in every status for the buyer `demo`: (status, [(sku, qty)], carrier or "" for none).
DEMO_ORDERS: Dict[str, Tuple[str, Tuple[Tuple[str, int], ...], str | None]] = {
    "261123904417": ("created", (("HY-TV-65E7K", 1),), None),
    "261123586209": ("paid", (("HY-AC-KFR35GW-E290X1", 2),), None),
    "261105873012": ("shipped", (("HY-RF-536WFK1DPUJ", 1),), "日日顺物流"),
    "261118230945": ("delivered", (("HY-WM-XQG100-BH1406", 1),), "京东物流"),
    "261027641538": ("completed", (("HY-KC-CXW220-J10", 1), ("HY-KC-JZT-B512", 1)), "顺丰速运"),
    "261119075263": ("cancelled", (("HY-TV-85U8K", 1),), None),
    "261116498820": ("refunding", (("HY-KC-MG23-C1", 1),), "中通快递"),
    "261111352674": ("refunded", (("HY-KC-WQP12-V5", 1),), ""),
}


# ------------------------------------------------------------------------------- promotions
def festivals_around(now: datetime) -> List[Tuple[str, str, datetime, datetime]]:
    """(id, name, start, end) of the big sales from last year to next, in time order."""
    found = []
    for year in (now.year - 1, now.year, now.year + 1):
        for key, name, (m1, d1), (m2, d2) in FESTIVALS:
            start = datetime(year, m1, d1, tzinfo=SHANGHAI)
            end = datetime(year, m2, d2, tzinfo=SHANGHAI) + timedelta(days=1)
            found.append((f"{year}-{key}", name, start, end))
    return sorted(found, key=lambda festival: festival[2])


def promotions(now: datetime, products: Sequence[Json]) -> List[Json]:
    """Promotions around `now`: running, ended and coming, storewide and for some SKUs."""
    day = timedelta(days=1)
    midnight = datetime.combine(now.date(), time(0), SHANGHAI)
    skus = [p["sku"] for p in products]
    by_category: Dict[str, List[str]] = {}
    for product in products:
        by_category.setdefault(product["category"], []).append(product["sku"])
    big = [p["sku"] for p in products if p["category"] != "厨房电器"]
    first_grade = [p["sku"] for p in products if p["attributes"].get("能效等级") == "一级能效"]
    e7k = [sku for sku in skus if sku.endswith("E7K")]
    premium_tvs = [sku for sku in skus if sku.endswith(("U8K", "U7K"))]

    def promo(promo_id, title, description, kind, starts, ends, promo_skus) -> Json:
        known = [sku for sku in promo_skus if sku in skus]
        return {
            "promo_id": promo_id,
            "title": title,
            "description": description,
            "kind": kind,
            "starts_at": iso(starts),
            "ends_at": iso(ends),
            "skus": known,
        }

    found = [
        promo(
            "price-protection-30d",
            "30天价保",
            "付款后30天内，本店同款商品降价可申请价保，差价原路退回；在订单详情页点「价保」即可，"
            "每单可申请1次。定金预售、赠品、国补和以旧换新补贴部分不参与。",
            "price_protection",
            midnight - 400 * day,
            midnight + 365 * day,
            [],
        ),
        promo(
            "trade-in",
            "以旧换新 旧机最高抵800元",
            "电视、冰箱、洗衣机、空调以旧换新，不限旧机品牌：按旧机品类和尺寸抵扣80-800元，"
            "送新时师傅免费拆旧、带走旧机。下单时选择「以旧换新」并填写旧机信息。",
            "trade_in",
            midnight - 45 * day,
            midnight + 46 * day,
            big,
        ),
        promo(
            "gov-subsidy",
            "国补：一级能效家电立减20%",
            "国家以旧换新补贴：一级能效或一级水效商品按成交价立减20%，二级能效立减15%，每件最高2000元。"
            "需先在结算页领取收货地所在省份的补贴资格，实名认证，补贴名额有限，领完即止。",
            "discount",
            midnight - 30 * day,
            midnight + 61 * day,
            first_grade,
        ),
        promo(
            "e7k-price-cut",
            "E7K系列限时直降",
            "55E7K直降200元，65E7K直降300元，75E7K、85E7K直降500元，到手价以商品页为准，可叠加店铺券和国补。",
            "discount",
            midnight - 3 * day,
            midnight + 5 * day,
            e7k,
        ),
        promo(
            "store-coupon-3000",
            "店铺券 满3000减150、满5000减300",
            "全店通用，每个账号每种券限领1张，下单时自动使用，与国补、以旧换新可叠加。",
            "coupon",
            midnight - 10 * day,
            midnight + 21 * day,
            [],
        ),
        promo(
            "ac-install-gift",
            "空调下单送安装辅材包",
            "购买指定空调，赠送3米铜管、外机支架和管道包扎带，标准安装免费；师傅上门时现场核销。",
            "gift",
            midnight - 14 * day,
            midnight + 17 * day,
            by_category.get("空调", []),
        ),
        promo(
            "kitchen-set-gift",
            "烟灶套购赠锅具三件套",
            "CXW-220-J10油烟机与JZT-B512燃气灶同单购买，赠价值299元不锈钢锅具三件套，随货发出。",
            "gift",
            midnight - 7 * day,
            midnight + 24 * day,
            ["HY-KC-CXW220-J10", "HY-KC-JZT-B512"],
        ),
        promo(
            "u8k-launch-coupon",
            "U8K新品首发券 立减800元",
            "U8K新品首发期间领券立减800元，每个账号限用1张。",
            "coupon",
            midnight - 80 * day,
            midnight - 50 * day,
            [sku for sku in skus if sku.endswith("U8K")],
        ),
    ]

    festivals = festivals_around(now)
    ended = [f for f in festivals if f[3] <= now]
    coming = [f for f in festivals if f[2] > now]
    running = [f for f in festivals if f[2] <= now < f[3]]
    shown = {
        f[0]: f for f in [ended[-1], *running, *(f for f in coming if f[2] <= now + 75 * day), coming[0]]
    }
    for festival_id, name, starts, ends in shown.values():
        found.append(
            promo(
                f"sale-{festival_id}",
                f"{name}大促：满5000减500",
                f"{name}期间全店满5000减500、满10000减1200，可与店铺券、国补叠加；价保期内降价可申请退差价。",
                "discount",
                starts,
                ends,
                [],
            )
        )
    presale = next(f for f in coming if f[2] - PRESALE_LEAD > now + day)
    presale_id, name, starts, _ = presale
    found.append(
        promo(
            f"presale-{presale_id}",
            f"{name}定金预售：付100抵300",
            f"{name}预售：指定高端电视付定金100元抵300元，尾款在{starts.month}月{starts.day}日0点开始支付；"
            "定金不退（商家原因除外），不参与价保。",
            "presale",
            starts - PRESALE_LEAD,
            starts,
            premium_tvs,
        )
    )
    return found
