"""A trainable graph component whose trained state is one joblib file in the model.

DomainRelevance and LinearIntentClassifier both keep a small scikit-learn state; this is the
create / save / load they share. A model with nothing stored for the component loads it untrained
(`state` None), and the component then leaves messages as they are.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Type

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

logger = logging.getLogger(__name__)


class StoredComponent(GraphComponent):
    FILE = "state.joblib"

    @classmethod
    def required_components(cls) -> List[Type]:
        # These run after DIET by their place in config.yml; Rasa checks requirements on the
        # training graph too, where no classifier feeds a trainable component.
        return []

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        state: Any = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.state = state

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> StoredComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> StoredComponent:
        try:
            with model_storage.read_from(resource) as directory:
                state = joblib.load(directory / cls.FILE)
        except (ValueError, FileNotFoundError) as exc:
            logger.warning("%s: nothing trained to load (%s); it will not act", cls.__name__, exc)
            state = None
        return cls(config, model_storage, resource, state)

    def save(self, state: Any) -> Resource:
        self.state = state
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(state, directory / self.FILE)
        return self._resource
