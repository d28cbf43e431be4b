"""Metrics over held-out predictions. Pure functions over plain data, so tests can hand-make them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Sequence

# Predictions that are not a substantive answer: the NLU gave up, or the message is off-topic.
NON_SUBSTANTIVE_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})


@dataclass(frozen=True)
class Prediction:
    text: str
    gold_intent: str
    predicted_intent: str
    confidence: float
    gold_faq: str | None = None  # the KB entry id, KB messages only
    # intent_response_keys ranked by the gold intent's response selector, best first
    faq_ranking: tuple[str, ...] = field(default_factory=tuple)
    # the same ranked by the response selector alone, before the FAQ ranker blended it
    selector_ranking: tuple[str, ...] = field(default_factory=tuple)
    source: str = ""
    # the classifier's own top intent before a fallback relabelled it (None: same as predicted)
    raw_intent: str | None = None
    raw_confidence: float | None = None


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


def intent_report(predictions: Sequence[Prediction]) -> dict:
    """Per-intent precision/recall/F1/support, accuracy, macro and weighted averages.

    Averages run over the gold intents (those with support). Labels only ever predicted
    (e.g. nlu_fallback) are listed with their count: their errors already lower the recall of
    the gold intents, so they are not averaged in a second time.
    """
    gold = Counter(p.gold_intent for p in predictions)
    predicted = Counter(p.predicted_intent for p in predictions)
    correct = Counter(p.gold_intent for p in predictions if p.gold_intent == p.predicted_intent)
    per_intent = {}
    for intent in sorted(gold):
        precision = _ratio(correct[intent], predicted[intent])
        recall = _ratio(correct[intent], gold[intent])
        per_intent[intent] = {
            "precision": precision,
            "recall": recall,
            "f1": _f1(precision, recall),
            "support": gold[intent],
            "predicted": predicted[intent],
        }
    total = sum(gold.values())
    return {
        "per_intent": per_intent,
        "accuracy": _ratio(sum(correct.values()), total),
        "macro_f1": _ratio(sum(m["f1"] for m in per_intent.values()), len(per_intent)),
        "macro_precision": _ratio(sum(m["precision"] for m in per_intent.values()), len(per_intent)),
        "macro_recall": _ratio(sum(m["recall"] for m in per_intent.values()), len(per_intent)),
        "weighted_f1": _ratio(sum(m["f1"] * m["support"] for m in per_intent.values()), total),
        "support": total,
        "predicted_only": {label: n for label, n in sorted(predicted.items()) if label not in gold},
    }


def confused_pairs(predictions: Sequence[Prediction], top: int = 10, examples: int = 3) -> list[dict]:
    """The most frequent (gold, predicted) mistakes, most frequent first, with example texts."""
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in predictions:
        if p.gold_intent != p.predicted_intent:
            pairs[(p.gold_intent, p.predicted_intent)].append(p.text)
    ranked = sorted(pairs.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [
        {"gold": gold, "predicted": predicted, "count": len(texts), "examples": texts[:examples]}
        for (gold, predicted), texts in ranked[:top]
    ]


def faq_top_k(
    predictions: Sequence[Prediction], ks: Sequence[int] = (1, 3), selector_alone: bool = False
) -> dict:
    """FAQ top-k accuracy over the messages labelled with a KB entry.

    A message is right at k when the top intent is its gold intent AND `<gold intent>/<faq>`
    is among the first k keys of the gold intent's response-selector ranking. The denominator
    is every labelled message, so an intent mistake counts as a FAQ miss.
    `given_intent` is the same over only the messages whose intent was right. `selector_alone`
    reads the response selector's own ranking instead of the model's final one.
    """
    labelled = [p for p in predictions if p.gold_faq]
    intent_right = [p for p in labelled if p.predicted_intent == p.gold_intent]
    result = {"messages": len(labelled), "intent_right": len(intent_right)}

    def ranking(p: Prediction) -> tuple[str, ...]:
        return (p.selector_ranking or p.faq_ranking) if selector_alone else p.faq_ranking

    for k in ks:
        hits = sum(1 for p in intent_right if f"{p.gold_intent}/{p.gold_faq}" in ranking(p)[:k])
        result[f"top{k}"] = _ratio(hits, len(labelled))
        result[f"top{k}_given_intent"] = _ratio(hits, len(intent_right))
    return result


def is_substantive(p: Prediction, threshold: float) -> bool:
    return p.predicted_intent not in NON_SUBSTANTIVE_INTENTS and p.confidence >= threshold


def trigger_rate(predictions: Sequence[Prediction], threshold: float) -> dict:
    """Answer trigger rate: share of in-scope buyer messages that get a substantive answer.

    Substantive: the predicted intent is not nlu_fallback/out_of_scope and its confidence is at
    least the configured fallback threshold. In-scope: the gold intent is not out_of_scope (an
    off-topic message should not be answered). `all_messages` uses every message as the
    denominator; `correct` counts only substantive answers with the right intent.
    """
    in_scope = [p for p in predictions if p.gold_intent != "out_of_scope"]
    triggered = [p for p in in_scope if is_substantive(p, threshold)]
    all_triggered = [p for p in predictions if is_substantive(p, threshold)]
    return {
        "threshold": threshold,
        "in_scope_messages": len(in_scope),
        "triggered": len(triggered),
        "rate": _ratio(len(triggered), len(in_scope)),
        "correct": _ratio(sum(1 for p in triggered if p.predicted_intent == p.gold_intent), len(in_scope)),
        "all_messages": _ratio(len(all_triggered), len(predictions)),
    }


def threshold_sweep(predictions: Sequence[Prediction], thresholds: Sequence[float]) -> list[dict]:
    """What another answer threshold would give, without retraining (XIAOER_ANSWER_THRESHOLD).

    Uses the classifier's own top intent and confidence (before any fallback relabelling; the
    ambiguity rule is not replayed). Per threshold: the trigger rate over in-scope messages and
    the precision of the answers (share of triggered messages, off-topic ones included, whose
    intent is right).
    """
    in_scope = [p for p in predictions if p.gold_intent != "out_of_scope"]
    rows = []
    for threshold in thresholds:
        answered = [
            p
            for p in predictions
            if (p.raw_intent or p.predicted_intent) not in NON_SUBSTANTIVE_INTENTS
            and (p.raw_confidence if p.raw_confidence is not None else p.confidence) >= threshold
        ]
        right = sum(1 for p in answered if (p.raw_intent or p.predicted_intent) == p.gold_intent)
        rows.append(
            {
                "threshold": threshold,
                "trigger_rate": _ratio(
                    sum(1 for p in answered if p.gold_intent != "out_of_scope"), len(in_scope)
                ),
                "answer_precision": _ratio(right, len(answered)),
            }
        )
    return rows
