"""Xiaoer for the benchmark: store, action server and Rasa as `make run` starts them, seeded with
buyers who each have a shipped order (the benchmark asks where it is: a live store lookup)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict

from xiaoer import identity
from xiaoer.launch import BIN, Processes, free_port
from xiaoer.settings import REPO_ROOT
from xiaoer.storeapi.client import StoreClient

SKU = "BENCH-TV-1"


def order_of(i: int) -> str:
    return f"2698{i:08d}"


def buyer_of(i: int) -> str:
    return f"bench_buyer_{i}"


class XiaoerStack:
    def __init__(self, processes: Processes, model: Path) -> None:
        self.processes = processes
        self.model = model
        self.store_port, self.action_port, self.rasa_port = free_port(), free_port(), free_port()
        self.store_token = secrets.token_urlsafe(24)
        self.buyer_secret = secrets.token_urlsafe(32)
        self.url = f"http://127.0.0.1:{self.rasa_port}"
        workdir = processes.workdir
        endpoints = workdir / "endpoints.yml"
        endpoints.write_text(
            (REPO_ROOT / "endpoints.yml")
            .read_text()
            .replace("127.0.0.1:5055/", f"127.0.0.1:{self.action_port}/")
        )
        processes.env.update(
            {
                "XIAOER_STORE_PORT": str(self.store_port),
                "XIAOER_STORE_URL": f"http://127.0.0.1:{self.store_port}",
                "XIAOER_STORE_TOKEN": self.store_token,
                "XIAOER_STORE_READ_TOKEN": secrets.token_urlsafe(24),
                "XIAOER_STORE_DATABASE_URL": f"sqlite:///{workdir / 'store.db'}",
                "XIAOER_TRACKER_DATABASE_URL": f"sqlite:///{workdir / 'tracker.db'}",
                "XIAOER_RASA_PORT": str(self.rasa_port),
                "XIAOER_RASA_TOKEN": secrets.token_urlsafe(24),
                "XIAOER_MODEL": str(model),
                "XIAOER_ENDPOINTS": str(endpoints),
                "XIAOER_CREDENTIALS": str(REPO_ROOT / "credentials.yml"),
                "XIAOER_BUYER_TOKEN_SECRET": self.buyer_secret,
                # A benchmark is a flood by design: the limits would measure themselves.
                "XIAOER_BUYER_BURST": "100000",
                "XIAOER_ADDRESS_BURST": "100000",
                "XIAOER_BUYER_PER_MINUTE": "600000",
                "XIAOER_ADDRESS_PER_MINUTE": "600000",
                "SANIC_HOST": "127.0.0.1",
            }
        )

    def start(self, buyers: int) -> None:
        store_url = f"http://127.0.0.1:{self.store_port}"
        self.processes.start("store", [str(BIN / "python"), "-m", "xiaoer.store"], f"{store_url}/health")
        self.seed(StoreClient(store_url, self.store_token, timeout=10), buyers)
        self.processes.start(
            "actions",
            [str(BIN / "rasa"), "run", "actions", "--port", str(self.action_port)],
            f"http://127.0.0.1:{self.action_port}/health",
        )
        self.processes.start("rasa", [str(BIN / "python"), "-m", "xiaoer.rasa_ext.serve"], f"{self.url}/")

    def seed(self, store: StoreClient, buyers: int) -> None:
        now = datetime.now(timezone.utc)
        store.put_product(
            SKU,
            {"name": "海悦 基准测试电视", "category": "电视", "price": 1999, "stock": 5, "aliases": ["BENCH1"],
             "attributes": {"屏幕尺寸": "55英寸"}},
        )  # fmt: skip
        events = [
            {"time": (now - timedelta(hours=h)).isoformat(), "location": "青岛", "description": f"运输中 {h}"}
            for h in (30, 20, 10, 5)
        ]
        for i in range(buyers):
            store.put_buyer(buyer_of(i), {"nickname": "bench"})
            store.put_order(
                order_of(i),
                {"buyer_id": buyer_of(i), "items": [{"sku": SKU, "qty": 1, "unit_price": 1999}],
                 "status": "shipped", "created_at": (now - timedelta(days=2)).isoformat(),
                 "paid_at": (now - timedelta(days=2)).isoformat()},
            )  # fmt: skip
            store.put_shipment(
                order_of(i), {"carrier": "京东物流", "tracking_no": f"JDBENCH{i:06d}", "events": events}
            )

    def headers(self, buyer: str) -> Dict[str, str]:
        return {"Authorization": f"Bearer {identity.mint(self.buyer_secret, buyer)}"}
