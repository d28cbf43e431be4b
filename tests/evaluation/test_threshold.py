"""The fallback threshold the report uses is the one the trained model answers with."""

from rasa.engine.graph import GraphSchema, SchemaNode
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

from xiaoer.evaluation.run import threshold_from_schema


def _node(uses, config):
    return SchemaNode(needs={}, uses=uses, constructor_name="load", fn="process", config=config)


def test_fallback_classifier_threshold():
    schema = GraphSchema(
        {
            "run_DIETClassifier0": _node(DIETClassifier, {"epochs": 60}),
            "run_FallbackClassifier1": _node(FallbackClassifier, {"threshold": 0.45}),
        }
    )
    assert threshold_from_schema(schema) == (0.45, "run_FallbackClassifier1.threshold in the model")


class RoutingComponent:  # stands in for a routing component with an answer band
    pass


def test_routing_answer_threshold_with_its_environment_override(monkeypatch):
    schema = GraphSchema({"run_routing": _node(RoutingComponent, {"answer_threshold": 0.6})})
    monkeypatch.delenv("XIAOER_ANSWER_THRESHOLD", raising=False)
    assert threshold_from_schema(schema) == (0.6, "run_routing.answer_threshold in the model")
    monkeypatch.setenv("XIAOER_ANSWER_THRESHOLD", "0.7")
    assert threshold_from_schema(schema) == (0.7, "XIAOER_ANSWER_THRESHOLD")


def test_no_fallback_component():
    schema = GraphSchema({"run_DIETClassifier0": _node(DIETClassifier, {})})
    assert threshold_from_schema(schema) == (None, "no fallback component in the model")
