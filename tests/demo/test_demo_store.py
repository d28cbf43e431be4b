"""The demo store: catalogue quality, generated facts, dictionary, and a real load through the API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import jieba
import pytest
import requests

from xiaoer.demo.catalog import load_catalog
from xiaoer.demo.generate import DEMO_BUYER, SHANGHAI, STATUSES, generate
from xiaoer.demo.userdict import alias_words, write_lookup, write_userdict

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)
REQUIRED_MODELS = [
    "65E7K", "75E7K", "55E3K", "85U8K", "100U7K", "BCD-536WFK1DPUJ", "BCD-450WTD", "BCD-218D",
    "KFR-35GW/E290-X1", "KFR-72LW/E500-A1", "KFR-26GW/X1", "XQG100-BH1406", "XQB80-C31", "HD100-U1",
    "CXW-220-J10", "JZT-B512", "WQP12-V5", "MG23-C1",
]  # fmt: skip
ATTRIBUTE_KEYS = {
    "电视": {"屏幕尺寸", "分辨率", "刷新率", "能效等级", "背光类型", "操作系统", "运行内存", "存储容量", "HDMI接口", "音响功率", "产品尺寸", "整机重量", "上市时间"},
    "冰箱": {"总容积", "冷藏室容积", "冷冻室容积", "门款式", "能效等级", "制冷方式", "变频", "噪音", "产品尺寸", "整机重量", "颜色", "上市时间"},
    "空调": {"匹数", "适用面积", "能效等级", "冷暖类型", "变频", "制冷量", "制热量", "噪音", "室内机尺寸", "室外机尺寸", "自清洁", "上市时间"},
    "洗衣机": {"洗涤容量", "烘干容量", "类型", "能效等级", "电机", "最高转速", "噪音", "产品尺寸", "整机重量", "除菌", "上市时间"},
}  # fmt: skip


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_catalogue_is_a_plausible_appliance_store(catalog) -> None:
    assert len(catalog) >= 40
    categories = Counter(p["category"] for p in catalog)
    assert set(categories) == {"电视", "冰箱", "空调", "洗衣机", "厨房电器"}
    assert all(n >= 6 for n in categories.values()), categories
    skus = [p["sku"] for p in catalog]
    assert len(skus) == len(set(skus))
    for product in catalog:
        assert len(product["attributes"]) >= 10, product["sku"]
        assert product["aliases"], product["sku"]
        assert product["price"] > 0 and product["stock"] >= 0
        assert product["image_url"].startswith("https://")
        expected = ATTRIBUTE_KEYS.get(product["category"])
        if expected:
            assert len(set(product["attributes"]) & expected) >= 10, product["sku"]
    assert any(p["stock"] == 0 for p in catalog)


def test_catalogue_has_the_models_buyers_ask_about_and_unique_aliases(catalog) -> None:
    aliases = [a for p in catalog for a in p["aliases"]]
    duplicates = [a for a, n in Counter(a.casefold() for a in aliases).items() if n > 1]
    assert not duplicates
    for model in REQUIRED_MODELS:
        assert model in aliases, model


def test_generated_store_covers_every_status_and_is_deterministic(catalog) -> None:
    store = generate(catalog, NOW)
    assert len([b for b in store.buyers if b != DEMO_BUYER]) >= 30
    assert any(b["marketing_opt_out"] for b in store.buyers.values())
    assert set(o["status"] for o in store.orders.values()) == set(STATUSES)
    demo_statuses = {o["status"] for o in store.orders.values() if o["buyer_id"] == DEMO_BUYER}
    assert demo_statuses == set(STATUSES)
    assert all(len(oid) == 12 and oid.startswith("26") for oid in store.orders)
    assert generate(catalog, NOW).orders == store.orders


def test_shipments_have_three_to_ten_events_in_time_order(catalog) -> None:
    store = generate(catalog, NOW)
    assert store.shipments
    for order_id, shipment in store.shipments.items():
        times = [datetime.fromisoformat(e["time"]) for e in shipment["events"]]
        assert 3 <= len(times) <= 10, order_id
        assert times == sorted(times)
        assert times[-1] <= NOW
        assert store.orders[order_id]["status"] not in ("created", "cancelled")


def test_promotions_are_active_expired_and_upcoming(catalog) -> None:
    store = generate(catalog, NOW)
    spans = [
        (datetime.fromisoformat(p["starts_at"]), datetime.fromisoformat(p["ends_at"]))
        for p in store.promotions.values()
    ]
    assert any(start <= NOW < end for start, end in spans)
    assert any(end <= NOW for _, end in spans)
    assert any(start > NOW for start, _ in spans)
    kinds = {p["kind"] for p in store.promotions.values()}
    assert {"price_protection", "trade_in", "presale", "coupon"} <= kinds


def test_userdict_keeps_model_numbers_and_store_terms_whole(catalog, tmp_path: Path) -> None:
    path = tmp_path / "userdict.txt"
    write_userdict(catalog, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(len(line.split(" ")) == 3 for line in lines)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(path))
    assert "65E7K" in tokenizer.lcut("65E7K的刷新率是多少")
    assert "以旧换新" in tokenizer.lcut("电视可以以旧换新吗😊")
    assert "十字门" in tokenizer.lcut("十字门冰箱多少升")
    assert "KFR-35GW" in alias_words(catalog)


def test_committed_dictionary_and_lookup_match_the_catalogue(catalog, tmp_path: Path) -> None:
    """data/ must be regenerated (python -m xiaoer.demo userdict) when the catalogue changes."""
    write_userdict(catalog, tmp_path / "userdict.txt")
    write_lookup(catalog, tmp_path / "product.yml")
    assert (tmp_path / "userdict.txt").read_text() == (ROOT / "data/jieba/userdict.txt").read_text()
    assert (tmp_path / "product.yml").read_text() == (ROOT / "data/nlu/lookups/product.yml").read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_load_through_the_store_api_only_into_an_empty_store(catalog, tmp_path: Path) -> None:
    port, token = free_port(), "demo-test-token"
    env = {
        **os.environ,
        "XIAOER_STORE_PORT": str(port),
        "XIAOER_STORE_TOKEN": token,
        "XIAOER_STORE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
    }
    server = subprocess.Popen([sys.executable, "-m", "xiaoer.store"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                assert time.monotonic() < deadline, "store backend did not start"
                time.sleep(0.3)
        command = [sys.executable, "-m", "xiaoer.demo", "load", "--url", url, "--token", token]
        first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        assert "loaded" in first.stdout
        headers = {"Authorization": f"Bearer {token}"}
        products = requests.get(f"{url}/api/products", headers=headers, timeout=10).json()
        assert len(products) == len(catalog)
        orders = requests.get(f"{url}/api/buyers/{DEMO_BUYER}/orders", headers=headers, timeout=10).json()
        assert {o["status"] for o in orders} == set(STATUSES)
        shipped = next(o for o in orders if o["status"] == "shipped")
        shipment = requests.get(
            f"{url}/api/orders/{shipped['order_id']}/shipment", headers=headers, timeout=10
        )
        assert shipment.status_code == 200 and len(shipment.json()["events"]) >= 3
        active = requests.get(f"{url}/api/promotions", headers=headers, timeout=10).json()
        assert any(p["kind"] == "price_protection" for p in active)
        expired_at = (datetime.now(SHANGHAI) - timedelta(days=20)).isoformat()
        assert requests.get(
            f"{url}/api/promotions", params={"active_at": expired_at}, headers=headers, timeout=10
        ).json()

        second = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and "nothing loaded" in second.stdout
        wrong = subprocess.run(
            [*command[:-1], "wrong-token"], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert wrong.returncode == 1 and "401" in wrong.stderr
    finally:
        server.terminate()
        server.wait(timeout=20)
