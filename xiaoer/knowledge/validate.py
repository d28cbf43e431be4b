"""Checks across entries and files that a single file's reader cannot make."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

from xiaoer.knowledge.model import Category, Problem, normalise

MIN_VARIANTS = 8


def domain_intents(domain_path: Path) -> set[str]:
    domain = yaml.safe_load(Path(domain_path).read_text(encoding="utf-8")) or {}
    names = set()
    for item in domain.get("intents") or []:
        names.update(item.keys() if isinstance(item, dict) else [item])
    return names


def validate(categories: Iterable[Category], known_intents: Iterable[str] | None = None) -> List[Problem]:
    """Problems across the loaded categories; known_intents are the domain's (None: not checked)."""
    categories = list(categories)
    known = set(known_intents) if known_intents is not None else None
    problems: List[Problem] = []
    intents: Dict[str, Category] = {}
    ids: Dict[str, Tuple[str, int]] = {}
    examples: Dict[str, Tuple[str, str, int]] = {}  # normalised text → (entry id, path, line)

    for category in categories:
        if known is not None and category.intent not in known:
            problems.append(
                Problem(
                    category.path,
                    category.intent_line,
                    f"intent {category.intent!r} is not an intent in domain.yml",
                )
            )
        if category.intent in intents:
            other = intents[category.intent]
            problems.append(
                Problem(
                    category.path,
                    category.intent_line,
                    f"intent {category.intent!r} is already used by {other.path}",
                )
            )
        intents.setdefault(category.intent, category)

        for entry in category.entries:
            if entry.id in ids:
                path, line = ids[entry.id]
                problems.append(
                    Problem(entry.path, entry.line, f"duplicate id {entry.id!r} (first at {path}:{line})")
                )
            else:
                ids[entry.id] = (entry.path, entry.line)

            distinct = set()
            for index, text in enumerate((entry.question, *entry.variants)):
                form = normalise(text)
                if not form:
                    problems.append(
                        Problem(entry.path, entry.line, f"entry {entry.id!r} has an empty variant")
                    )
                    continue
                if form in examples:
                    other_id, path, line = examples[form]
                    where = (
                        "twice in this entry"
                        if (other_id, path, line) == (entry.id, entry.path, entry.line)
                        else f"also in entry {other_id!r} ({path}:{line})"
                    )
                    problems.append(
                        Problem(
                            entry.path, entry.line, f"entry {entry.id!r}: duplicate variant {text!r}, {where}"
                        )
                    )
                    continue
                examples[form] = (entry.id, entry.path, entry.line)
                if index > 0:
                    distinct.add(form)
            if len(distinct) < MIN_VARIANTS:
                problems.append(
                    Problem(
                        entry.path,
                        entry.line,
                        f"entry {entry.id!r} has {len(distinct)} distinct variants; at least {MIN_VARIANTS} are needed",
                    )
                )

            if not entry.answers:
                problems.append(Problem(entry.path, entry.line, f"entry {entry.id!r} has no answers"))
            for answer in entry.answers:
                if answer.valid_from and answer.valid_until and answer.valid_from >= answer.valid_until:
                    problems.append(
                        Problem(
                            entry.path,
                            answer.line,
                            f"entry {entry.id!r}: valid_from is not before valid_until",
                        )
                    )
                for button in answer.buttons + tuple(b for m in answer.messages for b in m.buttons):
                    target = _payload_intent(button.payload)
                    if known is not None and target is not None and target not in known:
                        problems.append(
                            Problem(
                                entry.path,
                                answer.line,
                                f"entry {entry.id!r}: button {button.title!r} triggers unknown intent {target!r}",
                            )
                        )
    return sorted(problems, key=lambda p: (p.path, p.line, p.reason))


def _payload_intent(payload: str) -> str | None:
    """'/ask_installation{"x":1}' → 'ask_installation'; plain text payloads name no intent."""
    if not payload.startswith("/"):
        return None
    return payload[1:].split("{", 1)[0].strip() or None
