"""What the model is trained on, as (text, intent or knowledge entry): the miner's suggestions
point a cluster at the nearest of these."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import yaml

from xiaoer.knowledge.loader import load_dir
from xiaoer.trainer.clusters import Reference

# [text](entity) and [text]{"entity": …} annotations: the buyer's words are the text inside.
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def nlu_references(directory: Path) -> List[Reference]:
    """Intent examples from data/nlu (not data/nlu/faq: that is built from the knowledge base)."""
    references = []
    for path in sorted(Path(directory).glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        for block in data.get("nlu") or []:
            intent = block.get("intent") if isinstance(block, dict) else None
            if not intent or "/" in intent:
                continue
            for line in str(block.get("examples") or "").splitlines():
                text = ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                if text:
                    references.append(Reference(text, "intent", intent))
    return references


def knowledge_references(directory: Path) -> List[Reference]:
    categories, _ = load_dir(Path(directory))
    return [
        Reference(text, "knowledge", entry.key)
        for category in categories
        for entry in category.entries
        for text in (entry.question, *entry.variants)
    ]
