"""Per-slice figures and the report's pictures (xiaoer/evaluation/slices.py, pictures.py)."""

from __future__ import annotations

import pytest

from xiaoer.evaluation.metrics import Prediction, intent_report
from xiaoer.evaluation.report import to_console, to_html, to_markdown
from xiaoer.evaluation.slices import confidence_histogram, confusion_matrix, slice_figures

THRESHOLD = 0.45


def p(gold: str, predicted: str, confidence: float, faq: str | None = None, ranking=()) -> Prediction:
    return Prediction(f"{gold}->{predicted}", gold, predicted, confidence, faq, tuple(ranking))


OUT_OF_SCOPE = [
    p("out_of_scope", "out_of_scope", 0.9),
    p("out_of_scope", "ask_delivery", 0.7),  # a confident store answer
    p("out_of_scope", "ask_delivery", 0.3),  # under the threshold: a fallback, not an answer
    p("out_of_scope", "nlu_fallback", 0.2),
]
REALISTIC = [
    p("query_logistics", "query_logistics", 0.9),
    p("query_logistics", "out_of_scope", 0.8),  # a store question sent away
    p("ask_delivery", "ask_delivery", 0.95, "carriers", ["ask_delivery/carriers"]),
    p(
        "ask_delivery",
        "ask_delivery",
        0.6,
        "shipping_fee",
        ["ask_delivery/carriers", "ask_delivery/shipping_fee"],
    ),
]


def test_out_of_scope_given_a_store_answer_counts_confident_store_intents_only() -> None:
    figures = slice_figures("out_of_scope", OUT_OF_SCOPE, THRESHOLD)

    assert figures["out_of_scope_messages"] == 4
    assert figures["out_of_scope_given_store_answer"] == pytest.approx(1 / 4)
    assert figures["in_scope_messages"] == 0
    assert figures["in_scope_sent_to_out_of_scope"] is None and figures["trigger_rate"] is None
    assert figures["accuracy"] == pytest.approx(1 / 4)
    assert figures["confused_pairs"][0] == {
        "gold": "out_of_scope",
        "predicted": "ask_delivery",
        "count": 2,
        "examples": ["out_of_scope->ask_delivery", "out_of_scope->ask_delivery"],
    }


def test_a_realistic_slice_has_accuracy_faq_top1_and_store_messages_sent_away() -> None:
    figures = slice_figures("realistic", REALISTIC, THRESHOLD)

    assert figures["accuracy"] == pytest.approx(3 / 4)
    assert figures["faq_messages"] == 2 and figures["faq_top1"] == pytest.approx(1 / 2)
    assert figures["in_scope_sent_to_out_of_scope"] == pytest.approx(1 / 4)
    assert figures["trigger_rate"] == pytest.approx(3 / 4)
    assert figures["out_of_scope_given_store_answer"] is None


def test_confusion_matrix_and_histogram() -> None:
    everything = OUT_OF_SCOPE + REALISTIC + [p("greet", "greet", 1.0)]

    matrix = confusion_matrix(everything)
    assert matrix["gold"] == ["ask_delivery", "greet", "out_of_scope", "query_logistics"]
    assert matrix["predicted"] == ["ask_delivery", "greet", "nlu_fallback", "out_of_scope", "query_logistics"]
    assert matrix["counts"][2] == [2, 0, 1, 1, 0]  # out_of_scope's row
    assert sum(map(sum, matrix["counts"])) == len(everything)
    hist = confidence_histogram(everything)
    assert sum(hist["right"]) == 5 and sum(hist["wrong"]) == 4
    assert hist["right"][9] == 4 and hist["right"][6] == 1  # 0.9 twice, 0.95, 1.0 (in the last bin); 0.6
    assert hist["wrong"][2] == 1 and hist["wrong"][3] == 1


def report_with_slices() -> dict:
    slices = [
        slice_figures("realistic", REALISTIC, THRESHOLD),
        slice_figures("out_of_scope", OUT_OF_SCOPE, THRESHOLD),
    ]
    everything = REALISTIC + OUT_OF_SCOPE + [p("<script>x</script>", "greet", 0.5)]
    return {
        "generated_at": "2026-12-05T06:00:00+00:00",
        "model": "models/xiaoer.tar.gz",
        "threshold_source": "test",
        "data": {
            "heldout_files": {"a.yml": 8},
            "heldout_messages": 8,
            "heldout_kb_messages": 2,
            "training_examples": 10,
            "training_intents": 3,
            "knowledge_entries": 2,
            "knowledge_questions": 4,
        },
        "intents": intent_report(REALISTIC + OUT_OF_SCOPE),
        "confused_pairs": [],
        "faq": None,
        "faq_selector_alone": None,
        "baseline": None,
        "trigger": {
            "threshold": THRESHOLD,
            "rate": 0.75,
            "correct": 0.5,
            "all_messages": 0.5,
            "in_scope_messages": 4,
            "triggered": 3,
        },  # fmt: skip
        "threshold_sweep": [],
        "overlaps": [],
        "heldout_duplicates": [],
        "errors": [],
        "seconds": 1.0,
        "slices": slices,
        "pictures": {
            "confusion": confusion_matrix(everything),
            "confidence": confidence_histogram(everything),
        },
    }


def test_the_html_report_draws_slices_heat_map_and_histogram_escaped() -> None:
    report = report_with_slices()

    page = to_html(report)
    assert page.count("<svg") == 2  # slice bars and the histogram
    assert '<table class="heat">' in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    assert "OOS given a store answer" in page
    assert "| realistic | 4 | 0.750 |" in to_markdown(report)
    assert "slice out_of_scope" in to_console(report) and "OOS→store 0.250" in to_console(report)
