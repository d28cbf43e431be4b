"""Metrics on small hand-made predictions whose figures are worked out by hand."""

import dataclasses

import pytest

from xiaoer.evaluation.metrics import (
    Prediction,
    confused_pairs,
    faq_top_k,
    intent_report,
    threshold_sweep,
    trigger_rate,
)


def p(gold, predicted, confidence=0.9, faq=None, ranking=(), text=None):
    return Prediction(
        text=text or f"{gold}->{predicted}",
        gold_intent=gold,
        predicted_intent=predicted,
        confidence=confidence,
        gold_faq=faq,
        faq_ranking=tuple(ranking),
    )


PREDICTIONS = [
    # greet: 3 gold, 2 right, 1 → goodbye; goodbye: 2 gold, both right, plus 1 wrong prediction
    p("greet", "greet"),
    p("greet", "greet"),
    p("greet", "goodbye", text="再会啦你好"),
    p("goodbye", "goodbye"),
    p("goodbye", "goodbye"),
    # complain: 1 gold, predicted nlu_fallback (a label that is never gold)
    p("complain", "nlu_fallback", confidence=0.2, text="气死了"),
]


def test_per_intent_precision_recall_f1_support():
    report = intent_report(PREDICTIONS)
    greet, goodbye, complain = (report["per_intent"][k] for k in ("greet", "goodbye", "complain"))
    assert greet["precision"] == pytest.approx(1.0)
    assert greet["recall"] == pytest.approx(2 / 3)
    assert greet["f1"] == pytest.approx(0.8)
    assert greet["support"] == 3
    assert goodbye["precision"] == pytest.approx(2 / 3)
    assert goodbye["recall"] == pytest.approx(1.0)
    assert goodbye["f1"] == pytest.approx(0.8)
    assert complain == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1, "predicted": 0}


def test_averages_run_over_gold_intents_and_list_predicted_only_labels():
    report = intent_report(PREDICTIONS)
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["macro_f1"] == pytest.approx((0.8 + 0.8 + 0.0) / 3)
    assert report["weighted_f1"] == pytest.approx((0.8 * 3 + 0.8 * 2 + 0.0 * 1) / 6)
    assert report["macro_precision"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert report["predicted_only"] == {"nlu_fallback": 1}
    assert "nlu_fallback" not in report["per_intent"]


def test_perfect_predictions_score_one():
    report = intent_report([p("greet", "greet"), p("deny", "deny")])
    assert report["macro_f1"] == 1.0 and report["accuracy"] == 1.0


def test_confused_pairs_most_frequent_first_with_examples():
    predictions = [
        p("inform", "affirm", text="a1"),
        p("inform", "affirm", text="a2"),
        p("inform", "affirm", text="a3"),
        p("inform", "affirm", text="a4"),
        p("deny", "affirm", text="d1"),
        p("affirm", "affirm"),
    ]
    pairs = confused_pairs(predictions, top=5, examples=3)
    assert pairs == [
        {"gold": "inform", "predicted": "affirm", "count": 4, "examples": ["a1", "a2", "a3"]},
        {"gold": "deny", "predicted": "affirm", "count": 1, "examples": ["d1"]},
    ]
    assert confused_pairs(predictions, top=1)[0]["gold"] == "inform"


def test_faq_top_k_needs_the_right_intent_and_the_key_in_the_gold_selector_ranking():
    fee = "ask_installation/wall_mount_fee"
    predictions = [
        p("ask_installation", "ask_installation", faq="wall_mount_fee", ranking=[fee, "ask_installation/x"]),
        p("ask_installation", "ask_installation", faq="wall_mount_fee", ranking=["a/b", "c/d", fee]),
        p("ask_installation", "ask_installation", faq="wall_mount_fee", ranking=["a/b", "c/d", "e/f", fee]),
        # right key at the top, but the intent was wrong: a miss at every k
        p("ask_installation", "ask_invoice", faq="wall_mount_fee", ranking=[fee]),
        p("greet", "greet"),  # no KB label: not counted
    ]
    result = faq_top_k(predictions)
    assert result["messages"] == 4
    assert result["intent_right"] == 3
    assert result["top1"] == pytest.approx(1 / 4)
    assert result["top3"] == pytest.approx(2 / 4)
    assert result["top1_given_intent"] == pytest.approx(1 / 3)
    assert result["top3_given_intent"] == pytest.approx(2 / 3)


def test_faq_top_k_of_the_selector_alone_reads_its_own_ranking():
    fee, video = "ask_installation/wall_mount_fee", "ask_installation/install_video"
    reranked = dataclasses.replace(
        p("ask_installation", "ask_installation", faq="wall_mount_fee", ranking=[fee, video]),
        selector_ranking=(video, fee),
    )
    plain = p("ask_installation", "ask_installation", faq="wall_mount_fee", ranking=[fee])  # no ranker

    assert faq_top_k([reranked, plain])["top1"] == 1.0
    alone = faq_top_k([reranked, plain], selector_alone=True)
    assert (alone["top1"], alone["top3"]) == (0.5, 1.0)


def test_faq_top_k_with_no_labelled_messages_is_zero_not_an_error():
    assert faq_top_k([p("greet", "greet")]) == {
        "messages": 0,
        "intent_right": 0,
        "top1": 0.0,
        "top1_given_intent": 0.0,
        "top3": 0.0,
        "top3_given_intent": 0.0,
    }


def test_trigger_rate_counts_substantive_answers_over_in_scope_messages():
    predictions = [
        p("greet", "greet", 0.9),  # substantive, right
        p("query_logistics", "query_order_status", 0.8),  # substantive, wrong intent
        p("complain", "nlu_fallback", 0.2),  # fallback
        p("ask_stock", "out_of_scope", 0.9),  # off-topic prediction: not substantive
        p("ask_promotion", "ask_promotion", 0.45),  # exactly at the threshold: substantive
        p("ask_promotion", "ask_promotion", 0.44),  # below the threshold
        p("out_of_scope", "out_of_scope", 0.95),  # off-topic gold: not in the denominator
        p("out_of_scope", "greet", 0.7),  # wrongly answered off-topic message
    ]
    result = trigger_rate(predictions, threshold=0.45)
    assert result["in_scope_messages"] == 6
    assert result["triggered"] == 3
    assert result["rate"] == pytest.approx(3 / 6)
    assert result["correct"] == pytest.approx(2 / 6)
    assert result["all_messages"] == pytest.approx(4 / 8)
    assert result["threshold"] == 0.45


def test_threshold_sweep_replays_the_classifiers_own_top_intent():
    predictions = [
        p("greet", "greet", 0.95),
        # relabelled by the fallback at 0.45, but the classifier said ask_stock at 0.40
        Prediction("还有吗", "ask_stock", "nlu_fallback", 0.45, raw_intent="ask_stock", raw_confidence=0.40),
        p("complain", "greet", 0.6),  # a wrong answer
        p("out_of_scope", "ask_promotion", 0.5),  # an off-topic message answered
    ]
    rows = {r["threshold"]: r for r in threshold_sweep(predictions, [0.3, 0.55, 0.9])}
    assert rows[0.3] == {"threshold": 0.3, "trigger_rate": 1.0, "answer_precision": pytest.approx(2 / 4)}
    assert rows[0.55] == {
        "threshold": 0.55,
        "trigger_rate": pytest.approx(2 / 3),
        "answer_precision": pytest.approx(1 / 2),
    }
    assert rows[0.9] == {"threshold": 0.9, "trigger_rate": pytest.approx(1 / 3), "answer_precision": 1.0}
