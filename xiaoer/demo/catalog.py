"""The hand-written catalogue, catalog.yml: reading it and turning an entry into a PUT body."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import yaml

CATALOG_PATH = Path(__file__).with_name("catalog.yml")
CATEGORIES = ("电视", "冰箱", "空调", "洗衣机", "厨房电器")
# The fields of a `PUT /api/products/{sku}` body, in the contract's order.
PRODUCT_FIELDS = (
    "name",
    "category",
    "price",
    "stock",
    "aliases",
    "attributes",
    "image_url",
    "video_url",
    "detail_image_url",
)
REQUIRED_FIELDS = ("sku", "name", "category", "price", "stock", "aliases", "attributes")


class CatalogError(ValueError):
    """catalog.yml is not what the loader expects."""


def load_catalog(path: Path = CATALOG_PATH) -> List[Dict[str, Any]]:
    """The products of catalog.yml, in file order: dicts with `sku` and the API's fields."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    products = data.get("products") if isinstance(data, dict) else None
    if not isinstance(products, list) or not products:
        raise CatalogError(f"{path}: expected a non-empty `products:` list")
    for index, product in enumerate(products):
        if not isinstance(product, dict):
            raise CatalogError(f"{path}: products[{index}] is not a mapping")
        missing = [name for name in REQUIRED_FIELDS if name not in product]
        unknown = sorted(set(product) - {"sku", *PRODUCT_FIELDS})
        if missing or unknown:
            raise CatalogError(
                f"{path}: product {product.get('sku', index)!r}: missing {missing}, unknown {unknown}"
            )
    return products


def product_body(product: Dict[str, Any]) -> Dict[str, Any]:
    """The `PUT /api/products/{sku}` body for a catalogue entry (the sku goes in the path)."""
    return {name: product[name] for name in PRODUCT_FIELDS if product.get(name) is not None}
