"""Held-out messages: every eval/heldout/*.yml, `messages: [{text, intent, faq?}]`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ALLOWED_KEYS = {"text", "intent", "faq"}


class HeldoutError(ValueError):
    """A held-out file that does not follow the format; the message names the file and item."""


@dataclass(frozen=True)
class HeldoutMessage:
    text: str
    intent: str
    faq: str | None
    source: str  # "file.yml:line"

    @property
    def intent_response_key(self) -> str | None:
        return f"{self.intent}/{self.faq}" if self.faq else None


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line number so errors and reports can point at the message."""


def _construct_mapping(loader, node, deep=False):
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_file(path: Path) -> list[HeldoutMessage]:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.YAMLError as exc:
        raise HeldoutError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list):
        raise HeldoutError(f"{path}: expected a top-level 'messages:' list")
    messages = []
    for item in doc["messages"]:
        if not isinstance(item, dict):
            raise HeldoutError(f"{path}: every message must be a mapping with text and intent")
        where = f"{path.name}:{item.pop('__line__', '?')}"
        unknown = set(item) - ALLOWED_KEYS
        if unknown:
            raise HeldoutError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: text, intent, faq")
        text, intent, faq = item.get("text"), item.get("intent"), item.get("faq")
        if not isinstance(text, str) or not text.strip():
            raise HeldoutError(f"{where}: 'text' must be a non-empty string (quote numbers)")
        if not isinstance(intent, str) or not intent.strip():
            raise HeldoutError(f"{where}: 'intent' must be a non-empty string")
        if faq is not None and (not isinstance(faq, str) or not faq.strip()):
            raise HeldoutError(f"{where}: 'faq' must be an entry id string when given")
        messages.append(HeldoutMessage(text.strip(), intent.strip(), faq.strip() if faq else None, where))
    return messages


def load_dir(directory: Path) -> list[HeldoutMessage]:
    files = sorted(directory.glob("*.yml")) + sorted(directory.glob("*.yaml"))
    if not files:
        raise HeldoutError(f"{directory}: no held-out *.yml files")
    messages: list[HeldoutMessage] = []
    for path in files:
        messages.extend(load_file(path))
    return messages
