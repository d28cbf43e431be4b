"""Which knowledge-base entry a message asks: a linear model over the entries' variants.

Rasa's ResponseSelector is a DIET model of its own, one per retrieval intent: eight of them made
up most of the model (2.3 GB per Rasa process), a third of a message's time and 95 s of every
training. A logistic regression on character n-grams of the same examples (xiaoer.nlu.linear)
picks the entry as well once the FAQ ranker blends in the lexical score, and reads buyers' own
wordings better (docs/nlu-tuning.md): it replaces them.

For each retrieval intent among the top `gate_top` intents of the ranking (the predicted one, and
the runner-ups agent assist drafts for), the message gets Rasa's `response_selector` output:
that intent's entries, their probabilities rescaled to sum to 1 (the intent is given), best
first. Actions, agent assist, evaluation and the FAQ ranker read it as they read the
ResponseSelector's.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Tuple

from rasa.engine.graph import GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from xiaoer.nlu.linear import RANKING_LENGTH, fit, fit_ahead, normalized_text, probabilities, within
from xiaoer.nlu.stored import StoredComponent

logger = logging.getLogger(__name__)

GATE_TOP = "gate_top"


def intents_in_view(message: Message, top: int) -> List[str]:
    """The message's top intents, best first (the predicted one when there is no ranking)."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    names = [r.get(INTENT_NAME_KEY) for r in ranking[:top] if r.get(INTENT_NAME_KEY)]
    if names:
        return names
    intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    return [intent] if intent else []


def selection(entries: Dict[str, float]) -> Dict[str, Any]:
    """Rasa's response-selector output for one retrieval intent, from its entries' probabilities."""
    ranked = sorted(entries.items(), key=lambda item: (-item[1], item[0]))[:RANKING_LENGTH]
    best, confidence = ranked[0]
    return {
        RESPONSE_SELECTOR_PREDICTION_KEY: {
            RESPONSE_SELECTOR_RESPONSES_KEY: [],  # answers are read from knowledge/ by action_faq
            PREDICTED_CONFIDENCE_KEY: confidence,
            INTENT_RESPONSE_KEY: best,
            RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best}",
        },
        RESPONSE_SELECTOR_RANKING_KEY: [
            {"id": None, PREDICTED_CONFIDENCE_KEY: c, INTENT_RESPONSE_KEY: k} for k, c in ranked
        ],
    }


def entry_examples(training_data: TrainingData) -> Tuple[List[str], List[str]]:
    """The entry selector's texts and labels: each variant's normalised text and its entry."""
    texts, labels = [], []
    for example in training_data.intent_examples:
        text, key = normalized_text(example), example.get(INTENT_RESPONSE_KEY)
        if text and key:
            texts.append(text)
            labels.append(str(key))
    return texts, labels


def start_entry_fits(graph: GraphSchema | None, training_data: TrainingData) -> None:
    """Start the fit of every entry selector the training graph trains (`fit_ahead`)."""
    if graph is None:
        return
    texts, labels = entry_examples(training_data)
    if len(set(labels)) < 2:
        return
    for node in graph.nodes.values():
        if node.uses is LinearResponseSelector and node.fn == "train":
            fit_ahead(texts, labels, {**LinearResponseSelector.get_default_config(), **node.config})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearResponseSelector(StoredComponent, IntentClassifier):
    """Place after the intent classifiers and before the FAQ ranker."""

    FILE = "entries.joblib"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"C": 10.0, "min_ngram": 1, "max_ngram": 3, "tol": 1e-2, GATE_TOP: 3}

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = entry_examples(training_data)
        if len(set(labels)) < 2:
            logger.warning("entry selector: fewer than two knowledge entries to learn; it will not act")
            return self.save(None)
        return self.save(fit(texts, labels, self.config))

    @property
    def retrieval_intents(self) -> List[str]:
        return sorted({str(key).split("/")[0] for key in self.state["model"].classes_}) if self.state else []

    def process(self, messages: List[Message]) -> List[Message]:
        known = set(self.retrieval_intents)
        top = int(self.config[GATE_TOP])
        chosen = [
            (m, wanted)
            for m in messages
            if normalized_text(m) and (wanted := [i for i in intents_in_view(m, top) if i in known])
        ]
        if not chosen:
            return messages
        texts = [normalized_text(m) for m, _ in chosen]
        for (message, wanted), entries in zip(chosen, probabilities(self.state, texts), strict=True):
            output = {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: self.retrieval_intents}
            for intent in wanted:
                mine = within(entries, intent)
                if mine:
                    output[intent] = selection(mine)
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME, output, add_to_output=True)
        return messages
