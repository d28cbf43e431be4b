"""`python -m xiaoer.chat --buyer demo`: chat with the running assistant over the REST channel."""

from __future__ import annotations

import argparse
import os
from typing import Any, Dict, List

import requests


def send(url: str, buyer: str, text: str) -> List[Dict[str, Any]]:
    response = requests.post(url, json={"sender": buyer, "message": text}, timeout=30)
    response.raise_for_status()
    return response.json()


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
    parser.add_argument(
        "--url",
        default=f"http://127.0.0.1:{os.environ.get('XIAOER_RASA_PORT', '5005')}/webhooks/rest/webhook",
    )
    args = parser.parse_args()
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
            payloads = render(send(args.url, args.buyer, text))
        except requests.RequestException as exc:
            print(f"(could not reach the assistant: {exc})")


if __name__ == "__main__":
    main()
