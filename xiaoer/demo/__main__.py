"""`python -m xiaoer.demo load|userdict`: load the demo store; generate the jieba dictionary.

python -m xiaoer.demo load [--url URL] [--token TOKEN] [--force]
python -m xiaoer.demo userdict [--catalog-url URL --token TOKEN]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Sequence

from xiaoer.demo.catalog import CATALOG_PATH, CatalogError, load_catalog
from xiaoer.demo.load import LoadError, existing_products, load_demo, store_client
from xiaoer.demo.userdict import LOOKUP_PATH, USERDICT_PATH, write_files
from xiaoer.settings import REPO_ROOT, StoreClientSection


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    store = StoreClientSection()
    parser = argparse.ArgumentParser(prog="python -m xiaoer.demo", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    load = commands.add_parser("load", help="load the demo store into an empty store through its API")
    load.add_argument(
        "--url",
        default=store.store_url,
        help="store API base URL (default: $XIAOER_STORE_URL, else %(default)s)",
    )
    load.add_argument("--token", default=store.store_token, help="default: $XIAOER_STORE_TOKEN")
    load.add_argument("--force", action="store_true", help="load even when the store already has products")

    userdict = commands.add_parser(
        "userdict", help=f"write {_relative(USERDICT_PATH)} and {_relative(LOOKUP_PATH)} from the catalogue"
    )
    userdict.add_argument(
        "--catalog-url", help="read the catalogue from this store's GET /api/products instead"
    )
    userdict.add_argument("--token", default=store.store_token, help="default: $XIAOER_STORE_TOKEN")
    userdict.add_argument("--userdict", type=Path, default=USERDICT_PATH, help=argparse.SUPPRESS)
    userdict.add_argument("--lookup", type=Path, default=LOOKUP_PATH, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_load(args: argparse.Namespace) -> int:
    if not args.token:
        print("xiaoer.demo load: no store token: set XIAOER_STORE_TOKEN or pass --token", file=sys.stderr)
        return 2
    counts = load_demo(args.url, args.token, force=args.force)
    if counts is None:
        print(f"demo store not loaded: {args.url} already has products (load --force to load anyway)")
    else:
        summary = ", ".join(f"{number} {kind}" for kind, number in counts.items())
        print(f"demo store loaded into {args.url}: {summary}")
    return 0


def run_userdict(args: argparse.Namespace) -> int:
    if args.catalog_url:
        if not args.token:
            print(
                "xiaoer.demo userdict: --catalog-url needs a token (--token or XIAOER_STORE_TOKEN)",
                file=sys.stderr,
            )
            return 2
        products: List[dict] = existing_products(store_client(args.catalog_url, args.token))
        source = f"the catalogue of {args.catalog_url.rstrip('/')}"
        if not products:
            print(f"xiaoer.demo userdict: {args.catalog_url} has no products", file=sys.stderr)
            return 1
    else:
        products = load_catalog()
        source = _relative(CATALOG_PATH)
    counts = write_files(products, source, args.userdict, args.lookup)
    print(
        f"wrote {_relative(args.userdict)} ({counts['words']} words) and "
        f"{_relative(args.lookup)} ({counts['lookup_entries']} entries) from {source}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run_load(args) if args.command == "load" else run_userdict(args)
    except (LoadError, CatalogError) as exc:
        print(f"xiaoer.demo {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
