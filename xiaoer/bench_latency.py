"""`python -m xiaoer.bench_latency`: per-message latency over REST for an order-logistics question.

Needs the running assistant (`make run`). Seeds its own buyer, product and
shipped order through the store API, then sends the same logistics question
sequentially and prints p50/p95/max.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timedelta, timezone

import requests

from xiaoer.run import dev_tokens

BUYER, ORDER, SKU = "bench_buyer", "269800000001", "BENCH-TV-1"


def seed(store_url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    now = datetime.now(timezone.utc)

    def put(path: str, body: dict) -> None:
        response = requests.put(f"{store_url}{path}", json=body, headers=headers, timeout=10)
        response.raise_for_status()

    put(
        f"/api/products/{SKU}",
        {
            "name": "基准测试电视",
            "category": "电视",
            "price": 1999,
            "stock": 5,
            "aliases": ["BENCH1"],
            "attributes": {},
        },
    )
    put(f"/api/buyers/{BUYER}", {"nickname": "bench"})
    put(
        f"/api/orders/{ORDER}",
        {
            "buyer_id": BUYER,
            "items": [{"sku": SKU, "qty": 1, "unit_price": 1999}],
            "status": "shipped",
            "created_at": (now - timedelta(days=2)).isoformat(),
            "paid_at": (now - timedelta(days=2)).isoformat(),
        },
    )
    events = [
        {"time": (now - timedelta(hours=h)).isoformat(), "location": "青岛", "description": f"运输中 {h}"}
        for h in (30, 20, 10, 5)
    ]
    put(
        f"/api/orders/{ORDER}/shipment",
        {"carrier": "京东物流", "tracking_no": "JDBENCH0001", "events": events},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="messages to send")
    parser.add_argument(
        "--rasa-url", default=f"http://127.0.0.1:{os.environ.get('XIAOER_RASA_PORT', '5005')}"
    )
    parser.add_argument("--store-url", default=os.environ.get("XIAOER_STORE_URL", "http://127.0.0.1:8000"))
    args = parser.parse_args()
    seed(args.store_url, dev_tokens()["XIAOER_STORE_TOKEN"])
    url = f"{args.rasa_url}/webhooks/rest/webhook"
    question = f"订单{ORDER}到哪了"
    timings = []
    for i in range(args.n + 5):
        started = time.perf_counter()
        response = requests.post(url, json={"sender": BUYER, "message": question}, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        assert "JDBENCH0001" in response.text, response.text
        if i >= 5:  # the first few warm caches and the conversation
            timings.append(elapsed)
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"REST order-logistics question, {len(timings)} sequential messages:")
    print(f"  p50 {statistics.median(timings):.0f} ms   p95 {p95:.0f} ms   max {timings[-1]:.0f} ms")


if __name__ == "__main__":
    main()
