"""The hand-written demo catalogue: one YAML file per category in catalog/."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import yaml

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"


def load_catalog(directory: Path = CATALOG_DIR) -> List[Dict[str, Any]]:
    products: List[Dict[str, Any]] = []
    for path in sorted(directory.glob("*.yml")):
        for product in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            product["attributes"] = {str(k): str(v) for k, v in (product.get("attributes") or {}).items()}
            product["aliases"] = [str(a) for a in product.get("aliases") or []]
            products.append(product)
    return products
