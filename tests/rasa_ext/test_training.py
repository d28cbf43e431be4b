"""Rasa's TensorFlow models with their weights built before `fit`: one trace, the very same weights."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import keras
import numpy as np
import pytest
import rasa.__main__
import tensorflow as tf
from keras.engine import data_adapter
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.models import RasaModel

from xiaoer.rasa_ext import speedups, train, training

KERAS_FIT = RasaModel.fit
RASA_TRAIN_STEP = RasaModel.train_step
KERAS_SEQUENCE_DATASET = data_adapter.KerasSequenceAdapter.get_dataset
# Two intents and an entity, so DIET trains its transformer, intent loss and CRF, as ours does.
EXAMPLES = [
    ("where is order 1001", "ask_logistics", "1001"),
    ("track order 2002 please", "ask_logistics", "2002"),
    ("has order 3003 shipped", "ask_logistics", "3003"),
    ("when will 4004 arrive", "ask_logistics", "4004"),
    ("hello there", "greet", None),
    ("hi", "greet", None),
    ("good morning", "greet", None),
    ("hey bot", "greet", None),
]


def training_data() -> TrainingData:
    messages = []
    for text, intent, order in EXAMPLES:
        data: Dict = {"text": text, "intent": intent}
        if order:
            start = text.index(order)
            data["entities"] = [
                {"start": start, "end": start + len(order), "value": order, "entity": "order_id"}
            ]
        messages.append(Message(data=data))
    data = TrainingData(messages)
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    return data


def featurized(tmp_path: Path) -> TrainingData:
    data = training_data()
    storage = LocalModelStorage(Path(tempfile.mkdtemp(dir=tmp_path)))
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(),
        storage,
        Resource("cvf"),
        ExecutionContext(GraphSchema({}), "cvf"),
    )
    featurizer.train(data)
    featurizer.process_training_data(data)
    return data


# DIET as config.yml has it: one small transformer layer, intents and the entities' CRF.
CONFIG = {
    **DIETClassifier.get_default_config(),
    "epochs": 2,
    "transformer_size": 128,
    "number_of_transformer_layers": 1,
    "random_seed": 42,
}


def diet(tmp_path: Path, name: str) -> DIETClassifier:
    return DIETClassifier.create(
        CONFIG,
        LocalModelStorage(Path(tempfile.mkdtemp(dir=tmp_path))),
        Resource(name),
        ExecutionContext(GraphSchema({}), name),
    )


@dataclass
class Trained:
    keras: DIETClassifier  # fitted as Rasa fits it
    built: DIETClassifier  # with its weights built before fit
    loaded: DIETClassifier  # `built` persisted and loaded again, with the patches installed


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    tmp_path = tmp_path_factory.mktemp("training")
    keras = diet(tmp_path, "keras")
    keras.train(featurized(tmp_path))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RasaModel, "fit", training._fit)
        patch.setattr(RasaModel, "load", training._load)
        patch.setattr(RasaModel, "train_step", training._train_step)
        patch.setattr(data_adapter.KerasSequenceAdapter, "get_dataset", training._dataset_without_autotune)
        built = diet(tmp_path, "built")
        built.train(featurized(tmp_path))
        loaded = DIETClassifier.load(
            CONFIG, built._model_storage, built._resource, ExecutionContext(GraphSchema({}), "built")
        )
    return Trained(keras, built, loaded)


def weights(model: RasaModel) -> Dict[str, np.ndarray]:
    return {v.name: v.numpy() for v in model.variables}


def predictions(tmp_path: Path, model: DIETClassifier) -> List[tuple]:
    messages = featurized(tmp_path).training_examples
    model.process(messages)
    return [(m.get("intent_ranking"), m.get("entities")) for m in messages]


def test_diet_trains_to_the_same_weights_with_one_trace(trained: Trained) -> None:
    # Keras traces the step again when the first trace created variables: twice as Rasa has it.
    assert trained.keras.model.train_function.experimental_get_tracing_count() == 2
    assert trained.built.model.train_function.experimental_get_tracing_count() == 1
    theirs, ours = weights(trained.keras.model), weights(trained.built.model)
    assert sorted(theirs) == sorted(ours)
    assert len(ours) > 20  # the transformer, the CRF and Adam's slots, not only a few layers
    for name, value in theirs.items():
        np.testing.assert_array_equal(ours[name], value, err_msg=name)


def test_a_model_loads_as_rasa_loads_it_and_predicts_as_trained(trained: Trained, tmp_path: Path) -> None:
    # Loading fits one example, which need not reach every layer: Keras builds them, tracing twice.
    assert trained.loaded.model.train_function.experimental_get_tracing_count() == 2
    assert predictions(tmp_path, trained.loaded) == predictions(tmp_path, trained.built)
    assert predictions(tmp_path, trained.built) == predictions(tmp_path, trained.keras)


class Batches(keras.utils.Sequence):
    """Three batches of (features, no labels), as Rasa's data generators hand them to Keras."""

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> tuple:
        return np.full((2, 4), index, dtype=np.float32), None


def batches_keras_iterates(sequence: keras.utils.Sequence, model: keras.Model) -> tuple:
    handler = data_adapter.get_data_handler(x=sequence, model=model, epochs=1)
    dataset = handler._dataset
    return dataset.options().autotune.enabled, [
        tf.nest.flatten(batch)[0].numpy().tolist() for batch in dataset
    ]


def test_keras_iterates_sequences_as_before_without_the_autotuning_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = keras.Sequential([keras.layers.Dense(1)])
    autotuned, theirs = batches_keras_iterates(Batches(), model)
    monkeypatch.setattr(data_adapter.KerasSequenceAdapter, "get_dataset", training._dataset_without_autotune)
    not_autotuned, ours = batches_keras_iterates(Batches(), model)

    # Unset is tf.data's default, on; its autotuning thread starts only for datasets with it on.
    assert (autotuned, not_autotuned) == (None, False)
    assert ours == theirs == [[[float(i)] * 4] * 2 for i in range(3)]


class FakeModel:
    """What _fit and build_weights use of a RasaModel."""

    def __init__(self, trainable_variables: List[str]) -> None:
        self.trainable_variables, self.calls = trainable_variables, []
        self.optimizer = self

    def batch_loss(self, batch: object) -> None:
        self.calls.append(("batch_loss", self._training))

    def build(self, variables: List[str]) -> None:
        self.calls.append(("optimizer.build", variables))


def test_a_finetuned_model_with_its_weights_is_fitted_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    model = FakeModel(["a weight"])
    monkeypatch.setattr(training, "_KERAS_FIT", lambda fitted, x, *a, **k: fitted.calls.append("fit"))
    training._fit(model, [(("features",), None)])

    assert model.calls == ["fit"]


def test_a_batch_short_of_some_layers_fails_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def keras_fit(model: FakeModel, x: object, *args: object, **kwargs: object) -> None:
        raise KeyError("The optimizer cannot recognize variable cond/ffnn_action_name/kernel:0.")

    monkeypatch.setattr(training, "_KERAS_FIT", keras_fit)
    model = FakeModel([])
    with pytest.raises(RuntimeError, match="did not reach all of its layers.*plain `rasa train`"):
        training._fit(model, [(("features",), None)])
    assert model.calls == [("batch_loss", False), ("optimizer.build", [])]


def test_a_step_that_needs_autograph_fails_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def keras_fit(model: FakeModel, x: object, *args: object, **kwargs: object) -> None:
        # What a Python `if` on a tensor raises in a trace without AutoGraph.
        with tf.Graph().as_default():
            bool(tf.constant(True) & tf.constant(False))

    monkeypatch.setattr(training, "_KERAS_FIT", keras_fit)
    with pytest.raises(RuntimeError, match="branches on a tensor in Python.*plain `rasa train`"):
        training._fit(FakeModel([]), [(("features",), None)])


def test_the_entry_point_runs_rasa_train_with_every_training_patch(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    # Set through monkeypatch, so that they are put back after the test.
    monkeypatch.setattr(RasaModel, "fit", KERAS_FIT)
    monkeypatch.setattr(RasaModel, "load", RasaModel.__dict__["load"])
    monkeypatch.setattr(RasaModel, "train_step", RASA_TRAIN_STEP)
    monkeypatch.setattr(data_adapter.KerasSequenceAdapter, "get_dataset", KERAS_SEQUENCE_DATASET)
    monkeypatch.setattr(Features, "_combine_sparse_features", speedups._ORIGINAL_COMBINE_SPARSE)
    monkeypatch.setattr(
        rasa.__main__,
        "main",
        lambda: seen.append(
            (
                list(sys.argv),
                RasaModel.fit,
                RasaModel.__dict__["load"],
                RasaModel.train_step,
                data_adapter.KerasSequenceAdapter.get_dataset,
                Features._combine_sparse_features,
            )
        ),
    )
    monkeypatch.setattr(sys, "argv", ["python"])

    train.main(["--fixed-model-name", "xiaoer", "--out", "models"])

    command = ["rasa", "train", "--fixed-model-name", "xiaoer", "--out", "models"]
    patched = (training._fit, training._load, training._train_step, training._dataset_without_autotune)
    assert seen == [(command, *patched, speedups._combine_sparse_features)]
