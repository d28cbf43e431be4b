"""Routing by NLU confidence: the bot answers, an agent gets suggestions, or a human takes over.

Replaces Rasa's FallbackClassifier. Four bands over the top intent's confidence:

- ``answer``   (>= answer threshold, and not ambiguous): the prediction stands, the bot answers.
- ``suggest``  (between the thresholds, or the top two intents closer than the ambiguity
  threshold): the intent becomes ``nlu_fallback``; ``action_fallback`` tells the buyer a
  colleague is checking and pauses the conversation, which then waits in the agent queue
  with suggestions drafted from the original ranking.
- ``handover`` (< suggest threshold): the intent becomes ``nlu_fallback``; ``action_fallback``
  hands over at once.
- ``clarify`` (not answered, and the top two are store intents, the second at least at the
  suggest threshold and within ``clarify_margin`` of the first): ``nlu_fallback``;
  ``action_fallback`` asks which of the two the buyer meant, both as buttons, plus 转人工.
- ``unclear`` (not answered, and the message holds nothing to act on: blank, emoji or markup
  only, Latin words with no Chinese and no order or model number): ``nlu_fallback``;
  ``action_fallback`` asks the buyer to rephrase instead of spending an agent's time on noise.

Like FallbackClassifier, the original ranking stays in ``intent_ranking`` behind the
inserted ``nlu_fallback``. Every parse also carries ``routing``: the band, the original
intent and confidence, and the thresholds in force, so actions, suggestions and metrics
read one decision. Thresholds are read when the model is loaded, from
``XIAOER_ANSWER_THRESHOLD`` / ``XIAOER_SUGGEST_THRESHOLD`` when set, else from config.yml:
a store tunes them by restarting Rasa, without retraining.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from xiaoer.settings import NluSettings
from xiaoer.text import has_content, is_markup

logger = logging.getLogger(__name__)

ROUTING_KEY = "routing"
ANSWER, SUGGEST, HANDOVER, UNCLEAR, CLARIFY = "answer", "suggest", "handover", "unclear", "clarify"
# Intents of any conversation, not questions about the store: never offered as a clarifying choice.
CONVERSATIONAL = ("greet", "goodbye", "thank", "affirm", "deny", "inform", "bot_challenge", "request_human",
                  "complain", "out_of_scope", "nlu_fallback")  # fmt: skip
# Operators move the bands without retraining (read at model load, see xiaoer.settings).
ANSWER_ENV = "XIAOER_ANSWER_THRESHOLD"
SUGGEST_ENV = "XIAOER_SUGGEST_THRESHOLD"


def _threshold(override: float | None, configured: float) -> float:
    """The environment's threshold when it set a usable one (xiaoer.settings), else config.yml's."""
    return float(configured) if override is None else override


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RoutingClassifier(GraphComponent, IntentClassifier):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "answer_threshold": 0.5,
            "suggest_threshold": 0.3,
            "ambiguity_threshold": 0.05,
            "clarify_margin": 0.2,
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        defaults = self.get_default_config()
        overrides = NluSettings()
        self.answer_threshold = _threshold(
            overrides.answer_threshold, config.get("answer_threshold", defaults["answer_threshold"])
        )
        self.suggest_threshold = _threshold(
            overrides.suggest_threshold, config.get("suggest_threshold", defaults["suggest_threshold"])
        )
        if self.suggest_threshold > self.answer_threshold:
            # A suggest threshold above the answer threshold would leave no middle band.
            logger.warning(
                "suggest threshold %s > answer threshold %s; using %s for both",
                self.suggest_threshold,
                self.answer_threshold,
                self.answer_threshold,
            )
            self.suggest_threshold = self.answer_threshold
        self.ambiguity_threshold = float(config.get("ambiguity_threshold", defaults["ambiguity_threshold"]))
        self.clarify_margin = float(config.get("clarify_margin", defaults["clarify_margin"]))
        logger.info(
            "routing bands: answer >= %s, suggest >= %s, ambiguity < %s",
            self.answer_threshold,
            self.suggest_threshold,
            self.ambiguity_threshold,
        )

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RoutingClassifier:
        return cls(config)

    def band(self, message: Message) -> Dict[str, Any]:
        """The routing decision for one parsed message."""
        intent = message.get(INTENT) or {}
        confidence = float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        ranking = message.get(INTENT_RANKING_KEY) or []
        runner_up = float(ranking[1].get(PREDICTED_CONFIDENCE_KEY) or 0.0) if len(ranking) > 1 else 0.0
        ambiguous = confidence - runner_up < self.ambiguity_threshold
        if confidence < self.suggest_threshold:
            band = HANDOVER
        elif confidence < self.answer_threshold or ambiguous:
            band = SUGGEST
        else:
            band = ANSWER
        options = self.choices(ranking) if band == SUGGEST else []
        if options:
            band = CLARIFY
        text = message.get(TEXT) or ""
        # Nothing to act on: ask to rephrase, unless the model is sure of a real reply ("ok" → affirm);
        # "out of scope" is no reading of gibberish.
        nothing = not has_content(text) and (band != ANSWER or intent.get(INTENT_NAME_KEY) == "out_of_scope")
        if nothing or is_markup(text):
            band = UNCLEAR
        decision = {
            "band": band,
            "intent": intent.get(INTENT_NAME_KEY),
            "confidence": confidence,
            "ambiguous": ambiguous,
            "answer_threshold": self.answer_threshold,
            "suggest_threshold": self.suggest_threshold,
        }
        if band == CLARIFY:
            decision["options"] = options
        return decision

    def choices(self, ranking: List[Dict[str, Any]]) -> List[str]:
        """The two store intents to ask the buyer between, or [] when a question would not help."""
        if len(ranking) < 2:
            return []
        first, second = ranking[0], ranking[1]
        names = [first.get(INTENT_NAME_KEY), second.get(INTENT_NAME_KEY)]
        top, runner_up = (float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for r in (first, second))
        if any(not n or n in CONVERSATIONAL or n.startswith("EXTERNAL_") for n in names):
            return []
        if runner_up < self.suggest_threshold or top - runner_up >= self.clarify_margin:
            return []
        return names

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if not intent.get(INTENT_NAME_KEY):
                continue
            routing = self.band(message)
            message.set(ROUTING_KEY, routing, add_to_output=True)
            if routing["band"] == ANSWER:
                continue
            fallback = {
                INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME,
                PREDICTED_CONFIDENCE_KEY: 1.0 - routing["confidence"],
            }
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, [])
            message.data[INTENT_RANKING_KEY].insert(0, dict(fallback))
        return messages
