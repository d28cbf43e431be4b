"""The knowledge base's vocabulary: categories, entries, answers, and what can go wrong in them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Tuple

from xiaoer.datafiles import Problem
from xiaoer.text import spelling_key

STYLES = ("text", "folded", "image", "video", "screenshot", "multi")
PLACEHOLDERS = ("order_id", "status", "product")
PLACEHOLDER = re.compile(r"\{(\w*)\}")
# Rasa's inline entity annotation, "[65E7K](product)": the buyer typed only "65E7K".
ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)")


def normalise(text: str) -> str:
    """The form duplicates are compared in: annotations dropped, then xiaoer.text.spelling_key."""
    return spelling_key(ANNOTATION.sub(r"\1", text or ""))


class KnowledgeError(Exception):
    """The knowledge files cannot be used as they are."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Answer:
    style: str = "text"
    text: str = ""
    summary: str = ""
    detail: str = ""
    image_url: str = ""
    video_url: str = ""
    poster_url: str = ""
    buttons: Tuple[Button, ...] = ()
    messages: Tuple[Answer, ...] = ()
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    order_status: Tuple[str, ...] = ()
    line: int = 0

    @property
    def conditional(self) -> bool:
        return bool(self.valid_from or self.valid_until or self.order_status)

    def in_window(self, now: datetime) -> bool:
        if self.valid_from is not None and now < self.valid_from:
            return False
        if self.valid_until is not None and now > self.valid_until:
            return False
        return True

    def texts(self) -> Tuple[str, ...]:
        """Every buyer-visible text, this answer's and its messages'."""
        own = (self.text, self.summary, self.detail)
        return tuple(t for t in own if t) + tuple(t for m in self.messages for t in m.texts())


@dataclass(frozen=True)
class Entry:
    id: str
    question: str
    variants: Tuple[str, ...]
    answers: Tuple[Answer, ...]
    intent: str
    category: str
    path: str
    line: int

    @property
    def key(self) -> str:
        """The retrieval intent Rasa knows this entry by: ask_installation/wall_mount_fee."""
        return f"{self.intent}/{self.id}"


@dataclass(frozen=True)
class Category:
    name: str
    title: str
    intent: str
    entries: Tuple[Entry, ...]
    path: str
    line: int = 1
    intent_line: int = 1


@dataclass
class Knowledge:
    """Every category, and the entries by retrieval key."""

    categories: Tuple[Category, ...] = ()
    by_key: dict = field(default_factory=dict)

    @classmethod
    def of(cls, categories: list[Category]) -> Knowledge:
        ordered = tuple(sorted(categories, key=lambda c: Path(c.path).name))
        return cls(ordered, {e.key: e for c in ordered for e in c.entries})

    def entry(self, key: str) -> Entry | None:
        return self.by_key.get(key)

    def category_of(self, intent: str) -> Category | None:
        return next((c for c in self.categories if c.intent == intent), None)

    @property
    def intents(self) -> Tuple[str, ...]:
        return tuple(c.intent for c in self.categories)
