"""YAML files people edit (knowledge/, vocabulary/): read as PyYAML nodes, which keep each value's
line, so every mistake is reported with its file, line and reason.

Bottom layer: imports nothing of Xiaoer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List

import yaml
from yaml.nodes import Node


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file, where it is and why."""

    path: str
    line: int  # 1-based; 0 when the problem is the whole file
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}" if self.line else f"{self.path}: {self.reason}"


class NodeReader:
    """Reads one file into nodes and collects its problems; subclasses check the shape."""

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self.problems: List[Problem] = []

    def fail(self, node: Node | None, reason: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(Problem(self.label, line, reason))

    def compose(self) -> Node | None:
        """The file's root node, or None after recording why there is none."""
        try:
            source = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(self.label, 0, f"cannot read the file: {exc}"))
            return None
        try:
            root = yaml.compose(source, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 0
            self.problems.append(Problem(self.label, line, f"not valid YAML: {exc.problem or exc}"))
            return None
        except yaml.YAMLError as exc:
            self.problems.append(Problem(self.label, 0, f"not valid YAML: {exc}"))
            return None
        if root is None:
            self.problems.append(Problem(self.label, 0, "the file is empty"))
        return root
