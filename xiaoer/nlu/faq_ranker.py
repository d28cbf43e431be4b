"""Which knowledge-base entry a question asks: the entry selector's ranking blended with the
question's lexical similarity to each entry's questions and variants in knowledge/.

The entry selector (xiaoer.nlu.selectors.LinearResponseSelector, or Rasa's ResponseSelector)
knows what it was trained on; the lexical side (xiaoer.knowledge.lexical)
reads knowledge/ as it is now, reloaded when a file changes, so a variant a trainer adds is
matched on the next message (word for word at once; similar wordings where the selector is
unsure), before the next `rasa train`. On the held-out set the blend picked the
right entry more often than either side alone (docs/evaluation.md).

For each retrieval intent in `response_selector`, an entry scores
``selector_weight * selector confidence + (1 - selector_weight) * lexical score``, or its lexical
score when the message is one of its questions word for word; the best becomes the response and
the ranking is re-ordered. The selector's own ranking stays under
``selector_ranking`` so evaluation and trainers can compare.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from xiaoer.knowledge.lexical import LexicalMatcher
from xiaoer.knowledge.model import Knowledge
from xiaoer.knowledge.repository import KnowledgeRepository
from xiaoer.settings import NluSettings

logger = logging.getLogger(__name__)

SELECTOR_RANKING_KEY = "selector_ranking"
RANKING_LENGTH = 10
DEFAULT_SELECTOR = RESPONSE_SELECTOR_DEFAULT_INTENT
EXACT = 0.99  # lexical cosine of a message equal to a question or variant


class LexicalIndex:
    """One lexical matcher per retrieval intent, built from one version of the knowledge."""

    def __init__(self, knowledge: Knowledge) -> None:
        questions: Dict[str, List[tuple[str, str]]] = {}
        self.questions: Dict[str, str] = {}
        for category in knowledge.categories:
            for entry in category.entries:
                self.questions[entry.key] = entry.question
                for text in (entry.question, *entry.variants):
                    questions.setdefault(entry.intent, []).append((text, entry.key))
        self._questions = questions
        self.matchers: Dict[str, LexicalMatcher | None] = {}

    def matcher(self, intent: str) -> LexicalMatcher | None:
        """The intent's matcher, fitted on first use: a single selector for every retrieval intent
        reports under "default" and is matched over all entries."""
        if intent not in self.matchers:
            if intent == DEFAULT_SELECTOR:
                pairs = [pair for pairs in self._questions.values() for pair in pairs]
            else:
                pairs = self._questions.get(intent, [])
            try:
                self.matchers[intent] = LexicalMatcher(pairs)
            except ValueError:
                self.matchers[intent] = None  # no usable question text: the selector alone decides
        return self.matchers[intent]

    def scores(self, intent: str, text: str) -> Dict[str, float]:
        matcher = self.matcher(intent)
        return matcher.scores(text) if matcher is not None else {}


def blend(
    selector: Dict[str, Any], lexical: Dict[str, float], weight: float, questions: Dict[str, str]
) -> Dict[str, Any]:
    """The selector's output for one retrieval intent, re-ranked by the blended score."""
    ranking = selector.get(RESPONSE_SELECTOR_RANKING_KEY) or []
    confidence = {
        str(r.get(INTENT_RESPONSE_KEY)): float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        for r in ranking
        if r.get(INTENT_RESPONSE_KEY)
    }
    # Entries the knowledge no longer has cannot be answered; new ones the selector never saw can.
    keys = [k for k in confidence if not questions or k in questions]
    keys += [k for k in lexical if k not in confidence]
    if not keys:
        return selector
    score = {k: weight * confidence.get(k, 0.0) + (1 - weight) * lexical.get(k, 0.0) for k in keys}
    for key in keys:
        # The buyer typed one of the entry's questions (after normalisation): that entry, even
        # if the selector, trained before the variant was added, is sure of another.
        if lexical.get(key, 0.0) >= EXACT:
            score[key] = max(score[key], lexical[key])
    ordered = sorted(keys, key=lambda k: -score[k])[:RANKING_LENGTH]
    ids = {str(r.get(INTENT_RESPONSE_KEY)): r.get("id") for r in ranking}
    best = ordered[0]
    original = selector.get(RESPONSE_SELECTOR_PREDICTION_KEY) or {}
    responses = (
        original.get(RESPONSE_SELECTOR_RESPONSES_KEY) if original.get(INTENT_RESPONSE_KEY) == best else None
    )
    responses = responses or [{TEXT: questions.get(best, best)}]
    return {
        **selector,
        RESPONSE_SELECTOR_PREDICTION_KEY: {
            **original,
            RESPONSE_SELECTOR_RESPONSES_KEY: responses,
            PREDICTED_CONFIDENCE_KEY: score[best],
            INTENT_RESPONSE_KEY: best,
            RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best}",
        },
        RESPONSE_SELECTOR_RANKING_KEY: [
            {"id": ids.get(k), PREDICTED_CONFIDENCE_KEY: score[k], INTENT_RESPONSE_KEY: k} for k in ordered
        ],
        SELECTOR_RANKING_KEY: ranking,
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FaqRanker(GraphComponent):
    """Re-ranks the entry selectors' entries; place after them in the pipeline."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"selector_weight": 0.5, "knowledge_dir": None}

    def __init__(self, config: Dict[str, Any], repository: KnowledgeRepository | None = None) -> None:
        weight = float(config.get("selector_weight", 0.5))
        self.selector_weight = min(1.0, max(0.0, weight))
        directory = config.get("knowledge_dir") or NluSettings().knowledge_dir
        self.repository = repository or KnowledgeRepository(Path(directory))
        self._index: LexicalIndex | None = None
        self._indexed: Knowledge | None = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqRanker:
        # Settings only: knowledge/ is first read when a message arrives.
        return cls(config)

    def index(self) -> LexicalIndex | None:
        """The lexical index of the knowledge as it is now (rebuilt only after a file changed)."""
        try:
            knowledge = self.repository.current()
        except Exception:  # never lose a parse over the knowledge files
            logger.exception("FAQ ranker: knowledge could not be read; the selectors decide alone")
            return self._index
        if knowledge is not self._indexed:
            self._index, self._indexed = LexicalIndex(knowledge), knowledge
        return self._index

    def process(self, messages: List[Message]) -> List[Message]:
        if self.selector_weight >= 1.0:
            return messages
        selectors_seen = [m for m in messages if m.get(RESPONSE_SELECTOR_PROPERTY_NAME)]
        index = self.index() if selectors_seen else None
        if index is None:
            return messages
        for message in selectors_seen:
            text = message.get(TEXT) or ""
            selectors = dict(message.get(RESPONSE_SELECTOR_PROPERTY_NAME))
            for intent, selector in list(selectors.items()):
                if not isinstance(selector, dict) or RESPONSE_SELECTOR_RANKING_KEY not in selector:
                    continue  # "all_retrieval_intents"
                lexical = index.scores(intent, text)
                if lexical:
                    selectors[intent] = blend(selector, lexical, self.selector_weight, index.questions)
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)
        return messages
