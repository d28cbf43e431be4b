"""Gated ResponseSelectors run only for messages their intent is in view for."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from xiaoer.nlu.selectors import GatedResponseSelector, intents_in_view


def message(*ranking: str) -> Message:
    return Message(
        data={
            "text": "x",
            "intent": {"name": ranking[0], "confidence": 0.9} if ranking else None,
            "intent_ranking": [{"name": name, "confidence": 0.1} for name in ranking],
        }
    )


class Selector(GatedResponseSelector):
    """The gate alone: no model is loaded, `predicted` records what would have been run."""

    def __init__(self, retrieval_intent: str | None, top: int = 3) -> None:
        self.retrieval_intent = retrieval_intent
        self.component_config = {"gate_top": top}
        self.predicted: list = []

    def _predict(self, message):  # stands in for the model, which needs training
        self.predicted.append(message.get("text"))
        raise StopIteration  # the gate is what is tested


def run(selector: Selector, msg: Message) -> bool:
    try:
        selector.process([msg])
    except StopIteration:
        return True
    return False


def test_runs_when_its_intent_is_among_the_top_three():
    assert run(Selector("ask_delivery"), message("ask_presale", "ask_delivery", "greet"))
    assert not run(Selector("ask_invoice"), message("ask_presale", "ask_delivery", "greet", "ask_invoice"))
    assert run(Selector("ask_invoice", top=4), message("ask_presale", "ask_delivery", "greet", "ask_invoice"))


def test_an_unclassified_message_and_the_default_selector_always_run():
    assert run(Selector("ask_invoice"), message())
    assert run(Selector(None), message("greet"))


def test_intents_in_view():
    assert intents_in_view(message("a", "b", "c", "d"), 2) == ["a", "b"]
    assert intents_in_view(message(), 3) is None
    assert GatedResponseSelector.get_default_config()["gate_top"] == 3
