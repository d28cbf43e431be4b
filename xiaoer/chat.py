"""`python -m xiaoer.chat --buyer demo`: chat with the running assistant over the REST channel."""

from __future__ import annotations

import argparse
from typing import Any, Dict, List

from xiaoer.rasa_ext.client import RasaClient, RasaUnavailable
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyer", default="demo", help="buyer id to chat as (the demo store has 'demo')")
    parser.add_argument("--rasa-url", default=RunSettings().rasa_url, help="default: %(default)s")
    args = parser.parse_args()
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
            payloads = render(rasa.rest_message(args.buyer, text))
        except RasaUnavailable as exc:
            print(f"(could not reach the assistant: {exc})")


if __name__ == "__main__":
    main()
