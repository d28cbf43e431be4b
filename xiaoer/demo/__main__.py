"""`python -m xiaoer.demo load|userdict`: the demo store's commands."""

from __future__ import annotations

import argparse
import os
import sys

import requests

from xiaoer.demo.catalog import load_catalog
from xiaoer.demo.load import LoadError, load
from xiaoer.demo.userdict import write_lookup, write_userdict


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m xiaoer.demo")
    sub = parser.add_subparsers(dest="command", required=True)
    load_cmd = sub.add_parser("load", help="load the demo store into an empty store backend")
    load_cmd.add_argument("--url", default=os.environ.get("XIAOER_STORE_URL", "http://127.0.0.1:8000"))
    load_cmd.add_argument("--token", default=os.environ.get("XIAOER_STORE_TOKEN", ""))
    load_cmd.add_argument("--force", action="store_true", help="load even if the store has products")
    dict_cmd = sub.add_parser("userdict", help="write data/jieba/userdict.txt and the product lookup table")
    dict_cmd.add_argument(
        "--catalog-url", help="read the catalogue from a live store instead of the demo files"
    )
    dict_cmd.add_argument("--token", default=os.environ.get("XIAOER_STORE_TOKEN", ""))
    args = parser.parse_args()

    if args.command == "load":
        if not args.token:
            print("demo: XIAOER_STORE_TOKEN (or --token) is required", file=sys.stderr)
            return 2
        try:
            counts = load(args.url, args.token, load_catalog(), force=args.force)
        except (LoadError, requests.RequestException) as exc:
            print(f"demo: loading failed: {exc}", file=sys.stderr)
            return 1
        if not counts:
            print("demo: the store already has products; nothing loaded (use --force to load anyway)")
        else:
            print("demo: loaded " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
        return 0

    if args.catalog_url:
        response = requests.get(
            f"{args.catalog_url.rstrip('/')}/api/products",
            headers={"Authorization": f"Bearer {args.token}"},
            timeout=30,
        )
        response.raise_for_status()
        products = response.json()
    else:
        products = load_catalog()
    words = write_userdict(products)
    names = write_lookup(products)
    print(f"demo: wrote {words} jieba words and {names} product lookup entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
