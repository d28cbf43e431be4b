"""The graph run without dask gives what DaskGraphRunner gives, on toy graphs and the trained model."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from tests.rasa_ext.test_prediction_cache import MODEL, simulate
from xiaoer.rasa_ext import graph_runner
from xiaoer.rasa_ext.graph_runner import SequentialGraphRunner

ROOT = Path(__file__).resolve().parents[2]
CALLS: List[str] = []


class Step(GraphComponent):
    """Records that it ran, then adds its config's `add` to the sum of its inputs."""

    def __init__(self, config: Dict[str, Any], name: str) -> None:
        self.config = config
        self.name = name

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Step:
        return cls(config, execution_context.node_name)

    def run(self, **inputs: Any) -> Any:
        CALLS.append(self.name)
        if self.config.get("fail"):
            raise ValueError("this step fails")
        return self.config["add"] + sum(inputs.values())


def node(needs: Dict[str, str], add: int = 1, fail: bool = False, target: bool = False) -> SchemaNode:
    return SchemaNode(
        needs=needs,
        uses=Step,
        constructor_name="create",
        fn="run",
        config={"add": add, "fail": fail},
        is_target=target,
    )


# a ← x (an input); b ← a; c ← a, b; d ← c; lonely needs nothing and is a target of its own.
SCHEMA = GraphSchema(
    {
        "a": node({"x": "__x__"}, add=1),
        "b": node({"a": "a"}, add=10),
        "c": node({"a": "a", "b": "b"}, add=100),
        "d": node({"c": "c"}, add=1000, target=True),
        "lonely": node({}, add=7, target=True),
        "broken": node({"c": "c"}, fail=True),
    }
)


def runners(tmp_path: Path) -> List[DaskGraphRunner]:
    made = []
    for cls in (DaskGraphRunner, SequentialGraphRunner):
        storage = LocalModelStorage(tmp_path / cls.__name__)
        made.append(cls.create(SCHEMA, storage, ExecutionContext(SCHEMA)))
    return made


@pytest.mark.parametrize(
    "targets",
    [None, ["d"], ["c"], ["lonely", "b"], ["a", "d", "c"]],
    ids=["default", "d", "c", "two", "three"],
)
def test_the_same_outputs_and_the_same_nodes_run_as_dask(tmp_path, targets) -> None:
    seen = []
    for runner in runners(tmp_path):
        CALLS.clear()
        outputs = runner.run(inputs={"__x__": 5}, targets=targets)
        seen.append((outputs, sorted(CALLS)))
    assert seen[0] == seen[1]
    # Each node ran once, even when two nodes need it.
    assert len(seen[1][1]) == len(set(seen[1][1]))


def test_outputs_are_what_the_nodes_compute(tmp_path) -> None:
    _, sequential = runners(tmp_path)
    # a = 5 + 1, b = a + 10, c = a + b + 100, d = c + 1000
    assert sequential.run(inputs={"__x__": 5}) == {"d": 1122, "lonely": 7}
    # A node's dependencies run before it.
    CALLS.clear()
    sequential.run(inputs={"__x__": 0}, targets=["d"])
    assert CALLS == ["a", "b", "c", "d"]


def test_an_input_stands_in_for_the_node_of_its_name(tmp_path) -> None:
    seen = []
    for runner in runners(tmp_path):
        CALLS.clear()
        seen.append((runner.run(inputs={"__x__": 5, "b": 0}, targets=["d"]), sorted(CALLS)))
    assert seen[0] == seen[1] == ({"d": 1106}, ["a", "c", "d"])


def test_a_failing_node_raises_what_dask_raises(tmp_path) -> None:
    for runner in runners(tmp_path):
        with pytest.raises(GraphComponentException, match="node broken") as raised:
            runner.run(inputs={"__x__": 5}, targets=["broken"])
        assert isinstance(raised.value.__cause__, ValueError)


def test_an_input_value_named_like_a_node_is_refused_as_dask_refuses_it(tmp_path) -> None:
    for runner in runners(tmp_path):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            runner.run(inputs={"__x__": "c"}, targets=["d"])


def test_a_missing_input_is_the_same_error_as_under_dask(tmp_path) -> None:
    for runner in runners(tmp_path):
        with pytest.raises(GraphRunError, match="Missing input to run node 'a'"):
            runner.run(targets=["d"])


def test_install_swaps_the_runner_models_load_with() -> None:
    import rasa.core.processor

    graph_runner.install()
    try:
        assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
    finally:
        graph_runner.uninstall()
    assert rasa.core.processor.DaskGraphRunner is DaskGraphRunner


def messages() -> List[str]:
    """Every held-out and realistic buyer message: text nobody tuned the pipeline on."""
    import yaml

    texts = []
    for path in sorted((ROOT / "eval").glob("*/*.yml")):
        texts += [m["text"] for m in yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]]
    return texts


def parse_all(agent: Agent, texts: List[str]) -> List[Dict[str, Any]]:
    async def parse() -> List[Dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(parse())


def same_graph_without_dask(runner: DaskGraphRunner) -> SequentialGraphRunner:
    """The loaded model's own nodes under the other runner. Loading the model a second time would
    not compare like with like: each load adds the jieba dictionary's counts to jieba's global
    total again, which moves a few segmentations."""
    sequential = SequentialGraphRunner.__new__(SequentialGraphRunner)
    sequential.__dict__.update(runner.__dict__, _plans={})
    return sequential


def test_the_trained_model_parses_and_predicts_the_same_without_dask() -> None:
    assert MODEL.is_file(), f"no model at {MODEL}: run `make train` (CI trains it before pytest)"
    texts = messages()
    assert len(texts) > 500
    agent = Agent.load(str(MODEL))
    assert type(agent.processor.graph_runner) is DaskGraphRunner
    expected = (parse_all(agent, texts), [simulate(agent, seed, turns=12) for seed in range(3)])
    agent.processor.graph_runner = same_graph_without_dask(agent.processor.graph_runner)
    assert (parse_all(agent, texts), [simulate(agent, seed, turns=12) for seed in range(3)]) == expected
    # Every message and prediction went through the plans (parse, next action), not dask.
    assert len(agent.processor.graph_runner._plans) == 2
