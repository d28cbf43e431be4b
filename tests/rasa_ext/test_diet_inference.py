"""DIET's NumPy prediction against TensorFlow's: the trained model and small models of other shapes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
import pytest
from rasa.core.agent import Agent
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import LexicalSyntacticFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.models import RasaModel

from xiaoer.evaluation.heldout import load_dir
from xiaoer.evaluation.overlap import training_examples
from xiaoer.rasa_ext import diet_inference, training

ROOT = Path(__file__).resolve().parents[2]
# CI trains models/xiaoer.tar.gz before pytest (as for tests/e2e); a developer may point elsewhere.
MODEL = Path(os.environ.get("XIAOER_TEST_MODEL") or ROOT / "models" / "xiaoer.tar.gz")
TOLERANCE = 1e-5


@pytest.fixture(autouse=True)
def original_rasa():
    diet_inference.uninstall()
    yield
    diet_inference.uninstall()


def assert_same_prediction(expected: Dict[str, Any], got: Dict[str, Any], text: str) -> None:
    """The same keys and shapes, the same best intent and entity tags, confidences within tolerance."""
    assert set(got) == set(expected) - {"diagnostic_data"}, text
    for key, value in got.items():
        assert value.shape == expected[key].shape, (text, key)
        if key.endswith("_ids"):
            assert (value == expected[key]).all(), (text, key, value, expected[key])
        else:
            assert np.abs(value - expected[key]).max() <= TOLERANCE, (text, key)
    if "i_scores" in got:
        # Not only the best: the ranking Rasa reports (the top 10) is the same.
        assert list(np.argsort(-got["i_scores"][0])[:10]) == list(
            np.argsort(-expected["i_scores"][0])[:10]
        ), text


def recorder(pairs: List[tuple]) -> Callable[[DIETClassifier, Message], Any]:
    """In place of DIET's `_predict`: Rasa's answer and this module's, for the same message."""

    def record(diet: DIETClassifier, message: Message) -> Any:
        expected = diet_inference._ORIGINAL_PREDICT(diet, message)
        forward = diet_inference.forward_of(diet)
        pairs.append((message.get("text"), expected, forward.predict(message) if forward else None))
        return expected

    return record


# --- the trained model -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def agent() -> Agent:
    assert MODEL.is_file(), f"no model at {MODEL}: run `make train` (CI trains it before pytest)"
    return Agent.load(str(MODEL))


def texts() -> List[str]:
    buyers = [m.text for directory in ("heldout", "realistic") for m in load_dir(ROOT / "eval" / directory)]
    # Every third training example: every intent, entity annotations, FAQ variants.
    trained = [text for text, _, _ in training_examples(ROOT / "data" / "nlu")][::3]
    odd = ["", "？？？", "😀", "a" * 3000, "订单 " * 200, "HY-RF-450WTD"]
    return buyers + trained + odd


def parse_all(agent: Agent, sample: List[str]) -> List[Dict[str, Any]]:
    async def parse() -> List[Dict[str, Any]]:
        return [await agent.parse_message(text) for text in sample]

    return asyncio.run(parse())


def test_the_trained_model_predicts_as_tensorflow_does(agent, monkeypatch) -> None:
    pairs: List[tuple] = []
    monkeypatch.setattr(DIETClassifier, "_predict", recorder(pairs))
    parse_all(agent, texts())

    computed = [(text, expected, got) for text, expected, got in pairs if got is not None]
    # Left to Rasa: only messages with no text left after normalising ("", "？？？", "😀"), for which
    # Rasa's model data is empty and its answer None.
    assert {text for text, expected, got in pairs if got is None} == {""}
    assert all(expected is None for _, expected, got in pairs if got is None)
    assert len(computed) > 1500
    for text, expected, got in computed:
        assert_same_prediction(expected, got, text)
    # Entities were predicted, and reproduced, for some messages.
    assert any(got["e_entity_ids"].any() for _, _, got in computed)


def test_installed_the_whole_parse_is_the_same(agent) -> None:
    sample = texts()[::7]
    plain = parse_all(agent, sample)
    diet_inference.install()
    patched = parse_all(agent, sample)

    for before, after in zip(plain, patched, strict=True):
        assert after["intent"]["name"] == before["intent"]["name"], before["text"]
        assert after["intent"]["confidence"] == pytest.approx(before["intent"]["confidence"], abs=TOLERANCE)
        assert [r["name"] for r in after["intent_ranking"]] == [r["name"] for r in before["intent_ranking"]]
        assert [(e["entity"], e["start"], e["end"], e["value"]) for e in after["entities"]] == [
            (e["entity"], e["start"], e["end"], e["value"]) for e in before["entities"]
        ]
        assert after.get("response_selector", {}).keys() == before.get("response_selector", {}).keys()


# --- small models of other shapes --------------------------------------------------------------

TRAINING = [
    ("hello there", "greet", []),
    ("hi friend", "greet", []),
    ("good morning", "greet", []),
    ("where is order 12345", "track", [("12345", "order_id", "mine")]),
    ("track order 67890 please", "track", [("67890", "order_id", "mine")]),
    ("my parcel 55555 is late", "track", [("55555", "order_id", "mine")]),
    ("send it to order 11111 of my friend", "track", [("11111", "order_id", "theirs")]),
    ("bye now", "goodbye", []),
    ("see you later", "goodbye", []),
    ("thanks bye", "goodbye", []),
]
PROBES = [
    "hello",
    "where is my parcel 99999",
    "bye bye friend",
    "unknown words here",
    "order",
    "track 123 and 456 now",
]


def annotated(text: str, intent: str, entities: list) -> Message:
    found = []
    for value, entity, role in entities:
        start = text.index(value)
        found.append(
            {"start": start, "end": start + len(value), "value": value, "entity": entity, "role": role}
        )
    return Message(data={"text": text, "intent": intent, "entities": found})


class SmallPipeline:
    """Whitespace tokens, lexical and count features, and DIET trained on them (with the training
    patches `make train` uses: one trace of the training step, which keeps these tests short)."""

    def __init__(self, tmp_path: Path, diet_config: Dict[str, Any]) -> None:
        self.storage = LocalModelStorage(tmp_path)
        self.context = ExecutionContext(GraphSchema({}), "test")
        self.parts = [
            self._create(WhitespaceTokenizer, {}, "tokens"),
            self._create(LexicalSyntacticFeaturizer, {}, "lexical"),
            self._create(CountVectorsFeaturizer, {}, "words"),
            self._create(
                CountVectorsFeaturizer, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 3}, "chars"
            ),
        ]
        data = TrainingData([annotated(*example) for example in TRAINING])
        for part in self.parts:
            if hasattr(part, "train"):
                part.train(data)
            part.process_training_data(data)
        self.config = {**DIETClassifier.get_default_config(), "random_seed": 7, **diet_config}
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(RasaModel, "fit", training._fit)
            patch.setattr(RasaModel, "train_step", training._train_step)
            self.diet = DIETClassifier.create(self.config, self.storage, Resource("diet"), self.context)
            self.diet.train(data)
        # Predicting with the model as trained, not loaded: loading fits one example again (another
        # trace of the training step), and tests/rasa_ext/test_training.py shows a loaded model
        # predicts as the trained one.

    def _create(self, cls: Any, config: Dict[str, Any], name: str) -> Any:
        return cls.create({**cls.get_default_config(), **config}, self.storage, Resource(name), self.context)

    def featurized(self, text: str) -> Message:
        message = Message(data={"text": text})
        for part in self.parts:
            part.process([message])
        return message


SHAPES = {
    "two unidirectional layers, a hidden layer, entity roles": {
        "number_of_transformer_layers": 2,
        "transformer_size": 32,
        "number_of_attention_heads": 2,
        "hidden_layers_sizes": {"text": [24], "label": []},
        "unidirectional_encoder": True,
    },
    "no transformer, entities only": {"number_of_transformer_layers": 0, "intent_classification": False},
    "relative attention": {"transformer_size": 16, "use_key_relative_attention": True},
}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, SmallPipeline]:
    return {
        shape: SmallPipeline(tmp_path_factory.mktemp("diet"), {"epochs": 2, **config})
        for shape, config in SHAPES.items()
    }


@pytest.mark.parametrize("shape", [shape for shape in SHAPES if shape != "relative attention"])
def test_small_models_of_other_shapes_predict_as_tensorflow_does(small, shape) -> None:
    pipeline = small[shape]
    forward = diet_inference.forward_of(pipeline.diet)
    assert forward is not None
    for text in PROBES:
        message = pipeline.featurized(text)
        expected = diet_inference._ORIGINAL_PREDICT(pipeline.diet, message)
        assert_same_prediction(expected, forward.predict(message), text)


def test_a_model_with_relative_attention_is_left_to_tensorflow(small) -> None:
    pipeline = small["relative attention"]
    assert diet_inference.forward_of(pipeline.diet) is None

    message = pipeline.featurized(PROBES[1])
    expected = diet_inference._ORIGINAL_PREDICT(pipeline.diet, message)
    diet_inference.install()
    got = DIETClassifier._predict(pipeline.diet, message)
    assert (got["i_scores"] == expected["i_scores"]).all()


def test_diagnostic_data_comes_from_tensorflow(small, monkeypatch) -> None:
    pipeline = small["no transformer, entities only"]
    diet = pipeline.diet
    monkeypatch.setattr(
        diet, "_execution_context", ExecutionContext(GraphSchema({}), "test", should_add_diagnostic_data=True)
    )
    diet_inference.install()
    [message] = diet.process([pipeline.featurized(PROBES[1])])
    # `rasa test` and interactive learning read the attention weights and transformer output.
    [diagnostics] = message.get("diagnostic_data").values()
    assert "text_transformed" in diagnostics


def test_a_message_with_dense_features_is_left_to_tensorflow(small) -> None:
    pipeline = small["no transformer, entities only"]
    message = pipeline.featurized(PROBES[0])
    message.add_features(Features(np.ones((1, 4), dtype=np.float32), "sentence", "text", "dense"))
    assert diet_inference.forward_of(pipeline.diet).predict(message) is None


@pytest.mark.parametrize("length", [1, 2, 3, 7])
def test_crf_decoding_gives_rasas_tags_and_confidences(length) -> None:
    from rasa.utils.tensorflow.crf import crf_decode

    rng = np.random.default_rng(length)
    for _ in range(20):
        # One padded position after the real ones, as DIET's sentence position is.
        potentials = rng.normal(size=(length + 1, 5)).astype(np.float32) * 3
        transitions = rng.normal(size=(5, 5)).astype(np.float32)
        tags, scores, _ = crf_decode(potentials[np.newaxis], transitions, np.array([length]))
        got_tags, got_scores = diet_inference.crf_decode(potentials, transitions, length)
        assert (got_tags[:length] == tags.numpy()[0][:length]).all()
        assert np.abs(got_scores[:length] - scores.numpy()[0][:length]).max() <= TOLERANCE
