"""A regularised linear intent model on character n-grams, blended with DIET (issue 9).

DIET learns from our examples alone (no pretrained weights can be downloaded here), and on text
nobody here wrote it is often confidently wrong. A logistic regression over character n-gram
TF-IDF of the normalised text is the classic strong baseline for short Chinese text: it leans on
every shared character run, so an unseen wording that shares a few characters with the right
examples still scores. The two are blended after DIET and before the entry selector, which
reads the blended ranking:

    confidence(intent) = weight * linear(intent) + (1 - weight) * DIET(intent)

with two exceptions, both measured in docs/nlu-tuning.md:

- When both models put the same intent first, it keeps DIET's confidence if that is higher. The
  linear model's probabilities are flatter than DIET's (balanced classes over many intents), so
  an even blend alone pulled messages both models agreed on under the answer threshold, into
  the suggest band, where the bot stays silent and queues an agent.
- When the linear model puts out-of-scope first, out-of-scope gets at least the linear model's
  confidence. DIET is confidently wrong on requests that share a few words with a store intent
  ("从我家开车到苏州要多久" reads as delivery time); the character model sees the whole message.
  A store answer to such a request is the one mistake issue 9 rules out.

`weight` 0 leaves DIET's ranking as it is, 1 is the linear model alone. XIAOER_LINEAR_WEIGHT,
read at model load, overrides it without retraining, which is how docs/nlu-tuning.md compares
the three on one trained model. Every parse carries `classifiers`: each model's top intent and
confidence, so a trainer can see which one disagreed.

xiaoer.nlu.selectors.LinearResponseSelector is the same kind of model over knowledge-base entries.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Dict, List, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.utils.extmath import softmax

from xiaoer import tfidf
from xiaoer.nlu.stored import StoredComponent
from xiaoer.settings import NluSettings
from xiaoer.text import normalize_text

logger = logging.getLogger(__name__)

WEIGHT_ENV = "XIAOER_LINEAR_WEIGHT"
CLASSIFIERS_KEY = "classifiers"
RANKING_LENGTH = 10
OUT_OF_SCOPE = "out_of_scope"


# Order and phone numbers: their digits would be most of a short message's n-grams and say
# nothing about the intent ("订单269700000001到哪了" read as order status, not logistics).
_LONG_NUMBER = re.compile(r"\d{5,}")


def normalized_text(message: Message) -> str:
    """What the linear models read: the normalised text, each run of 5+ digits as one "#"."""
    return _LONG_NUMBER.sub("#", normalize_text(str(message.get(TEXT) or "")))


# Fits started ahead of the component that needs them, by what they fit.
_AHEAD: Dict[Tuple[Any, ...], Future] = {}
_AHEAD_POOL: ThreadPoolExecutor | None = None


def _fit_key(texts: List[str], labels: List[str], config: Dict[str, Any]) -> Tuple[Any, ...]:
    params = (config["C"], config["min_ngram"], config["max_ngram"], config.get("tol", 1e-4))
    return (tuple(texts), tuple(labels), *(str(p) for p in params))


def fit_ahead(texts: List[str], labels: List[str], config: Dict[str, Any]) -> None:
    """Start `fit` in a background thread; the next `fit` of the same texts, labels and parameters
    returns its result. scikit-learn's and scipy's work lets go of the GIL for most of a fit, so the
    intent model's and the entry selector's fits side by side take 10 s on 2 cores against 17 s
    one after the other, with the same weights (docs/nlu-tuning.md)."""
    global _AHEAD_POOL
    key = _fit_key(texts, labels, config)
    if key not in _AHEAD:
        _AHEAD_POOL = _AHEAD_POOL or ThreadPoolExecutor(max_workers=1, thread_name_prefix="fit-ahead")
        _AHEAD[key] = _AHEAD_POOL.submit(_fit, list(texts), list(labels), dict(config))


def fit(texts: List[str], labels: List[str], config: Dict[str, Any]) -> Dict[str, Any]:
    """A TF-IDF of character n-grams and an L2-regularised logistic regression over it."""
    ahead = _AHEAD.pop(_fit_key(texts, labels, config), None)
    return ahead.result() if ahead is not None else _fit(texts, labels, config)


def _fit(texts: List[str], labels: List[str], config: Dict[str, Any]) -> Dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(int(config["min_ngram"]), int(config["max_ngram"])),
        sublinear_tf=True,
    )
    # Balanced: out_of_scope and the big intents must not outvote a small intent's examples.
    # newton-cg reaches the same optimum as lbfgs in a third of the time on these features.
    # `tol` 1e-2 stops a few Newton steps earlier than scikit-learn's 1e-4 (docs/nlu-tuning.md).
    model = LogisticRegression(
        C=float(config["C"]),
        class_weight="balanced",
        solver="newton-cg",
        max_iter=1000,
        tol=float(config.get("tol", 1e-4)),
    )
    model.fit(vectorizer.fit_transform(texts), labels)
    return {"vectorizer": vectorizer, "model": model}


def probabilities(state: Dict[str, Any], texts: List[str]) -> List[Dict[str, float]]:
    vectorizer, model = state["vectorizer"], state["model"]
    if not model.coef_.flags["F_CONTIGUOUS"]:
        # sklearn multiplies the texts' sparse rows by coef_.T, and scipy copies a C-ordered coef_
        # for that on every call: 13 ms a message for the entry selector's 173 × 21k weights,
        # 0.05 ms once the weights are stored column-major (the same numbers).
        model.coef_ = np.asfortranarray(model.coef_)
    rows = _predict_proba(model, tfidf.transform(vectorizer, texts))
    return [dict(zip(model.classes_, map(float, row), strict=True)) for row in np.atleast_2d(rows)]


def _predict_proba(model: Any, features: Any) -> np.ndarray:
    """`predict_proba` of a multinomial logistic regression without re-validating the features our
    own vectorizer just made: scikit-learn's steps (the product, the intercept, the softmax) alone.
    Any other model goes through `predict_proba`."""
    multinomial = model.multi_class == "multinomial" or (
        model.multi_class == "auto" and model.classes_.size > 2 and model.solver != "liblinear"
    )
    if not multinomial:
        return model.predict_proba(features)
    return softmax(features @ model.coef_.T + model.intercept_, copy=False)


def blend(
    diet: List[Dict[str, Any]],
    linear: Dict[str, float],
    weight: float,
    out_of_scope: str | None = OUT_OF_SCOPE,
) -> List[Dict[str, Any]]:
    """Both rankings as one, best first; an intent missing from a ranking counts 0 there. An
    intent both models rank first keeps DIET's confidence when the blend would lower it, and
    `out_of_scope` ranked first by the linear model keeps at least the linear confidence."""
    theirs = {r[INTENT_NAME_KEY]: float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for r in diet}
    names = set(theirs) | set(linear)
    scores = {n: weight * linear.get(n, 0.0) + (1.0 - weight) * theirs.get(n, 0.0) for n in names}
    if linear and 0.0 < weight < 1.0:
        linear_first = max(linear.items(), key=lambda item: (item[1], item[0]))[0]
        if diet and diet[0][INTENT_NAME_KEY] == linear_first:
            scores[linear_first] = max(scores[linear_first], theirs[linear_first])
        if linear_first == out_of_scope:
            scores[linear_first] = max(scores[linear_first], linear[linear_first])
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: round(c, 6)} for n, c in ranked]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(StoredComponent, IntentClassifier):
    FILE = "linear.joblib"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "weight": 0.5,  # share of the linear model in the blend
            "C": 100.0,  # inverse L2 regularisation strength (docs/nlu-tuning.md)
            "min_ngram": 1,
            "max_ngram": 4,
            "tol": 1e-2,  # the solver's stopping tolerance: training time (docs/nlu-tuning.md)
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        override = NluSettings().linear_weight  # XIAOER_LINEAR_WEIGHT
        weight = float(self.config["weight"]) if override is None else override
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"linear intent weight must be within 0..1, got {weight}")
        self.weight = weight
        # The training graph, known only when Rasa creates the component to train (not when it
        # loads one, as for finetuning): it tells whether an entry selector trains next.
        self._graph: GraphSchema | None = None

    # --- training ----------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        component = super().create(config, model_storage, resource, execution_context)
        component._graph = execution_context.graph_schema
        return component

    def train(self, training_data: TrainingData) -> Resource:
        # Rasa trains the entry selector right after this model, from the same examples: its fit
        # starts now, beside ours (xiaoer.nlu.selectors).
        from xiaoer.nlu.selectors import start_entry_fits

        start_entry_fits(self._graph, training_data)
        texts, labels = [], []
        for example in training_data.intent_examples:
            text, intent = normalized_text(example), str(example.get(INTENT) or "").split("/")[0]
            if text and intent:
                texts.append(text)
                labels.append(intent)
        if len(set(labels)) < 2:
            logger.warning("linear intent model: fewer than two intents to learn; it will not act")
            return self.save(None)
        return self.save(fit(texts, labels, self.config))

    # --- prediction --------------------------------------------------------------------

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.state:
            return messages
        chosen = [(m, normalized_text(m)) for m in messages if m.get(INTENT) and normalized_text(m)]
        if not chosen:
            return messages
        for (message, _), linear in zip(
            chosen, probabilities(self.state, [t for _, t in chosen]), strict=True
        ):
            diet = message.get(INTENT_RANKING_KEY) or [message.get(INTENT)]
            best = max(linear.items(), key=lambda item: item[1])
            message.set(
                CLASSIFIERS_KEY,
                {
                    "diet": {
                        INTENT_NAME_KEY: diet[0][INTENT_NAME_KEY],
                        PREDICTED_CONFIDENCE_KEY: round(float(diet[0][PREDICTED_CONFIDENCE_KEY]), 4),
                    },
                    "linear": {INTENT_NAME_KEY: best[0], PREDICTED_CONFIDENCE_KEY: round(best[1], 4)},
                    "weight": self.weight,
                },  # fmt: skip
                add_to_output=True,
            )
            if self.weight == 0.0:
                continue
            ranking = blend(diet, linear, self.weight)[:RANKING_LENGTH]
            message.data[INTENT] = dict(ranking[0])
            message.data[INTENT_RANKING_KEY] = ranking
        return messages


def within(entries: Dict[str, float], intent: str) -> Dict[str, float]:
    """The intent's entries, their probabilities rescaled to sum to 1 (the intent is given)."""
    mine = {k: p for k, p in entries.items() if k.startswith(f"{intent}/")}
    total = sum(mine.values())
    return {k: p / total for k, p in mine.items()} if total > 0 else {}
