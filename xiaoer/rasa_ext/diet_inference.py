"""DIET's answer for one message computed in NumPy from its trained weights, not by a TensorFlow call.

In a profile of a sequential message (docs/scaling.md), DIET's `process` took 6-8 ms of the Rasa
process's ~24 ms: about 1 ms building Rasa's model data for a batch of one, then 4-7 ms in the traced
TensorFlow graph (645 ops, most of them bookkeeping around a few small matrix products). The model
itself is small: two sparse-to-dense layers, one 128-wide transformer layer, the intent embedding
against the labels' (computed once), and the entity CRF. Here those are computed in NumPy (about
1 ms), from the message's own sparse features, in float32 as TensorFlow computes them.

The result is not bit-identical (summation order inside matrix products differs), so
tests/rasa_ext/test_diet_inference.py checks the trained model on the held-out and realistic
buyers' texts and every third NLU example: the same top-10 ranking and entity tags, confidences
within 1e-5, and the same whole parse. Rasa's CRF confidences are reproduced with their quirk
(see `crf_decode`).

Anything this does not reproduce goes to Rasa's own path, model by model or message by message:
relative attention, a layer unifying sequence and sentence widths, an activation other than GELU,
dense features, and diagnostic data (`rasa test`, interactive learning read the attention weights).
`install()` patches `DIETClassifier._predict` in the server only (`xiaoer.rasa_ext.serve`);
training and evaluation run Rasa's code.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

import numpy as np
import tensorflow as tf
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import ENTITY_ATTRIBUTE_TYPE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import (
    FEATURIZERS,
    INNER,
    LABEL,
    SENTENCE,
    SEQUENCE,
    SOFTMAX,
)
from scipy.special import erf

_ORIGINAL_PREDICT = DIETClassifier._predict
_SQRT_HALF = np.float32(1 / math.sqrt(2))


class Unsupported(Exception):
    """The trained model has a part this module does not compute; Rasa's path is used."""


def _gelu(x: np.ndarray) -> np.ndarray:
    # tf.nn.gelu(approximate=False), the activation DIET's layers use.
    return np.float32(0.5) * x * (np.float32(1) + erf(x * _SQRT_HALF))


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _array(value: Any) -> np.ndarray:
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value, dtype=np.float32)


@dataclass(frozen=True)
class Dense:
    kernel: np.ndarray
    bias: np.ndarray | None
    gelu: bool = False

    @classmethod
    def of(cls, layer: tf.keras.layers.Dense) -> Dense:
        kernel = _array(layer.kernel)
        mask = getattr(layer, "kernel_mask", None)
        if mask is not None:
            # RandomlyConnectedDense multiplies its kernel by the mask on every call.
            kernel = kernel * _array(mask)
        activation = layer.activation
        if activation is tf.nn.gelu:
            gelu = True
        elif activation is tf.keras.activations.linear:
            gelu = False
        else:
            raise Unsupported(f"activation {activation}")
        bias = _array(layer.bias) if layer.use_bias else None
        return cls(kernel, bias, gelu)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.kernel
        if self.bias is not None:
            y += self.bias
        return _gelu(y) if self.gelu else y


@dataclass(frozen=True)
class LayerNorm:
    gamma: np.ndarray
    beta: np.ndarray
    epsilon: np.float32

    @classmethod
    def of(cls, layer: tf.keras.layers.LayerNormalization) -> LayerNorm:
        return cls(_array(layer.gamma), _array(layer.beta), np.float32(layer.epsilon))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        return centred / np.sqrt(variance + self.epsilon) * self.gamma + self.beta


@dataclass(frozen=True)
class EncoderLayer:
    norm: LayerNorm
    query: Dense
    key: Dense
    value: Dense
    output: Dense
    heads: int
    ffn_norm: LayerNorm
    ffn_in: Dense
    ffn_out: Dense

    @classmethod
    def of(cls, layer: Any) -> EncoderLayer:
        mha = layer._mha
        if mha.use_key_relative_position or mha.use_value_relative_position:
            raise Unsupported("relative attention")
        norm, ffn_in, _, ffn_out, _ = layer._ffn_layers
        return cls(
            LayerNorm.of(layer._layer_norm),
            Dense.of(mha._query_dense_layer),
            Dense.of(mha._key_dense_layer),
            Dense.of(mha._value_dense_layer),
            Dense.of(mha._output_dense_layer),
            mha.num_heads,
            LayerNorm.of(norm),
            Dense.of(ffn_in),
            Dense.of(ffn_out),
        )

    def _heads(self, x: np.ndarray) -> np.ndarray:
        length, units = x.shape
        return x.reshape(length, self.heads, units // self.heads).transpose(1, 0, 2)

    def __call__(self, x: np.ndarray, look_ahead: np.ndarray | None) -> np.ndarray:
        normed = self.norm(x)
        query, key, value = (self._heads(d(normed)) for d in (self.query, self.key, self.value))
        logits = query @ key.transpose(0, 2, 1) / np.sqrt(np.float32(query.shape[-1]))
        if look_ahead is not None:
            logits = logits + look_ahead
        attended = _softmax(logits) @ value
        x = x + self.output(attended.transpose(1, 0, 2).reshape(x.shape))
        return x + self.ffn_out(self.ffn_in(self.ffn_norm(x)))


@dataclass(frozen=True)
class Encoder:
    embedding: Dense
    units: int
    angles: np.ndarray
    layers: Tuple[EncoderLayer, ...]
    norm: LayerNorm
    unidirectional: bool

    @classmethod
    def of(cls, encoder: Any) -> Encoder:
        return cls(
            Dense.of(encoder._embedding),
            encoder.units,
            np.asarray(encoder._angles, dtype=np.float32),
            tuple(EncoderLayer.of(layer) for layer in encoder._enc_layers),
            LayerNorm.of(encoder._layer_norm),
            encoder.unidirectional,
        )

    def _positions(self, length: int) -> np.ndarray:
        angles = np.arange(length, dtype=np.float32)[:, np.newaxis] * self.angles
        encoding = np.empty_like(angles)
        encoding[:, 0::2] = np.sin(angles[:, 0::2])
        encoding[:, 1::2] = np.cos(angles[:, 1::2])
        return encoding

    def __call__(self, x: np.ndarray) -> np.ndarray:
        length = x.shape[0]
        x = self.embedding(x) * np.sqrt(np.float32(self.units))
        x = x + self._positions(length)
        look_ahead = None
        if self.unidirectional:
            look_ahead = np.triu(np.ones((length, length), dtype=np.float32), 1) * np.float32(-1e9)
        for layer in self.layers:
            x = layer(x, look_ahead)
        return _gelu(self.norm(x))


def crf_decode(potentials: np.ndarray, transitions: np.ndarray, length: int) -> Tuple[np.ndarray, np.ndarray]:
    """Rasa's `crf_decode` for one sequence: tag ids and their confidences, `length` real positions.

    Rasa's backward pass over the scores indexes each step with the previous step's *score* cast to
    an integer (its scan reuses the tag gatherer), not with the tag; that is reproduced here, since
    the confidences are part of its answer.
    """
    state = potentials[0]
    backpointers: List[np.ndarray] = []
    scores: List[np.ndarray] = []
    for t in range(1, length):
        transition_scores = state[:, np.newaxis] + transitions
        backpointers.append(transition_scores.argmax(axis=0))
        scores.append(_softmax(transition_scores, axis=0).max(axis=0))
        state = potentials[t] + transition_scores.max(axis=0)
    tags = np.zeros(potentials.shape[0], dtype=np.int32)
    confidences = np.zeros(potentials.shape[0], dtype=np.float32)
    tag = int(state.argmax())
    tags[length - 1] = tag
    confidences[length - 1] = _softmax(state).max()
    index: float = float(tag)
    for t in range(length - 1, 0, -1):
        tag = int(backpointers[t - 1][tag])
        tags[t - 1] = tag
        index = float(scores[t - 1][int(index)])
        confidences[t - 1] = index
    return tags, confidences


@dataclass(frozen=True)
class EntityHead:
    name: str
    logits: Dense
    transitions: np.ndarray
    num_tags: int
    tags_embedding: Dense | None


class DietForward:
    """One trained DIET model's prediction in NumPy; `predict` returns what Rasa's `_predict` would."""

    def __init__(self, diet: DIETClassifier) -> None:
        model = diet.model
        config = diet.component_config
        if not model.prepared_for_prediction:
            model.prepare_for_predict()
            model.prepared_for_prediction = True
        sequence_layer = model._tf_layers[f"sequence_layer.{model.text_name}"]
        combining = sequence_layer._tf_layers[sequence_layer.FEATURE_COMBINING]
        if any(key.startswith("unify_dims") for key in combining._tf_layers):
            raise Unsupported("sequence and sentence features of different widths")
        self.featurizers = config[FEATURIZERS]
        self.sequence = self._sparse_to_dense(combining, SEQUENCE)
        self.sentence = self._sparse_to_dense(combining, SENTENCE)
        self.hidden = tuple(
            Dense.of(layer)
            for layer in sequence_layer._tf_layers[sequence_layer.FFNN]._ffn_layers
            if isinstance(layer, tf.keras.layers.Dense)
        )
        self.encoder = (
            Encoder.of(sequence_layer._tf_layers[sequence_layer.TRANSFORMER])
            if sequence_layer._has_transformer
            else None
        )
        self.intents = config["intent_classification"]
        if self.intents:
            loss = model._tf_layers[f"loss.{LABEL}"]
            # The only combination Rasa 3.6 accepts for intents.
            if loss.similarity_type != INNER or loss.model_confidence != SOFTMAX:
                raise Unsupported(f"{loss.similarity_type} similarity, {loss.model_confidence} confidence")
            self.text_embedding = Dense.of(model._tf_layers[f"embed.{TEXT}"]._dense)
            self.labels = _array(model.all_labels_embed)
        self.entities: Tuple[EntityHead, ...] = ()
        if config["entity_recognition"]:
            self.entities = tuple(
                self._entity_head(model, spec) for spec in model._entity_tag_specs if spec.num_tags
            )

    @staticmethod
    def _sparse_to_dense(combining: Any, feature_type: str) -> Dense | None:
        concat = combining._tf_layers.get(f"sparse_dense.{feature_type}")
        if concat is None:
            return None
        layer = concat._tf_layers.get(concat.SPARSE_TO_DENSE)
        if layer is None:
            raise Unsupported(f"dense {feature_type} features")
        return Dense.of(layer)

    @staticmethod
    def _entity_head(model: Any, spec: Any) -> EntityHead:
        # Roles and groups read the entity tags too; the entity head's own tag layer is never built.
        tags = (
            model._tf_layers.get(f"embed.{spec.tag_name}.tags")
            if spec.tag_name != ENTITY_ATTRIBUTE_TYPE
            else None
        )
        return EntityHead(
            spec.tag_name,
            Dense.of(model._tf_layers[f"embed.{spec.tag_name}.logits"]._dense),
            _array(model._tf_layers[f"crf.{spec.tag_name}"].transition_params),
            spec.num_tags,
            Dense.of(tags._dense) if tags is not None else None,
        )

    @staticmethod
    def _dense_of_sparse(features: List[Any], layer: Dense) -> np.ndarray | None:
        """The featurizers' matrices side by side (as Rasa joins them) times the layer's kernel."""
        rows, columns, values = [], [], []
        offset = 0
        length = features[0].features.shape[0]
        for feature in features:
            matrix = feature.features
            if matrix.shape[0] != length:
                return None
            coo = matrix if matrix.format == "coo" else matrix.tocoo()
            rows.append(coo.row)
            columns.append(coo.col + offset)
            values.append(coo.data)
            offset += matrix.shape[1]
        if offset != layer.kernel.shape[0]:
            return None
        row = np.concatenate(rows)
        # Each row's products summed in the joined matrix's order (np.add.at is slow per element).
        order = np.argsort(row, kind="stable")
        products = layer.kernel[np.concatenate(columns)[order]]
        products *= np.concatenate(values)[order].astype(np.float32)[:, np.newaxis]
        counts = np.bincount(row, minlength=length)
        out = np.zeros((length, layer.kernel.shape[1]), dtype=np.float32)
        filled = counts > 0
        if products.shape[0]:
            out[filled] = np.add.reduceat(products, (np.cumsum(counts) - counts)[filled], axis=0)
        out += layer.bias
        return out

    def _features(self, message: Message) -> Tuple[np.ndarray, int] | None:
        """The combined input (tokens, then the sentence) and the token count; None for Rasa's path."""
        if any(f.attribute == TEXT and not f.is_sparse() for f in message.features):
            return None
        # Rasa's own selection, without its deep copy of the first matrix to join the others to.
        sequence, sentence = message._filter_sparse_features(TEXT, self.featurizers)
        if not sequence or self.sequence is None or (not sentence) != (self.sentence is None):
            return None
        tokens = self._dense_of_sparse(sequence, self.sequence)
        if tokens is None or tokens.shape[0] == 0:
            return None
        if not sentence:
            return tokens, tokens.shape[0]
        whole = self._dense_of_sparse(sentence, self.sentence)
        if whole is None or whole.shape[0] != 1:
            return None
        return np.concatenate([tokens, whole]), tokens.shape[0]

    def predict(self, message: Message) -> Dict[str, np.ndarray] | None:
        features = self._features(message)
        if features is None:
            return None
        x, length = features
        for layer in self.hidden:
            x = layer(x)
        if self.encoder is not None:
            x = self.encoder(x)
        out: Dict[str, np.ndarray] = {}
        if self.intents:
            similarities = self.labels @ self.text_embedding(x[-1])
            out["i_scores"] = _softmax(similarities)[np.newaxis, :]
        tags = None
        for head in self.entities:
            inputs = (
                x
                if tags is None or head.tags_embedding is None
                else np.concatenate([x, head.tags_embedding(tags)], axis=-1)
            )
            ids, confidences = crf_decode(head.logits(inputs), head.transitions, length)
            out[f"e_{head.name}_ids"] = ids[np.newaxis, :]
            out[f"e_{head.name}_scores"] = confidences[np.newaxis, :]
            if head.name == ENTITY_ATTRIBUTE_TYPE:
                tags = np.eye(head.num_tags, dtype=np.float32)[ids]
        return out


# One forward per loaded classifier; None remembers a model this module does not compute.
_FORWARDS: weakref.WeakKeyDictionary[DIETClassifier, DietForward | None] = weakref.WeakKeyDictionary()


def forward_of(diet: DIETClassifier) -> DietForward | None:
    if diet not in _FORWARDS:
        try:
            _FORWARDS[diet] = DietForward(diet) if diet.model is not None else None
        except Unsupported:
            _FORWARDS[diet] = None
    return _FORWARDS[diet]


def _predict(self: DIETClassifier, message: Message) -> Dict[str, Any] | None:
    if self.model is None or self._execution_context.should_add_diagnostic_data:
        return _ORIGINAL_PREDICT(self, message)
    forward = forward_of(self)
    out = forward.predict(message) if forward is not None else None
    return out if out is not None else _ORIGINAL_PREDICT(self, message)


def install() -> None:
    DIETClassifier._predict = _predict


def uninstall() -> None:
    DIETClassifier._predict = _ORIGINAL_PREDICT
