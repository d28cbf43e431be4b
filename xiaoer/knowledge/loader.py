"""Reading knowledge/*.yml strictly: every mistake is reported with its file, line and reason.

PyYAML's node graph keeps each value's position, so the loader walks nodes rather than
plain dicts. A file with problems yields no category; the caller decides what that means
(the build fails, the action server keeps serving the file's last good version).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Tuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from xiaoer.datafiles import NodeReader
from xiaoer.knowledge.model import (
    PLACEHOLDER,
    PLACEHOLDERS,
    STYLES,
    Answer,
    Button,
    Category,
    Entry,
    Problem,
)
from xiaoer.storeapi.contract import ORDER_STATUSES

ENTRY_ID = re.compile(r"^[a-z][a-z0-9_]*$")
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FILE_KEYS = {"category": True, "title": False, "intent": True, "entries": True}
ENTRY_KEYS = {"id": True, "question": True, "variants": True, "answers": True}
CONDITION_KEYS = ("valid_from", "valid_until", "order_status")
# What each style reads besides buttons and conditions; "required" ones must be there.
STYLE_FIELDS: Dict[str, Dict[str, bool]] = {
    "text": {"text": True},
    "folded": {"summary": True, "detail": True, "text": False},
    "image": {"text": True, "image_url": True},
    "video": {"text": True, "video_url": True, "poster_url": False},
    "screenshot": {"text": True, "image_url": False},
    "multi": {"messages": True, "text": False},
}
URL_FIELDS = ("image_url", "video_url", "poster_url")


class _Reader(NodeReader):
    # --- node helpers ---------------------------------------------------------------------------

    def mapping(self, node: Node, what: str, keys: Dict[str, bool]) -> Dict[str, Tuple[Node, Node]] | None:
        """A mapping's entries by key, with unknown, duplicate and missing keys reported."""
        if not isinstance(node, MappingNode):
            self.fail(node, f"{what} must be a mapping")
            return None
        found: Dict[str, Tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key not in keys:
                allowed = ", ".join(keys)
                self.fail(key_node, f"unknown key {key!r} in {what} (allowed: {allowed})")
                continue
            if key in found:
                self.fail(key_node, f"duplicate key {key!r} in {what}")
                continue
            found[key] = (key_node, value_node)
        for key, required in keys.items():
            if required and key not in found:
                self.fail(node, f"{what} is missing {key!r}")
        return found

    def string(self, node: Node, what: str, single_line: bool = False) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.fail(node, f"{what} must be text")
            return None
        text = str(node.value).strip()
        if not text:
            self.fail(node, f"{what} is empty")
            return None
        if single_line and "\n" in text:
            self.fail(node, f"{what} must be one line")
            return None
        return text

    def sequence(self, node: Node, what: str) -> List[Node] | None:
        if not isinstance(node, SequenceNode):
            self.fail(node, f"{what} must be a list")
            return None
        return list(node.value)

    def moment(self, node: Node, what: str) -> datetime | None:
        text = self.string(node, what)
        if text is None:
            return None
        try:
            # Python 3.10's fromisoformat does not take "Z"; YAML may write a space for "T".
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(node, f"{what} {text!r} is not an ISO 8601 date-time such as 2026-11-01T00:00:00+08:00")
            return None
        if value.tzinfo is None:
            self.fail(node, f"{what} {text!r} needs a UTC offset, such as +08:00")
            return None
        return value

    def placeholders(self, node: Node, text: str, what: str) -> None:
        for name in PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                allowed = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                self.fail(node, f"unknown placeholder {{{name}}} in {what} (allowed: {allowed})")

    # --- the file -------------------------------------------------------------------------------

    def read(self) -> Category | None:
        root = self.compose()
        if root is None:
            return None
        fields = self.mapping(root, "the file", FILE_KEYS)
        if fields is None:
            return None
        before = len(self.problems)
        name = intent = title = None
        if "category" in fields:
            name = self.string(fields["category"][1], "category")
            if name is not None and name != self.path.stem:
                self.fail(
                    fields["category"][1], f"category {name!r} must equal the file name {self.path.stem!r}"
                )
        if "title" in fields:
            title = self.string(fields["title"][1], "title")
        if "intent" in fields:
            intent = self.string(fields["intent"][1], "intent")
            if intent is not None and not INTENT_NAME.match(intent):
                self.fail(fields["intent"][1], f"intent {intent!r} must be snake_case, like ask_installation")
        entries: List[Entry] = []
        if "entries" in fields:
            nodes = self.sequence(fields["entries"][1], "entries")
            if nodes is not None and not nodes:
                self.fail(fields["entries"][1], "entries is empty")
            for number, node in enumerate(nodes or [], start=1):
                entry = self.entry(node, number, intent or "", name or self.path.stem)
                if entry is not None:
                    entries.append(entry)
        if len(self.problems) > before or name is None or intent is None:
            return None
        return Category(
            name=name,
            title=title or name,
            intent=intent,
            entries=tuple(entries),
            path=self.label,
            line=root.start_mark.line + 1,
            intent_line=fields["intent"][1].start_mark.line + 1,
        )

    def entry(self, node: Node, number: int, intent: str, category: str) -> Entry | None:
        fields = self.mapping(node, f"entry {number}", ENTRY_KEYS)
        if fields is None:
            return None
        before = len(self.problems)
        entry_id = None
        if "id" in fields:
            entry_id = self.string(fields["id"][1], f"entry {number}'s id")
            if entry_id is not None and not ENTRY_ID.match(entry_id):
                self.fail(fields["id"][1], f"id {entry_id!r} must be English snake_case, like wall_mount_fee")
        where = f"entry {entry_id or number}"
        question = (
            self.string(fields["question"][1], f"{where}'s question", True) if "question" in fields else None
        )
        variants: List[str] = []
        if "variants" in fields:
            for variant_node in self.sequence(fields["variants"][1], f"{where}'s variants") or []:
                variant = self.string(variant_node, f"a variant of {where}", True)
                if variant is not None:
                    variants.append(variant)
        answers: List[Answer] = []
        if "answers" in fields:
            nodes = self.sequence(fields["answers"][1], f"{where}'s answers")
            if nodes is not None and not nodes:
                self.fail(fields["answers"][1], f"{where} has no answers")
            for answer_node in nodes or []:
                answer = self.answer(answer_node, where, nested=False)
                if answer is not None:
                    answers.append(answer)
        if len(self.problems) > before or entry_id is None or question is None:
            return None
        return Entry(
            id=entry_id,
            question=question,
            variants=tuple(variants),
            answers=tuple(answers),
            intent=intent,
            category=category,
            path=self.label,
            line=node.start_mark.line + 1,
        )

    def answer(self, node: Node, where: str, nested: bool) -> Answer | None:
        what = f"a message of {where}'s multi answer" if nested else f"an answer of {where}"
        every = {"style": False, "buttons": False}
        for fields_of_style in STYLE_FIELDS.values():
            every.update({k: False for k in fields_of_style})
        every.update({k: False for k in CONDITION_KEYS})
        fields = self.mapping(node, what, every)
        if fields is None:
            return None
        before = len(self.problems)
        style = "text"
        if "style" in fields:
            style = self.string(fields["style"][1], f"style of {what}") or "text"
            if style not in STYLES:
                self.fail(fields["style"][1], f"unknown style {style!r} (allowed: {', '.join(STYLES)})")
                return None
        if nested and style == "multi":
            self.fail(fields["style"][1], "a multi answer's messages cannot be multi themselves")
            return None
        wanted = STYLE_FIELDS[style]
        values: Dict[str, Any] = {"style": style, "line": node.start_mark.line + 1}
        for key, (key_node, value_node) in fields.items():
            if key in ("style", "buttons"):
                continue
            if key in CONDITION_KEYS:
                if nested:
                    self.fail(key_node, f"{key!r}: the messages of a multi answer take no conditions")
                continue
            if key not in wanted:
                self.fail(key_node, f"{key!r} is not used by style {style!r} (it reads: {', '.join(wanted)})")
                continue
            if key == "messages":
                continue
            text = self.string(value_node, f"{key} of {what}")
            if text is None:
                continue
            if key in URL_FIELDS and not re.match(r"^(https?://|/)\S+$", text):
                self.fail(value_node, f"{key} {text!r} must be an http(s) URL or a path")
            if key not in URL_FIELDS:
                self.placeholders(value_node, text, f"{key} of {what}")
            values[key] = text
        for key, required in wanted.items():
            if required and key not in fields:
                self.fail(node, f"{what} (style {style!r}) is missing {key!r}")
        if "messages" in fields and "messages" in wanted:
            messages = []
            nodes = self.sequence(fields["messages"][1], f"messages of {what}")
            if nodes is not None and len(nodes) < 2:
                self.fail(fields["messages"][1], "a multi answer needs at least two messages")
            for message_node in nodes or []:
                message = self.answer(message_node, where, nested=True)
                if message is not None:
                    messages.append(message)
            values["messages"] = tuple(messages)
        if "buttons" in fields:
            values["buttons"] = tuple(self.buttons(fields["buttons"][1], what))
        if not nested:
            if "valid_from" in fields:
                values["valid_from"] = self.moment(fields["valid_from"][1], "valid_from")
            if "valid_until" in fields:
                values["valid_until"] = self.moment(fields["valid_until"][1], "valid_until")
            if "order_status" in fields:
                values["order_status"] = self.statuses(fields["order_status"][1])
        if len(self.problems) > before:
            return None
        return Answer(**values)

    def buttons(self, node: Node, what: str) -> List[Button]:
        buttons = []
        for button_node in self.sequence(node, f"buttons of {what}") or []:
            fields = self.mapping(button_node, "a button", {"title": True, "payload": True})
            if fields is None or len(fields) < 2:
                continue
            title = self.string(fields["title"][1], "a button's title", True)
            payload = self.string(fields["payload"][1], "a button's payload", True)
            if title is not None and payload is not None:
                buttons.append(Button(title, payload))
        return buttons

    def statuses(self, node: Node) -> Tuple[str, ...]:
        items = [node] if isinstance(node, ScalarNode) else self.sequence(node, "order_status")
        statuses = []
        if items is not None and not items:
            self.fail(node, "order_status is empty")
        for item in items or []:
            status = self.string(item, "an order_status")
            if status is None:
                continue
            if status not in ORDER_STATUSES:
                self.fail(item, f"unknown order status {status!r} (allowed: {', '.join(ORDER_STATUSES)})")
                continue
            statuses.append(status)
        return tuple(statuses)


def load_file(path: Path, label: str | None = None) -> Tuple[Category | None, List[Problem]]:
    """One knowledge file: its category, or None and the problems that stop it."""
    reader = _Reader(Path(path), label or str(path))
    category = reader.read()
    return category, sorted(reader.problems, key=lambda p: p.line)


def knowledge_files(directory: Path) -> List[Path]:
    return sorted(p for p in Path(directory).glob("*.yml") if p.is_file())


def load_dir(directory: Path, root: Path | None = None) -> Tuple[List[Category], List[Problem]]:
    """Every knowledge/*.yml; labels are relative to root when given (as trainers see them)."""
    categories: List[Category] = []
    problems: List[Problem] = []
    for path in knowledge_files(directory):
        label = _label(path, root)
        category, found = load_file(path, label)
        problems.extend(found)
        if category is not None:
            categories.append(category)
    return categories, problems


def _label(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)
