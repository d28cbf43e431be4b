"""`python -m xiaoer.bench_latency`: per-message latency over REST for an order-logistics question.

Needs the running assistant (`make run`). Seeds its own buyers, product and
shipped orders through the store API, then holds many short conversations
(buyer chats are short; the tracker store reloads a conversation's events on
every turn, so latency grows with its length) and prints p50/p95/max.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone

from xiaoer import identity
from xiaoer.rasa_ext.client import RasaClient
from xiaoer.run import dev_tokens, saved_dev_secret
from xiaoer.settings import RunSettings
from xiaoer.storeapi.client import StoreClient

SKU = "BENCH-TV-1"
RUN_ID = int(time.time())


def buyer_of(i: int) -> str:
    return f"bench_{RUN_ID}_{i}"


def order_of(i: int) -> str:
    return f"2698{RUN_ID % 10**4:04d}{i:04d}"


def seed(store: StoreClient, conversations: int) -> None:
    now = datetime.now(timezone.utc)
    store.put_product(
        SKU,
        {
            "name": "基准测试电视",
            "category": "电视",
            "price": 1999,
            "stock": 5,
            "aliases": ["BENCH1"],
            "attributes": {},
        },
    )
    events = [
        {"time": (now - timedelta(hours=h)).isoformat(), "location": "青岛", "description": f"运输中 {h}"}
        for h in (30, 20, 10, 5)
    ]
    for i in range(conversations):
        store.put_buyer(buyer_of(i), {"nickname": "bench"})
        store.put_order(
            order_of(i),
            {
                "buyer_id": buyer_of(i),
                "items": [{"sku": SKU, "qty": 1, "unit_price": 1999}],
                "status": "shipped",
                "created_at": (now - timedelta(days=2)).isoformat(),
                "paid_at": (now - timedelta(days=2)).isoformat(),
            },
        )
        store.put_shipment(
            order_of(i), {"carrier": "京东物流", "tracking_no": "JDBENCH0001", "events": events}
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10, help="messages per conversation")
    settings = RunSettings()
    parser.add_argument("--rasa-url", default=settings.rasa_url)
    parser.add_argument("--store-url", default=settings.store_url)
    args = parser.parse_args()
    seed(StoreClient(args.store_url, dev_tokens()["XIAOER_STORE_TOKEN"], timeout=10), args.conversations)
    rasa = RasaClient(args.rasa_url, token="", timeout=30)
    secret = saved_dev_secret("XIAOER_BUYER_TOKEN_SECRET")
    tokens = [identity.mint(secret, buyer_of(i)) for i in range(args.conversations)]
    timings = []
    for i in range(args.conversations):
        for _ in range(args.turns):
            started = time.perf_counter()
            answer = rasa.rest_message(tokens[i], f"订单{order_of(i)}到哪了")
            timings.append((time.perf_counter() - started) * 1000)
            assert "JDBENCH0001" in str(answer), answer
    timings.sort()
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(
        f"REST order-logistics question, {len(timings)} sequential messages "
        f"({args.conversations} conversations x {args.turns} turns):"
    )
    print(f"  p50 {statistics.median(timings):.0f} ms   p95 {p95:.0f} ms   max {timings[-1]:.0f} ms")


if __name__ == "__main__":
    main()
