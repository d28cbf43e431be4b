"""Missed questions as live conversations (written through Rasa's SQL tracker store), a project
copy to edit, and a model fake that knows exactly the project's training data. Shared by the
console's trainer tests and the trainer pages' browser test."""

from __future__ import annotations

import shutil
from pathlib import Path

from xiaoer.logmask import mask
from xiaoer.text import compact
from xiaoer.trainer.references import knowledge_references, nlu_references

ROOT = Path(__file__).resolve().parents[2]
PRICE_DROP = ["买了隔天就降价怎么处理", "买了第二天就降价怎么处理"]
PHONE_TEXT = "买了就降价怎么处理 电话13812345678"


class LearningModel:
    """Stands in for Rasa's /model/parse: knows exactly the texts in the project's training data
    as it is when asked (what a retrain on that data would learn), and nothing else."""

    def __init__(self, project: Path) -> None:
        self.project = project

    def __call__(self, text: str) -> dict:
        known = nlu_references(self.project / "data" / "nlu") + knowledge_references(
            self.project / "knowledge"
        )
        for reference in known:
            if compact(reference.text) == compact(mask(text)):
                return {"intent": {"name": reference.name, "confidence": 0.95}, "routing": {"band": "answer"}}
        return {"intent": {"name": "nlu_fallback", "confidence": 0.3}, "routing": {"band": "unclear"}}


def conversation(text: str, at: float) -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    return [
        ActionExecuted("action_listen", timestamp=at),
        UserUttered(text, {"name": "nlu_fallback", "confidence": 0.3}, timestamp=at + 1),
        ActionExecuted("action_fallback", timestamp=at + 2),
        BotUttered("抱歉，小二没太明白", {}, {"utter_action": "utter_default"}, timestamp=at + 3),
    ]


def copy_project(root: Path) -> Path:
    """data/nlu, knowledge/ and domain.yml copied under root: the trainer pages edit the copy."""
    shutil.copytree(ROOT / "data" / "nlu", root / "data" / "nlu")
    shutil.copytree(ROOT / "knowledge", root / "knowledge")
    shutil.copy(ROOT / "domain.yml", root / "domain.yml")
    return root
