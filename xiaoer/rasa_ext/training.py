"""Rasa 3.6's TensorFlow models traced once instead of twice when they train, with the same weights.

Keras compiles a model's training step into a `tf.function` on the first batch. DIET and TED build
their layers' weights and Adam's slots lazily, inside that first step, and a `tf.function` whose
first trace creates variables is traced a second time without them: TensorFlow's rule for variables
created in a function. Tracing DIET's step (the transformer, the CRF's loops and their gradients)
took 14.5 s and the second trace another 11.5 s, of a 3-minute `make train` (docs/nlu-tuning.md).

Here the weights exist before `fit`: the model's loss runs eagerly on the first batch, which builds
every layer it reaches, and the optimizer builds its slots. Nothing is trained by that call (no
gradient is applied) and the initial values are drawn as before: the weights come out the same, bit
for bit (tests/rasa_ext/test_training.py). Loading a model is left as it is: Rasa fits a single
example to build the weights it then restores, and one example does not reach every layer of TED's
(its conditions on which features a batch has), so the optimizer would not know them all.

Keras iterates Rasa's batch generators through `tf.data`, whose autotuning starts a thread per
iterator. TensorFlow 2.12 can miss that thread's cancellation when the iterator is dropped: the
thread's wake-up checks the cancellation before it is recorded, goes back to sleep for its whole
optimisation period, and the main thread waits for it, up to 60 s after the last epoch (caught with
gdb in one training of three; docs/nlu-tuning.md). The prefetch of one batch Keras sets up has
nothing to tune, so these datasets are iterated without autotuning: the same batches, no thread.

The training step is traced without AutoGraph. AutoGraph rewrites Python control flow on tensors
into TensorFlow's, and Rasa's training step has none (its conditions and loops are `tf.cond` and
`tf.scan` already): converting the code of every layer only cost time (about 4 s on the tests'
small DIET), for the same graph and the same weights. Were a step ever to branch on a tensor in
Python, its trace would fail, and training stops with an error that says so.
"""

from __future__ import annotations

import threading
from typing import Any

import tensorflow as tf
from keras.engine import data_adapter
from rasa.utils.tensorflow.models import RasaModel

_KERAS_FIT = RasaModel.fit
_RASA_LOAD = RasaModel.load.__func__
_KERAS_SEQUENCE_DATASET = data_adapter.KerasSequenceAdapter.get_dataset
_RASA_TRAIN_STEP = RasaModel.train_step
_train_step = tf.autograph.experimental.do_not_convert(_RASA_TRAIN_STEP)
# Set while RasaModel.load runs in this thread.
_loading = threading.local()


def build_weights(model: RasaModel, batch: Any) -> None:
    """Create the model's weights and its optimizer's slots from one batch, training nothing."""
    model._training = False
    try:
        model.batch_loss(batch)
    finally:
        model._training = None
    model.optimizer.build(model.trainable_variables)


def _fit(self: RasaModel, x: Any = None, *args: Any, **kwargs: Any) -> Any:
    # Rasa's data generators are Keras Sequences of (features, None). A finetuned model already has
    # its weights, and a loading one fits a single example, which does not reach every layer of
    # TED's: both are fitted as Rasa fits them.
    built = not (getattr(_loading, "model", False) or self.trainable_variables or x is None or len(x) == 0)
    if built:
        build_weights(self, x[0][0])
    try:
        return _KERAS_FIT(self, x, *args, **kwargs)
    except KeyError as e:
        if not built or "optimizer cannot recognize variable" not in str(e):
            raise
        raise RuntimeError(
            f"{type(self).__name__}'s first training batch did not reach all of its layers, so their "
            "weights were not built before the first trace (xiaoer.rasa_ext.training). Train with "
            "plain `rasa train`, which builds them inside the trace."
        ) from e
    except tf.errors.OperatorNotAllowedInGraphError as e:
        raise RuntimeError(
            f"{type(self).__name__}'s training step branches on a tensor in Python, which needs "
            "AutoGraph, and xiaoer.rasa_ext.training traces the step without it. Train with plain "
            "`rasa train`."
        ) from e


@classmethod  # type: ignore[misc]
def _load(cls: type, *args: Any, **kwargs: Any) -> RasaModel:
    _loading.model = True
    try:
        return _RASA_LOAD(cls, *args, **kwargs)
    finally:
        _loading.model = False


def _dataset_without_autotune(self: data_adapter.KerasSequenceAdapter) -> tf.data.Dataset:
    options = tf.data.Options()
    options.autotune.enabled = False
    return _KERAS_SEQUENCE_DATASET(self).with_options(options)


def install() -> None:
    """From now on: DIET's and TED's weights built before their first trace when they train, their
    training step traced without AutoGraph, and Keras Sequences iterated without tf.data's
    autotuning thread."""
    RasaModel.fit = _fit
    RasaModel.load = _load
    RasaModel.train_step = _train_step
    data_adapter.KerasSequenceAdapter.get_dataset = _dataset_without_autotune
