"""Rasa's prediction graph run node by node, without dask's scheduler.

Rasa 3.6 runs its graph three times a message (the parse and two next-action predictions) through
`DaskGraphRunner`, which each time rebuilds the minimal schema and a dask graph, then hands it to
dask's synchronous scheduler: ordering, state, queues and callbacks around every node. In a profile
of `make bench` (docs/scaling.md) that bookkeeping, outside the nodes themselves, was 11 % of the
Rasa process's time. Each node is one call of its component, and one at a time is what the
synchronous scheduler does anyway.

`SequentialGraphRunner` keeps everything else of DaskGraphRunner (its nodes, their hooks, input
checks and errors) and only replaces how a run walks the graph: a topological order of the nodes
the targets need, worked out once per (targets, input names), then each node called with its
dependencies' outputs, as dask would pass them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

_ORIGINAL = rasa.core.processor.DaskGraphRunner


@dataclass(frozen=True)
class Plan:
    # The nodes of the targets' minimal schema, as DaskGraphRunner's graph has them.
    names: frozenset
    # Each node to run, in order, with the names whose outputs it is called with.
    steps: Tuple[Tuple[str, Any, Tuple[str, ...]], ...]


class SequentialGraphRunner(DaskGraphRunner):
    """DaskGraphRunner's graph and results, without dask (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[Tuple[str, ...], frozenset], Plan] = {}

    def _plan(self, targets: Tuple[str, ...], given: frozenset) -> Plan:
        key = (targets, given)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._order(targets, given)
        return plan

    def _order(self, targets: Tuple[str, ...], given: frozenset) -> Plan:
        nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
        order: List[Tuple[str, Any, Tuple[str, ...]]] = []
        done: set = set()

        def visit(name: str) -> None:
            # Inputs stand in for nodes of the same name, as in DaskGraphRunner's graph.
            if name in done or name in given or name not in nodes:
                return
            done.add(name)
            needs = tuple(nodes[name].needs.values())
            for need in needs:
                visit(need)
            order.append((name, self._instantiated_nodes[name], needs))

        for target in targets:
            visit(target)
        return Plan(frozenset(nodes), tuple(order))

    def run(
        self,
        inputs: Dict[str, Any] | None = None,
        targets: List[str] | None = None,
    ) -> Dict[str, Any]:
        run_targets = tuple(targets if targets else self._graph_schema.target_names)
        inputs = inputs or {}
        plan = self._plan(run_targets, frozenset(inputs))
        outputs: Dict[str, Any] = {}
        for input_name, input_value in inputs.items():
            if isinstance(input_value, str) and (input_value in plan.names or input_value in outputs):
                # DaskGraphRunner's own check, with its words.
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            outputs[input_name] = (input_name, input_value)
        try:
            for name, node, needs in plan.steps:
                # dask passes a name it has no task for as the plain string.
                outputs[name] = node(*(outputs.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(outputs[target] for target in run_targets)


def install() -> None:
    """Models loaded from now on run their graph with SequentialGraphRunner."""
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner


def uninstall() -> None:
    rasa.core.processor.DaskGraphRunner = _ORIGINAL
