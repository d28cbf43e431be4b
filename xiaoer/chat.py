"""`python -m xiaoer.chat --buyer demo`: chat with the running assistant over the REST channel.

The REST channel takes the buyer from a signed buyer token. With `--token` it uses the one given;
without, in development only, it mints one for `--buyer` with the secret `make run` generated into
var/dev-tokens.env (`--print-token` prints it for curl and exits).
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, List

from xiaoer import identity
from xiaoer.rasa_ext.client import RasaClient, RasaUnavailable
from xiaoer.run import saved_dev_secret
from xiaoer.settings import RunSettings


def render(messages: List[Dict[str, Any]]) -> List[str]:
    """Print the bot's messages; return the payloads of any buttons, numbered from 1."""
    payloads: List[str] = []
    for message in messages:
        if message.get("text"):
            print(f"小二: {message['text']}")
        if message.get("image"):
            print(f"小二: [图片] {message['image']}")
        if message.get("custom"):
            print(f"小二: {message['custom']}")
        for button in message.get("buttons") or []:
            payloads.append(button["payload"])
            print(f"   [{len(payloads)}] {button['title']}")
    return payloads


def dev_token(buyer: str) -> str:
    secret = saved_dev_secret("XIAOER_BUYER_TOKEN_SECRET")
    if not secret:
        raise SystemExit(
            "xiaoer.chat: no development buyer-token secret in var/dev-tokens.env (start `make run` first), "
            "or pass --token <buyer token signed by the store>"
        )
    return identity.mint(secret, buyer, ttl_seconds=8 * 3600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyer", default="demo", help="buyer id to chat as (the demo store has 'demo')")
    parser.add_argument(
        "--token", help="a buyer token the store signed (default: mint one, development only)"
    )
    parser.add_argument("--print-token", action="store_true", help="print the buyer token and exit")
    parser.add_argument("--rasa-url", default=RunSettings().rasa_url, help="default: %(default)s")
    args = parser.parse_args()
    token = args.token or dev_token(args.buyer)
    if args.print_token:
        print(token)
        return
    rasa = RasaClient(args.rasa_url, token="", timeout=30)
    print(f"Chatting as buyer '{args.buyer}'. Type a number to press a button; Ctrl-D to leave.")
    payloads: List[str] = []
    while True:
        try:
            text = input("我: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(payloads):
            text = payloads[int(text) - 1]
        try:
            payloads = render(rasa.rest_message(token, text))
        except RasaUnavailable as exc:
            print(f"(could not reach the assistant: {exc})")


if __name__ == "__main__":
    main()
