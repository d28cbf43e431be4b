"""What the 训练师 pages do: mine misses, show a conversation masked, and turn selected messages
into training data (docs/trainer.md). Every edit is previewed as a diff before it is written."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict

from xiaoer.knowledge.build import Paths, build
from xiaoer.knowledge.loader import load_dir
from xiaoer.logmask import mask
from xiaoer.rasa_ext.trackers import TrackerReader
from xiaoer.trainer.edits import Edit, EditRefused, add_examples, add_variants, new_entry
from xiaoer.trainer.mining import MiningSources, churn, mine
from xiaoer.trainer.references import nlu_references

logger = logging.getLogger(__name__)

MAX_SINCE = timedelta(days=31)
# What to run after each kind of edit (docs/nlu-tuning.md: finetuning takes minutes, not a full train).
RETRAIN = {
    "examples": "make finetune",
    "variants": "make knowledge && make finetune",
    "entry": "make knowledge && make train",
}


class TrainingUnavailable(Exception):
    """The tracker store or the model could not be read: the message says which."""


@dataclass
class Project:
    root: Path
    nlu_data_dir: Path
    knowledge_dir: Path

    @property
    def domain(self) -> Path:
        return self.root / "domain.yml"

    def faq_paths(self) -> Paths:
        return Paths(self.knowledge_dir, self.nlu_data_dir / "faq", self.domain, self.root)


class TrainingDesk:
    def __init__(self, mining: MiningSources, project: Project) -> None:
        self.mining = mining
        self.project = project
        # One edit at a time: two trainers writing one file would lose one's lines.
        self._writing = threading.Lock()

    # --- reading -------------------------------------------------------------------

    def clusters(self, since: timedelta, again: bool = False) -> Dict[str, Any]:
        if not timedelta(0) < since <= MAX_SINCE:
            raise EditRefused(f"时间范围在 1 分钟到 {MAX_SINCE.days} 天之间")
        end = datetime.now(timezone.utc)
        try:
            return mine(self.mining, end - since, end, again=again)
        except RuntimeError as exc:
            raise TrainingUnavailable(str(exc)) from None

    def churn(self, since: timedelta, window: timedelta) -> Dict[str, Any]:
        """High-churn scenarios of the period (docs/trainer.md)."""
        if not timedelta(0) < since <= MAX_SINCE or not timedelta(0) < window <= MAX_SINCE:
            raise EditRefused(f"时间范围在 1 分钟到 {MAX_SINCE.days} 天之间")
        end = datetime.now(timezone.utc)
        try:
            return churn(self.mining, end - since, end, window)
        except RuntimeError as exc:
            raise TrainingUnavailable(str(exc)) from None

    def targets(self) -> Dict[str, Any]:
        """What selected messages can be added to: intents, knowledge entries and categories."""
        intents = sorted({r.name for r in nlu_references(self.project.nlu_data_dir)})
        categories, _ = load_dir(self.project.knowledge_dir)
        return {
            "intents": intents,
            "entries": [
                {"key": e.key, "question": e.question, "category": c.name}
                for c in categories
                for e in c.entries
            ],
            "categories": [{"name": c.name, "title": c.title} for c in categories],
        }

    def conversation(self, trackers: TrackerReader, conversation_id: str) -> Dict[str, Any] | None:
        """The transcript with phones, addresses and names masked: trainers read it for context,
        they do not serve the buyer."""
        conversation = trackers.conversation(conversation_id)
        if conversation is None:
            return None
        return {
            "conversation_id": conversation.conversation_id,
            "messages": [
                {"role": m.role, "text": mask(m.text), "at": m.at, "agent": m.agent}
                for m in conversation.messages
            ],
        }

    # --- edits ---------------------------------------------------------------------

    def edit(self, kind: str, body: Dict[str, Any], write: bool) -> Dict[str, Any]:
        """The edit's diff; with `write`, also written (and the FAQ training data rebuilt after a
        knowledge edit). EditRefused says why an edit cannot be made."""
        with self._writing:
            change = self._make(kind, body)
            result = {**change.as_dict(), "written": False, "retrain": RETRAIN[kind]}
            if write:
                try:
                    change.apply()
                except PermissionError:
                    raise EditRefused(f"没有写 {change.label} 的权限（控制台以只读方式部署？）") from None
                result["written"] = True
                if kind != "examples":
                    rebuilt = build(self.project.faq_paths())
                    result["rebuilt"] = [os.path.relpath(path, self.project.root) for path in rebuilt]
                logger.info("trainer edit written: %s, %d text(s)", change.label, len(change.added))
            return result

    def _make(self, kind: str, body: Dict[str, Any]) -> Edit:
        project = self.project
        texts = body.get("texts") or []
        if not isinstance(texts, list):
            raise EditRefused("texts 应是文本列表")
        if kind == "examples":
            return add_examples(project.nlu_data_dir, project.root, str(body.get("intent") or ""), texts)
        if kind == "variants":
            return add_variants(
                project.knowledge_dir, project.root, project.domain, str(body.get("key") or ""), texts
            )
        if kind == "entry":
            return new_entry(
                project.knowledge_dir,
                project.root,
                project.domain,
                str(body.get("category") or ""),
                str(body.get("id") or ""),
                str(body.get("question") or ""),
                texts,
                str(body.get("answer") or ""),
            )
        raise EditRefused(f"不认识的操作 {kind}")
