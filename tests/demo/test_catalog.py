"""catalog.yml: enough plausible products, the models other people's training data names, and
attribute names the actions can rely on."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from xiaoer.demo.catalog import CATEGORIES, product_body
from xiaoer.store.search import score
from xiaoer.text import compact

# The attribute display names every product of a category carries (where they apply) ...
STANDARD_ATTRIBUTES = {
    "电视": ("屏幕尺寸", "分辨率", "刷新率", "能效等级", "背光类型", "操作系统", "运行内存", "存储容量", "HDMI接口", "音响功率", "产品尺寸", "整机重量", "上市时间"),
    "冰箱": ("总容积", "冷藏室容积", "冷冻室容积", "门款式", "能效等级", "制冷方式", "变频", "噪音", "产品尺寸", "整机重量", "颜色", "上市时间"),
    "空调": ("匹数", "适用面积", "能效等级", "冷暖类型", "变频", "制冷量", "制热量", "噪音", "室内机尺寸", "室外机尺寸", "自清洁", "上市时间"),
    "洗衣机": ("洗涤容量", "烘干容量", "类型", "能效等级", "电机", "最高转速", "噪音", "产品尺寸", "整机重量", "除菌", "上市时间"),
    "厨房电器": ("类型", "额定功率", "产品尺寸", "整机重量", "能效等级", "吸力", "风量", "热负荷", "灶眼数", "套数", "烘干方式", "容量", "上市时间"),
}  # fmt: skip
# ... and the only other names allowed, so the same fact never gets two names.
EXTRA_ATTRIBUTES = {
    "电视": ("控光分区", "峰值亮度", "色域"),
    "冰箱": ("变温室容积", "耗电量", "嵌入方式"),
    "空调": ("能效比", "冷媒", "循环风量", "新风量", "安装方式"),
    "洗衣机": ("烘干方式", "洗涤程序", "烘干程序", "颜色"),
    "厨房电器": ("噪音", "控制方式", "烟灶联动", "热效率", "气源", "点火方式", "熄火保护", "面板材质", "开孔尺寸", "水效等级", "耗水量", "除菌", "火力档位", "定时", "内胆材质", "温度范围", "加热方式", "颜色", "额定产热水能力", "恒温", "零冷水", "安装方式", "防电墙"),
}  # fmt: skip
# Kitchen appliances by 类型: the type-specific attributes they must have.
KITCHEN_ATTRIBUTES = {
    "油烟机": ("吸力", "风量", "额定功率", "能效等级"),
    "燃气灶": ("热负荷", "灶眼数", "能效等级"),
    "洗碗机": ("套数", "烘干方式", "额定功率", "能效等级"),
    "微波炉": ("容量", "额定功率", "能效等级"),
    "烤箱": ("容量", "额定功率"),
    "热水器": ("能效等级", "额定功率"),
}
# Models other people's NLU data and conversation tests name, with what they must be.
REQUIRED_MODELS = {
    "65E7K": ("电视", {"屏幕尺寸": "65英寸", "刷新率": "144Hz"}),
    "75E7K": ("电视", {"屏幕尺寸": "75英寸"}),
    "55E3K": ("电视", {"屏幕尺寸": "55英寸", "背光类型": "直下式LED"}),
    "85U8K": ("电视", {"屏幕尺寸": "85英寸"}),
    "100U7K": ("电视", {"屏幕尺寸": "100英寸"}),
    "BCD-536WFK1DPUJ": ("冰箱", {"总容积": "536升", "门款式": "十字对开门"}),
    "BCD-450WTD": ("冰箱", {"总容积": "450升", "门款式": "法式多门"}),
    "BCD-218D": ("冰箱", {"总容积": "218升", "门款式": "双门"}),
    "KFR-35GW/E290-X1": ("空调", {"匹数": "1.5匹"}),
    "KFR-72LW/E500-A1": ("空调", {"匹数": "3匹"}),
    "KFR-26GW/X1": ("空调", {"匹数": "大1匹"}),
    "XQG100-BH1406": ("洗衣机", {"洗涤容量": "10公斤", "类型": "滚筒"}),
    "XQB80-C31": ("洗衣机", {"洗涤容量": "8公斤", "类型": "波轮"}),
    "HD100-U1": ("洗衣机", {"类型": "洗烘一体"}),
    "CXW-220-J10": ("厨房电器", {"类型": "油烟机"}),
    "JZT-B512": ("厨房电器", {"类型": "燃气灶"}),
    "WQP12-V5": ("厨房电器", {"类型": "洗碗机"}),
    "MG23-C1": ("厨房电器", {"类型": "微波炉"}),
}
# Short names in data/nlu and tests/*.yml, and the product the store's search must find first.
SHORT_NAMES = {
    "65e7k": "HY-TV-65E7K",
    "E7K 65寸": "HY-TV-65E7K",
    "65寸E7K": "HY-TV-65E7K",
    "十字门冰箱": "HY-RF-536WFK1DPUJ",
    "3匹柜机": "HY-AC-KFR72LW-E500A1",
    "洗烘一体机": "HY-WM-HD100-U1",
    "KFR-26GW/X1": "HY-AC-KFR26GW-X1",
    "65E7K的刷新率是多少": "HY-TV-65E7K",
    "KFR-35GW/E290-X1几匹": "HY-AC-KFR35GW-E290X1",
}
URL_PREFIX = "https://static.haiyue-demo.example/"


def by_alias(catalog, alias: str) -> dict:
    return next(p for p in catalog if alias in p["aliases"])


def search(catalog, query: str) -> list:
    """The backend's ranking: best score first, ties in sku order."""
    scored = [(score(query, p["name"], p["aliases"]), p) for p in sorted(catalog, key=lambda p: p["sku"])]
    return [p for s, p in sorted((x for x in scored if x[0]), key=lambda x: x[0], reverse=True)]


def test_enough_products_in_every_category(catalog) -> None:
    assert len(catalog) >= 44
    per_category = Counter(p["category"] for p in catalog)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 6, per_category


def test_products_are_complete_and_plausible(catalog) -> None:
    skus = [p["sku"] for p in catalog]
    assert len(skus) == len(set(skus))
    for p in catalog:
        assert re.fullmatch(r"HY-(TV|RF|AC|WM|KC)-[A-Z0-9-]+", p["sku"]), p["sku"]
        assert p["name"].startswith("海悦 ") and p["aliases"][0] in p["name"], p["sku"]
        assert isinstance(p["price"], int | float) and 300 <= p["price"] <= 30000, p["sku"]
        assert isinstance(p["stock"], int) and p["stock"] >= 0, p["sku"]
        assert p["image_url"].startswith(URL_PREFIX) and p["detail_image_url"].startswith(URL_PREFIX)
        assert p.get("video_url") is None or p["video_url"].startswith(URL_PREFIX)
        body = product_body(p)
        assert "sku" not in body and set(body) >= {"name", "category", "price", "stock", "aliases"}
    assert any(p["stock"] == 0 for p in catalog)
    assert sum(1 for p in catalog if p.get("video_url")) >= 5


def test_aliases_are_unique_across_products(catalog) -> None:
    keys = Counter(compact(alias) for p in catalog for alias in p["aliases"])
    assert not [alias for alias, n in keys.items() if n > 1]
    for p in catalog:
        assert all(isinstance(a, str) and a == a.strip() and a for a in p["aliases"]), p["sku"]


def test_every_product_has_at_least_ten_attributes_with_units(catalog) -> None:
    for p in catalog:
        attributes = p["attributes"]
        assert len(attributes) >= 10, p["sku"]
        assert all(isinstance(v, str) and v.strip() for v in attributes.values()), p["sku"]


def test_attribute_names_come_from_the_agreed_lists(catalog) -> None:
    for p in catalog:
        allowed = set(STANDARD_ATTRIBUTES[p["category"]]) | set(EXTRA_ATTRIBUTES[p["category"]])
        assert not set(p["attributes"]) - allowed, (p["sku"], set(p["attributes"]) - allowed)


@pytest.mark.parametrize("category", ["电视", "冰箱", "空调", "洗衣机"])
def test_big_appliances_carry_every_standard_attribute(catalog, category: str) -> None:
    for p in (p for p in catalog if p["category"] == category):
        missing = set(STANDARD_ATTRIBUTES[category]) - set(p["attributes"])
        if "干衣机" in p["attributes"].get("类型", ""):
            missing -= {"最高转速"}  # a dryer does not spin
        assert not missing, (p["sku"], missing)


def test_kitchen_appliances_carry_their_type_specific_attributes(catalog) -> None:
    for p in (p for p in catalog if p["category"] == "厨房电器"):
        kind = p["attributes"]["类型"]
        assert {"类型", "产品尺寸", "整机重量", "上市时间"} <= set(p["attributes"]), p["sku"]
        wanted = [names for word, names in KITCHEN_ATTRIBUTES.items() if word in kind]
        assert wanted, f"{p['sku']}: unknown kitchen type {kind}"
        assert set(wanted[0]) <= set(p["attributes"]), p["sku"]


def test_the_models_other_data_names_are_present(catalog) -> None:
    for model, (category, facts) in REQUIRED_MODELS.items():
        product = by_alias(catalog, model)
        assert product["aliases"][0] == model, "the model number is the product's short name"
        assert product["category"] == category, model
        for name, value in facts.items():
            assert value in product["attributes"][name], (model, name)


def test_store_search_finds_the_intended_product_for_short_names(catalog) -> None:
    for query, sku in SHORT_NAMES.items():
        hits = search(catalog, query)
        assert hits and hits[0]["sku"] == sku, (query, [p["sku"] for p in hits[:3]])
    assert {p["sku"] for p in search(catalog, "U8K")} == {"HY-TV-65U8K", "HY-TV-85U8K"}


def test_fridge_volumes_add_up_and_tv_sizes_match_names(catalog) -> None:
    litres = re.compile(r"(\d+)升")
    for p in catalog:
        attributes = p["attributes"]
        if p["category"] == "冰箱":
            parts = ("冷藏室容积", "冷冻室容积", "变温室容积")
            total = sum(int(litres.match(attributes[k]).group(1)) for k in parts if k in attributes)
            assert f"{total}升" == attributes["总容积"], p["sku"]
            assert attributes["总容积"] in p["name"], p["sku"]
        if p["category"] == "电视":
            assert attributes["屏幕尺寸"] in p["name"], p["sku"]
