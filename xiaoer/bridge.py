"""`python -m xiaoer.bridge --buyer B "text"`: a marketplace bridge, simulated.

Signs each message as a platform bridge must (docs/channels.md) and can deliver it again with the
same message_id, as platforms do when an answer is late. The tests use it; a store uses it to check
that its Xiaoer answers its bridge.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from typing import Any, Dict

import requests

from xiaoer.rasa_ext.marketplace import sign
from xiaoer.settings import ChannelSettings, RunSettings


class BridgeSimulator:
    def __init__(self, rasa_url: str, secret: str, platform: str = "simulator", timeout: float = 60) -> None:
        self.url = rasa_url.rstrip("/") + "/webhooks/marketplace/webhook"
        self.secret = secret
        self.platform = platform
        self.timeout = timeout
        self.last: Dict[str, Any] | None = None

    def post(self, message: Dict[str, Any], timestamp: int | None = None) -> requests.Response:
        body = json.dumps(message, ensure_ascii=False).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": "application/json",
            "X-Xiaoer-Timestamp": stamp,
            "X-Xiaoer-Signature": sign(self.secret, stamp, body),
        }
        return requests.post(self.url, data=body, headers=headers, timeout=self.timeout)

    def send(
        self, buyer_id: str, text: str, message_id: str | None = None, **extra: Any
    ) -> requests.Response:
        self.last = {
            "message_id": message_id or uuid.uuid4().hex,
            "buyer_id": buyer_id,
            "text": text,
            "platform": self.platform,
            **extra,
        }
        return self.post(self.last)

    def resend(self) -> requests.Response:
        """The last message again, same message_id: what a platform does when it timed out."""
        if self.last is None:
            raise RuntimeError("nothing sent yet")
        return self.post(self.last)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m xiaoer.bridge", description=__doc__.splitlines()[0])
    parser.add_argument("--buyer", required=True)
    parser.add_argument("--platform", default="simulator")
    parser.add_argument("--rasa-url", default=RunSettings().rasa_url)
    parser.add_argument("--retry", action="store_true", help="deliver the same message_id a second time")
    parser.add_argument("text")
    args = parser.parse_args()
    secret = ChannelSettings().marketplace_secret
    if not secret:
        from xiaoer.run import saved_dev_secret

        secret = saved_dev_secret("XIAOER_MARKETPLACE_SECRET")
    if not secret:
        raise SystemExit(
            "xiaoer.bridge: set XIAOER_MARKETPLACE_SECRET (make run generates one in development)"
        )
    bridge = BridgeSimulator(args.rasa_url, secret, args.platform)
    answer = bridge.send(args.buyer, args.text)
    print(answer.status_code, json.dumps(answer.json(), ensure_ascii=False, indent=2))
    if args.retry:
        again = bridge.resend()
        print("retry:", again.status_code, json.dumps(again.json(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
