"""Domain relevance (issue 9): is this message about the store at all?

DIET always names the nearest intent, so a recipe or a train timetable used to get a store answer
("怎么做炸鸡" → delivery). This component measures how close a message is to the store's own
training data: the best character n-gram TF-IDF cosine to any example of a store intent, and the
same to the out_of_scope examples. A message that names something of the store (a product, an
order number, a SKU, a category, an attribute: an entity from the regex, lookup or catalogue
extractors) is in the domain whatever its words.

- Top intent a store intent, no store entity, in-domain similarity under `min_relevance` and no
  higher than the out-of-scope similarity: the intent becomes out_of_scope (confidence
  1 - in-domain similarity), so the buyer gets the out-of-scope answer, not a wrong store answer.
- Top intent out_of_scope and no store entity with in-domain similarity under `min_relevance`:
  its confidence is raised to 1 - in-domain similarity, so routing answers it (the out-of-scope
  answer offers 转人工) instead of queueing an agent for a weather question.

Conversational intents (greet, thank, affirm…) are left alone: they belong to every domain; so
is a message with nothing to act on (blank, emoji, markup, Latin gibberish), which routing asks
the buyer to rephrase.
Every parse carries `relevance`: the two similarities, whether a store entity was found, and
what was done. Runs after the entity extractors and before routing.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Tuple

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from xiaoer import tfidf
from xiaoer.nlu.routing import CONVERSATIONAL
from xiaoer.nlu.stored import StoredComponent
from xiaoer.text import has_content, is_markup, normalize_text

logger = logging.getLogger(__name__)

RELEVANCE_KEY = "relevance"
OUT_OF_SCOPE = "out_of_scope"


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1)


def _text(message: Message) -> str:
    return normalize_text(str(message.get(TEXT) or ""))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DomainRelevance(StoredComponent, IntentClassifier):
    FILE = "relevance.joblib"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # Intents of any conversation, not of the store: never relabelled, not in-domain text.
        return {
            "min_relevance": 0.35,
            "conversational_intents": [i for i in CONVERSATIONAL if i != OUT_OF_SCOPE],
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_relevance = float(self.config["min_relevance"])
        self.conversational = set(self.config["conversational_intents"]) | {OUT_OF_SCOPE}
        self._transposed: Tuple[Any, Dict[str, Any]] = (None, {})

    @property
    def index(self) -> Dict[str, Any] | None:
        return self.state

    @property
    def _by_ngram(self) -> Dict[str, Any]:
        """The examples' vectors by n-gram (the stored matrices transposed, row-major): a message's
        few n-grams pick their rows, where `examples @ message.T` went through every example.
        Half the time a message, the same cosines. Made once per state (training sets a new one)."""
        made_for, matrices = self._transposed
        if made_for is not self.state:
            matrices = (
                {name: self.state[name].T.tocsr() for name in ("store", "outside")} if self.state else {}
            )
            self._transposed = (self.state, matrices)
        return matrices

    # --- training ----------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        store, outside = [], []
        for example in training_data.intent_examples:
            intent = str(example.get(INTENT) or "").split("/")[0]
            text = _text(example)
            if not text:
                continue
            if intent == OUT_OF_SCOPE:
                outside.append(text)
            elif intent not in self.conversational:
                store.append(text)
        if not store or not outside:
            logger.warning("domain relevance: no store or no out_of_scope examples; it will not act")
            return self.save(None)
        vectorizer = _vectorizer().fit(store + outside)
        return self.save(
            {
                "vectorizer": vectorizer,
                "store": vectorizer.transform(store),
                "outside": vectorizer.transform(outside),
            }
        )

    # --- prediction --------------------------------------------------------------------

    def similarities(self, text: str) -> tuple[float, float]:
        """(best cosine to a store example, best cosine to an out-of-scope example)."""
        if not self.index or not text:
            return 0.0, 0.0
        vector = tfidf.transform(self.index["vectorizer"], [text])
        store = (vector @ self._by_ngram["store"]).toarray()
        outside = (vector @ self._by_ngram["outside"]).toarray()
        return float(np.max(store, initial=0.0)), float(np.max(outside, initial=0.0))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name = intent.get(INTENT_NAME_KEY)
            raw = str(message.get(TEXT) or "")
            if not name or not self.index or not has_content(raw) or is_markup(raw):
                continue  # nothing to act on: routing asks the buyer to rephrase (band unclear)
            in_domain, outside = self.similarities(_text(message))
            # DIET's own entity guesses are not evidence: it tags something in most messages.
            entities = any(e.get("extractor") != "DIETClassifier" for e in message.get(ENTITIES) or [])
            action = "none"
            unfamiliar = not entities and in_domain < self.min_relevance
            if unfamiliar and name not in self.conversational and outside >= in_domain:
                action = "out_of_scope"
                self._promote(message, 1.0 - in_domain)
            elif unfamiliar and name == OUT_OF_SCOPE:
                confidence = float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                if confidence < 1.0 - in_domain:
                    action = "confident_out_of_scope"
                    self._promote(message, 1.0 - in_domain)
            message.set(
                RELEVANCE_KEY,
                {
                    "in_domain": round(in_domain, 4),
                    "out_of_scope": round(outside, 4),
                    "store_entities": entities,
                    "action": action,
                },  # fmt: skip
                add_to_output=True,
            )
        return messages

    @staticmethod
    def _promote(message: Message, confidence: float) -> None:
        """out_of_scope at `confidence` on top; the rest of the ranking stays as it was."""
        top = {INTENT_NAME_KEY: OUT_OF_SCOPE, PREDICTED_CONFIDENCE_KEY: confidence}
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != OUT_OF_SCOPE]
        message.data[INTENT] = dict(top)
        message.data[INTENT_RANKING_KEY] = [dict(top), *ranking]
