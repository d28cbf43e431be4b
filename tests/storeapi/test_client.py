"""The real StoreClient over real HTTP, against tiny servers on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, Tuple
from urllib.parse import parse_qs, urlsplit

import pytest

from xiaoer.storeapi.client import StoreClient, StoreRejected, StoreUnavailable

TOKEN = "s3cret-token"
ORDER = {
    "order_id": "3001000002",
    "buyer_id": "buyer-alice",
    "items": [{"sku": "TV-65E7K", "qty": 1, "unit_price": 4999}],
    "status": "shipped",
    "created_at": "2024-05-18T13:00:00+08:00",
}


class FakeStoreServer:
    """Routes raw request paths to canned answers and records every request."""

    def __init__(self) -> None:
        self.requests: List[Tuple[str, Dict[str, str]]] = []
        self.release = threading.Event()  # set at teardown so slow handlers finish at once
        self.flaky = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                path = urlsplit(self.path).path
                query = parse_qs(urlsplit(self.path).query)
                if path == "/api/orders/3001000002":
                    self.reply(200, ORDER)
                elif path == "/api/orders/boom":
                    self.reply(500, "Internal Server Error", "text/plain")
                elif path == "/api/orders/locked":
                    self.reply(401, {"detail": "bad token"})
                elif path == "/api/orders/html":
                    self.reply(200, "<html><body>维护中</body></html>", "text/html")
                elif path == "/api/orders/slow":
                    server.release.wait(5)
                    self.reply(200, ORDER)
                elif path == "/api/buyers/buyer-alice/orders":
                    self.reply(200, [ORDER])
                elif path == "/api/orders/flaky":
                    server.flaky += 1
                    if server.flaky == 1:
                        self.reply(503, "Service Unavailable", "text/plain")
                    else:
                        self.reply(200, ORDER)
                elif path == "/api/orders/gone":
                    self.reply(503, "Service Unavailable", "text/plain")
                elif path == "/api/products" and self.headers.get("If-None-Match") == '"v1"':
                    self.reply(304, None)
                elif path == "/api/products":
                    self.reply(200, [{"sku": "TV-65E7K", "q": query.get("q", [None])[0]}], etag='"v1"')
                elif path == "/api/promotions":
                    self.reply(200, [{"promo_id": "P1", "sku": query.get("sku", [None])[0]}])
                else:
                    self.reply(404, {"detail": "not found"})

            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                server.requests.append((self.path, dict(self.headers)))
                if not isinstance(body, dict) or "nickname" not in body:
                    self.reply(422, {"error": "nickname: field required"})
                else:
                    self.reply(201, {"buyer_id": urlsplit(self.path).path.rsplit("/", 1)[1], **body})

            def reply(
                self, status: int, body: object, content_type: str = "application/json", etag: str = ""
            ) -> None:
                if body is None:
                    data = b""
                else:
                    data = (
                        json.dumps(body, ensure_ascii=False) if content_type == "application/json" else body
                    ).encode()
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def paths(self) -> List[str]:
        return [path for path, _ in self.requests]


@pytest.fixture
def server() -> Iterator[FakeStoreServer]:
    server = FakeStoreServer()
    server.thread.start()
    yield server
    server.release.set()
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def client(server: FakeStoreServer) -> StoreClient:
    return StoreClient(server.url + "/", TOKEN, timeout=0.5)


def test_found_resource_is_parsed_json(client, server):
    assert client.get_order("3001000002") == ORDER
    assert client.buyer_orders("buyer-alice") == [ORDER]
    assert server.paths() == ["/api/orders/3001000002", "/api/buyers/buyer-alice/orders"]


def test_every_request_carries_the_bearer_token(client, server):
    client.get_order("3001000002")
    client.search_products("65E7K")
    client.active_promotions()

    assert len(server.requests) == 3
    for _, headers in server.requests:
        assert headers["Authorization"] == f"Bearer {TOKEN}"


def test_not_found_is_none_or_empty(client, server):
    assert client.get_order("3009999999") is None
    assert client.get_shipment("3001000002") is None
    assert client.get_product("NOPE") is None
    assert client.buyer_orders("buyer-nobody") == []
    assert server.paths() == [
        "/api/orders/3009999999",
        "/api/orders/3001000002/shipment",
        "/api/products/NOPE",
        "/api/buyers/buyer-nobody/orders",
    ]


def test_server_error_is_store_unavailable(client):
    with pytest.raises(StoreUnavailable, match="HTTP 500"):
        client.get_order("boom")


def test_rejected_token_is_store_unavailable(client):
    with pytest.raises(StoreUnavailable, match="HTTP 401"):
        client.get_order("locked")


def test_non_json_answer_is_store_unavailable(client):
    with pytest.raises(StoreUnavailable, match="not JSON"):
        client.get_order("html")


def test_connection_refused_is_store_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Bound then closed: nothing listens there now.
    client = StoreClient(f"http://127.0.0.1:{port}", TOKEN, timeout=0.5)
    with pytest.raises(StoreUnavailable):
        client.get_order("3001000002")


def test_slow_store_is_abandoned_at_the_timeout(client):
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        client.get_order("slow")
    assert time.monotonic() - started < 2


def test_order_id_stays_in_its_path_segment(client, server):
    assert client.get_order("../products/x") is None
    assert client.get_shipment("../products/x") is None
    assert client.buyer_orders("x/../../orders") == []
    assert client.get_product("a?b#c") is None
    assert server.paths() == [
        "/api/orders/..%2Fproducts%2Fx",
        "/api/orders/..%2Fproducts%2Fx/shipment",
        "/api/buyers/x%2F..%2F..%2Forders/orders",
        "/api/products/a%3Fb%23c",
    ]


@pytest.mark.parametrize("ident", ["", ".", ".."])
def test_dot_ids_are_not_found_without_leaving_their_segment(client, server, ident):
    assert client.get_order(ident) is None
    assert client.get_shipment(ident) is None
    assert client.get_product(ident) is None
    assert client.buyer_orders(ident) == []
    # "/api/orders/../shipment" would have become "/api/shipment", "/api/buyers/../orders" "/api/orders".
    assert server.requests == []


def test_search_text_is_a_query_parameter(client, server):
    text = "65E7K 的刷新率&sku=x#多少"
    assert client.search_products(text) == [{"sku": "TV-65E7K", "q": text}]
    path, _ = server.requests[0]
    assert urlsplit(path).path == "/api/products"


def test_catalogue_and_promotions(client, server):
    assert client.list_products() == [{"sku": "TV-65E7K", "q": None}]
    assert client.active_promotions() == [{"promo_id": "P1", "sku": None}]
    assert client.active_promotions("TV-65E7K") == [{"promo_id": "P1", "sku": "TV-65E7K"}]
    assert server.paths() == ["/api/products", "/api/promotions", "/api/promotions?sku=TV-65E7K"]


def test_a_read_is_tried_once_more_when_the_store_is_briefly_away(client, server):
    assert client.get_order("flaky") == ORDER
    assert server.paths() == ["/api/orders/flaky", "/api/orders/flaky"]


def test_a_store_that_stays_away_is_unavailable_after_the_second_try(client, server):
    with pytest.raises(StoreUnavailable, match="HTTP 503"):
        client.get_order("gone")
    assert server.paths() == ["/api/orders/gone", "/api/orders/gone"]


def test_a_timeout_is_not_retried(client, server):
    with pytest.raises(StoreUnavailable):
        client.get_order("slow")
    assert server.paths() == ["/api/orders/slow"]


def test_catalogue_is_fetched_again_only_when_its_etag_changed(client, server):
    first = client.catalogue()
    assert first.products == [{"sku": "TV-65E7K", "q": None}] and first.etag == '"v1"'
    unchanged = client.catalogue(first.etag)
    assert unchanged.products is None and unchanged.etag == '"v1"'
    assert server.requests[1][1]["If-None-Match"] == '"v1"'


def test_a_refused_write_says_why_and_is_never_retried(client, server):
    with pytest.raises(StoreRejected, match="nickname: field required") as refused:
        client.put_buyer("buyer-bob", {"phone": "1"})
    assert refused.value.status == 422
    assert server.paths() == ["/api/buyers/buyer-bob"]
    assert client.put_buyer("buyer-bob", {"nickname": "Bob"}) == {"buyer_id": "buyer-bob", "nickname": "Bob"}
