"""The overlap check: held-out messages must not repeat training examples.

Two texts "overlap" when their xiaoer.text.letters_key is equal: NFKC (full-width → half-width),
traditional → simplified (OpenCC t2s), case folded, and only letters and digits kept (spaces,
punctuation and emoji dropped). That is at least as strict as the NLU's own normaliser, so a
held-out message that the model would see as identical to a training example is always caught.
This module reads the texts on both sides: Rasa NLU files and knowledge/*.yml.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Iterator

import yaml

from xiaoer.text import letters_key

# Rasa's inline entity markup: [text](entity), [text]{"entity": ...}, [text][{...}].
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")


def strip_entity_markup(example: str) -> str:
    return _ENTITY_MARKUP.sub(r"\1", example)


def _examples_block(value) -> list[str]:
    if isinstance(value, str):
        lines = (line.strip() for line in value.splitlines())
        return [line[1:].strip() for line in lines if line.startswith("-")]
    if isinstance(value, list):  # the long form: - text: ...
        return [item["text"] if isinstance(item, dict) else str(item) for item in value]
    return []


def training_examples(data_dir: Path) -> Iterator[tuple[str, str, str]]:
    """(text, intent, file) for every intent example in Rasa NLU files under data_dir."""
    for path in sorted(data_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(doc, dict):
            continue
        for item in doc.get("nlu") or []:
            if isinstance(item, dict) and "intent" in item:
                for example in _examples_block(item.get("examples")):
                    yield strip_entity_markup(example), str(item["intent"]), str(path)


def knowledge_questions(knowledge_dir: Path) -> Iterator[tuple[str, str, str, str]]:
    """(text, intent, entry id, file) for every standard question and variant in knowledge/*.yml."""
    if not knowledge_dir.is_dir():
        return
    for path in sorted(knowledge_dir.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intent = str(doc.get("intent", ""))
        for entry in doc.get("entries") or []:
            if not isinstance(entry, dict) or "id" not in entry:
                continue
            texts = [entry.get("question")] + list(entry.get("variants") or [])
            for text in texts:
                if isinstance(text, str) and text.strip():
                    yield text, intent, str(entry["id"]), str(path)


def find_overlaps(
    heldout: Iterable[tuple[str, str]], training: Iterable[tuple[str, str]]
) -> list[dict[str, str]]:
    """Held-out (text, source) pairs whose key equals a training (text, source) pair's key."""
    index: dict[str, tuple[str, str]] = {}
    for text, source in training:
        index.setdefault(letters_key(text), (text, source))
    overlaps = []
    for text, source in heldout:
        hit = index.get(letters_key(text))
        if hit is not None:
            overlaps.append(
                {"heldout": text, "heldout_source": source, "training": hit[0], "training_source": hit[1]}
            )
    return overlaps
