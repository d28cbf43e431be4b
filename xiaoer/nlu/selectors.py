"""ResponseSelectors that run only for messages that may be about their intent.

There is one selector per knowledge-base intent (eight): each is a DIET model of its own, and every
message ran all of them, though at most the predicted intent's pick is answered with (a profile of
the Rasa process put the selectors at a third of a message's time). DIET has already ranked the
intents when the selectors run (config.yml lists it first), so a selector now runs only when its
retrieval intent is among the top `gate_top` intents of that ranking: the answer for the predicted
intent is the same, and agent assist still gets picks for the runner-up intents it drafts for.
Training is unchanged (the same model as ResponseSelector's).
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

GATE_TOP = "gate_top"


def intents_in_view(message: Message, top: int) -> List[str] | None:
    """The top intents DIET ranked for the message; None when it has not been classified."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    names = [r.get(INTENT_NAME_KEY) for r in ranking[:top] if r.get(INTENT_NAME_KEY)]
    if names:
        return names
    intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    return [intent] if intent else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class GatedResponseSelector(ResponseSelector):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {**ResponseSelector.get_default_config(), GATE_TOP: 3}

    def wanted(self, message: Message) -> bool:
        if not self.retrieval_intent:
            return True  # a selector over every intent serves them all
        in_view = intents_in_view(message, int(self.component_config.get(GATE_TOP, 3)))
        return in_view is None or self.retrieval_intent in in_view

    def process(self, messages: List[Message]) -> List[Message]:
        chosen = [m for m in messages if self.wanted(m)]
        if chosen:
            super().process(chosen)
        return messages
