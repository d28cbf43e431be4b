"""`python -m xiaoer.demo load` against the real store backend, through the Store API only."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from xiaoer.demo import SHANGHAI
from xiaoer.demo.generate import DEMO_BUYER, STATUSES, generate
from xiaoer.demo.load import writes
from xiaoer.demo.userdict import lookup_entries, userdict_text


def test_writes_go_in_dependency_order_with_ids_only_in_paths(demo) -> None:
    kinds = [kind for kind, _, _ in writes(demo)]
    assert kinds == sorted(kinds, key=["products", "buyers", "orders", "shipments", "promotions"].index)
    id_keys = {"products": "sku", "buyers": "buyer_id", "orders": "order_id", "shipments": "order_id"}
    for kind, ident, body in writes(demo):
        assert ident
        assert id_keys.get(kind, "promo_id") not in body, (kind, ident)
        assert not [key for key in body if key.startswith("_")], (kind, ident)


def test_loads_an_empty_store_and_leaves_a_loaded_one_alone(store, catalog) -> None:
    result = store.demo_command("load")  # URL and token from the environment
    assert result.returncode == 0, result.stdout + result.stderr
    expected = generate(datetime.now(SHANGHAI), catalog).counts()
    summary = ", ".join(f"{n} {kind}" for kind, n in expected.items())
    assert result.stdout.strip() == f"demo store loaded into {store.url}: {summary}"

    products = store.get("/api/products")
    assert sorted(p["sku"] for p in products) == sorted(p["sku"] for p in catalog)
    e7k = store.get("/api/products", params={"q": "65E7K的刷新率是多少"})[0]
    assert e7k["sku"] == "HY-TV-65E7K" and e7k["attributes"]["刷新率"] == "144Hz"

    demo = generate(datetime.now(SHANGHAI), catalog)
    for buyer in demo.buyers:
        assert store.get(f"/api/buyers/{buyer['buyer_id']}")["nickname"] == buyer["nickname"]
    for order in demo.orders:
        stored = store.get(f"/api/orders/{order['order_id']}")
        assert (stored["buyer_id"], stored["status"]) == (order["buyer_id"], order["status"])
        assert stored["items"] == order["items"]
    for shipment in demo.shipments:
        stored = store.get(f"/api/orders/{shipment['order_id']}/shipment")
        assert stored["tracking_no"] == shipment["tracking_no"] and len(stored["events"]) >= 3
    unshipped = next(o for o in demo.orders if o["status"] == "paid")
    assert store.api("GET", f"/api/orders/{unshipped['order_id']}/shipment").status_code == 404
    for promotion in demo.promotions:
        assert store.get(f"/api/promotions/{promotion['promo_id']}")["kind"] == promotion["kind"]

    mine = store.get(f"/api/buyers/{DEMO_BUYER}/orders")
    assert sorted(o["status"] for o in mine) == sorted(STATUSES)
    running = {p["promo_id"] for p in store.get("/api/promotions")}
    assert {"price-protection-30d", "trade-in", "store-coupon-3000"} <= running
    assert "u8k-launch-coupon" not in running
    presale = next(p for p in demo.promotions if p["kind"] == "presale")
    during = (datetime.fromisoformat(presale["starts_at"]) + timedelta(hours=1)).isoformat()
    assert presale["promo_id"] in {
        p["promo_id"] for p in store.get("/api/promotions", params={"active_at": during})
    }

    # The store is not empty now: a second load writes nothing, so a change made since stays.
    changed = {k: v for k, v in products[0].items() if k != "sku"} | {"stock": 7}
    assert store.api("PUT", f"/api/products/{products[0]['sku']}", json=changed).status_code == 200
    again = store.demo_command("load")
    assert again.returncode == 0, again.stderr
    assert "not loaded" in again.stdout and "--force" in again.stdout
    assert store.get(f"/api/products/{products[0]['sku']}")["stock"] == 7

    # --force loads anyway; every PUT is idempotent, so nothing is duplicated or refused.
    forced = store.demo_command("load", "--force")
    assert forced.returncode == 0, forced.stderr
    assert store.get(f"/api/products/{products[0]['sku']}")["stock"] == products[0]["stock"]
    assert len(store.get("/api/products")) == len(catalog)
    assert len(store.get(f"/api/buyers/{DEMO_BUYER}/orders")) == len(STATUSES)


def test_refusals_are_reported_with_the_response_body(store) -> None:
    wrong = store.demo_command("load", "--token", "wrong-token")
    assert wrong.returncode == 1
    assert "HTTP 401" in wrong.stderr and "bearer token" in wrong.stderr
    assert store.get("/api/products") == []

    no_token = store.demo_command("load", env={"XIAOER_STORE_TOKEN": ""})
    assert no_token.returncode == 2 and "XIAOER_STORE_TOKEN" in no_token.stderr

    down = store.demo_command("load", "--url", "http://127.0.0.1:9")
    assert down.returncode == 1 and "did not answer" in down.stderr


def test_userdict_from_a_live_store_matches_the_catalogue(store, catalog, tmp_path: Path) -> None:
    assert store.demo_command("load").returncode == 0
    userdict, lookup = tmp_path / "userdict.txt", tmp_path / "product.yml"
    paths = ["--userdict", str(userdict), "--lookup", str(lookup)]
    result = store.demo_command("userdict", "--catalog-url", store.url, *paths)
    assert result.returncode == 0, result.stderr
    # The store lists products by sku, the catalogue in file order: same lines, maybe reordered.
    assert sorted(userdict.read_text(encoding="utf-8").splitlines()) == sorted(
        userdict_text(catalog).splitlines()
    )
    text = lookup.read_text(encoding="utf-8")
    assert f"from the catalogue of {store.url}" in text.splitlines()[0]
    assert sorted(line.strip()[2:] for line in text.splitlines() if line.startswith("      - ")) == sorted(
        lookup_entries(catalog)
    )
