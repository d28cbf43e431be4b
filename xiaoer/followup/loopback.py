"""Loopback HTTP stand-ins for the benchmark and tests: a Rasa receiver and a minimal store feed."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List
from urllib.parse import parse_qs, unquote, urlparse


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Base:
    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Without it, Nagle's algorithm and delayed ACKs add ~40 ms to every keep-alive reply.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                pass

            def reply(self, status: int, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                status, body = owner.get(self)
                self.reply(status, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body = owner.post(self, raw)
                self.reply(status, body)

        return Handler

    def get(self, handler) -> tuple:
        return 404, {"error": "not found"}

    def post(self, handler, raw: bytes) -> tuple:
        return 404, {"error": "not found"}


class RasaReceiver(_Base):
    """Stands in for Rasa: takes trigger_intent posts, counts them, spots duplicate job keys.

    `failing = True` answers 503 (Rasa up but erroring); `down = True` fails its health check too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.received: List[Dict[str, Any]] = []
        self.job_counts: Counter = Counter()
        self.failing = False
        self.down = False

    def get(self, handler) -> tuple:
        path = urlparse(handler.path).path
        if path == "/_stats":  # for a benchmark running the receiver in another process
            with self.lock:
                return 200, {
                    "received": [[r["job"], r["received"]] for r in self.received],
                    "duplicates": self.duplicates,
                }
        if path in ("/", "/status") and not self.down:
            return 200, {"version": "stand-in"}
        return (503, {"error": "down"}) if self.down else (404, {"error": "not found"})

    def post(self, handler, raw: bytes) -> tuple:
        parsed = urlparse(handler.path)
        parts = parsed.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "conversations" or parts[2] != "trigger_intent":
            return 404, {"error": "not found"}
        if self.failing or self.down:
            return 503, {"error": "unavailable"}
        body = json.loads(raw or b"{}")
        query = parse_qs(parsed.query)
        record = {
            "buyer_id": unquote(parts[1]),
            "intent": body.get("name"),
            "entities": body.get("entities") or {},
            "job": handler.headers.get("X-Xiaoer-Followup-Job"),
            # Rasa's API takes an admin JWT signed with the shared secret (xiaoer.rasa_ext.client).
            "authorization": handler.headers.get("Authorization"),
            "output_channel": (query.get("output_channel") or [None])[0],
            "received": time.time(),
        }
        with self.lock:
            self.received.append(record)
            self.job_counts[record["job"]] += 1
        return 200, {"tracker": {"sender_id": record["buyer_id"]}}

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in list(self.job_counts.values()) if n > 1)


class FeedStore(_Base):
    """A store serving only what the engine reads: the event feed, buyers, orders, promotions.

    Promotions are served as given (no filtering by time): tests put in the ones that are active.
    """

    def __init__(self) -> None:
        super().__init__()
        self.events: List[Dict[str, Any]] = []
        self.buyers: Dict[str, Dict[str, Any]] = {}
        self.orders: Dict[str, Dict[str, Any]] = {}
        self.promotions: List[Dict[str, Any]] = []
        self.down = False  # every request answers 503

    def get(self, handler) -> tuple:
        if self.down:
            return 503, {"error": "unavailable"}
        parsed = urlparse(handler.path)
        parts = parsed.path.strip("/").split("/")
        query = parse_qs(parsed.query)
        if parts == ["api", "events"]:
            after = int((query.get("after") or ["0"])[0])
            limit = int((query.get("limit") or ["100"])[0])
            # seq is 1-based and dense here, so a slice finds the page.
            return 200, self.events[after : after + limit]
        if len(parts) == 3 and parts[:2] == ["api", "buyers"]:
            buyer = self.buyers.get(unquote(parts[2]))
            return (200, buyer) if buyer else (404, {"error": "no such buyer"})
        if len(parts) == 3 and parts[:2] == ["api", "orders"]:
            order = self.orders.get(unquote(parts[2]))
            return (200, order) if order else (404, {"error": "no such order"})
        if parts == ["api", "promotions"]:
            return 200, self.promotions
        return 404, {"error": "not found"}

    def add_event(self, event: Dict[str, Any]) -> None:
        self.events.append({**event, "seq": len(self.events) + 1})
