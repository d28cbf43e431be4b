"""Per-slice figures (issue 9): our own held-out set beside the realistic and out-of-scope slices,
plus what the report draws: the confusion matrix and the confidence of right and wrong answers.
Pure functions over predictions."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from xiaoer.evaluation import metrics
from xiaoer.evaluation.metrics import Prediction, is_substantive

OUT_OF_SCOPE = "out_of_scope"
BINS = 10


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def slice_figures(name: str, predictions: Sequence[Prediction], threshold: float) -> dict:
    """Intent accuracy and macro-F1; FAQ top-1 over the messages with an entry; the rate of
    out-of-scope messages given a store answer (a substantive intent at or over the answer
    threshold); the rate of in-scope messages sent to out_of_scope; the trigger rate; and the
    slice's top confusion pairs."""
    report = metrics.intent_report(predictions)
    out = [p for p in predictions if p.gold_intent == OUT_OF_SCOPE]
    inside = [p for p in predictions if p.gold_intent != OUT_OF_SCOPE]
    faq = metrics.faq_top_k(predictions) if any(p.gold_faq for p in predictions) else None
    return {
        "name": name,
        "messages": len(predictions),
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "faq_messages": faq["messages"] if faq else 0,
        "faq_top1": faq["top1"] if faq else None,
        "out_of_scope_messages": len(out),
        "out_of_scope_given_store_answer": _ratio(sum(is_substantive(p, threshold) for p in out), len(out)),
        "in_scope_messages": len(inside),
        "in_scope_sent_to_out_of_scope": _ratio(
            sum(p.predicted_intent == OUT_OF_SCOPE for p in inside), len(inside)
        ),
        "trigger_rate": _ratio(sum(is_substantive(p, threshold) for p in inside), len(inside)),
        "confused_pairs": metrics.confused_pairs(predictions, top=5, examples=2),
    }


def confusion_matrix(predictions: Sequence[Prediction]) -> dict:
    """{"gold": [...], "predicted": [...], "counts": [[...]]}: gold intents as rows, every label
    predicted or gold as columns, both sorted."""
    gold = sorted({p.gold_intent for p in predictions})
    predicted = sorted({p.predicted_intent for p in predictions} | set(gold))
    counts = Counter((p.gold_intent, p.predicted_intent) for p in predictions)
    return {
        "gold": gold,
        "predicted": predicted,
        "counts": [[counts[(g, q)] for q in predicted] for g in gold],
    }


def confidence_histogram(predictions: Sequence[Prediction], bins: int = BINS) -> dict:
    """Counts of right and wrong top intents per confidence bin [i/bins, (i+1)/bins)."""
    right, wrong = [0] * bins, [0] * bins
    for p in predictions:
        index = min(int(max(p.confidence, 0.0) * bins), bins - 1)
        (right if p.predicted_intent == p.gold_intent else wrong)[index] += 1
    return {"edges": [i / bins for i in range(bins + 1)], "right": right, "wrong": wrong}
