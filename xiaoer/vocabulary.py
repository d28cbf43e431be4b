"""The store vocabulary: vocabulary/*.yml, read strictly, every mistake with file, line and reason.

    attributes.yml   buyers' words for an attribute → the catalogue's display names, most likely first
    categories.yml   product categories → the words buyers use for them
    regional.yml     Taiwan and Hong Kong words → the store's words; xiaoer.text applies it before
                     NLU (a change needs a retrain); checked here, read there (xiaoer.text is below)

Store operators and trainers edit these files. The catalogue matcher in Rasa and the action server
read them through xiaoer.nlu.attributes when first needed, so a change needs a restart, not a
retrain. `python -m xiaoer.vocabulary` checks them (scripts/validate_data.py runs it).

Bottom layer: imports only xiaoer.text and xiaoer.settings.
"""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Tuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from xiaoer.datafiles import NodeReader, Problem
from xiaoer.settings import REPO_ROOT, KnowledgeSection
from xiaoer.text import REGIONAL_FILE, compact, spelling_key, to_simplified

ATTRIBUTES_FILE = "attributes.yml"
CATEGORIES_FILE = "categories.yml"
# Each file: its one top-level key, what that key's keys are, and what their lists hold.
_SHAPES = {
    ATTRIBUTES_FILE: ("attributes", "word", "display name"),
    CATEGORIES_FILE: ("categories", "category", "word"),
}
_STRING = "tag:yaml.org,2002:str"

# (key, values) pairs in file order: (buyer word, display names) or (category, words).
Pairs = Tuple[Tuple[str, Tuple[str, ...]], ...]


@dataclass(frozen=True)
class Vocabulary:
    attributes: Pairs  # buyer word → display names, most likely first
    categories: Pairs  # category → buyers' words for it

    @property
    def display_names(self) -> Tuple[str, ...]:
        """Every catalogue display name the attribute words point to, sorted."""
        return tuple(sorted({name for _, names in self.attributes for name in names}))


class VocabularyError(Exception):
    """The vocabulary files cannot be used as they are."""

    def __init__(self, problems: List[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Reader(NodeReader):
    """One file: a mapping with a single top-level key whose value maps a name to a list of texts."""

    def __init__(self, path: Path, label: str, section: str, key_what: str, value_what: str) -> None:
        super().__init__(path, label)
        self.section = section
        self.key_what = key_what  # "word" / "category"
        self.value_what = value_what  # "display name" / "word"
        self.lines: Dict[str, int] = {}  # key → line: where read() reports a shared word

    def fold(self, key: str) -> str:
        """The form in which two keys are the same key."""
        return compact(key)

    def text(self, node: Node, what: str) -> str | None:
        """A non-empty string scalar; YAML's 12, yes or null are not text here."""
        if not isinstance(node, ScalarNode) or node.tag != _STRING:
            shown = repr(node.value) if isinstance(node, ScalarNode) else "a list or mapping"
            self.fail(node, f"{what} must be text, not {shown}")
            return None
        if not compact(node.value):
            self.fail(node, f"{what} is empty")
            return None
        return str(node.value)

    def read(self) -> Pairs | None:
        root = self.compose()
        if root is None:
            return None
        if not isinstance(root, MappingNode):
            self.fail(root, f"the file must be a mapping with one key, {self.section!r}")
            return None
        body = None
        for key_node, value_node in root.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key != self.section:
                self.fail(key_node, f"unknown top-level key {key!r} (allowed: {self.section})")
            elif body is not None:
                self.fail(key_node, f"duplicate top-level key {key!r}")
            else:
                body = value_node
        if body is None:
            self.fail(root, f"the file is missing its top-level key {self.section!r}")
            return None
        if not isinstance(body, MappingNode) or not body.value:
            shape = f"{self.key_what} → {self.value_what}s"
            self.fail(body, f"{self.section} must be a non-empty mapping of {shape}")
            return None
        pairs = self.entries(body)
        return None if self.problems else pairs

    def entries(self, body: MappingNode) -> Pairs:
        pairs = []
        first: Dict[str, Tuple[str, int]] = {}  # compact form → (as written, line)
        for key_node, value_node in body.value:
            key = self.text(key_node, f"a {self.key_what}")
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            folded = self.fold(key)
            if folded in first:
                written, at = first[folded]
                twice = f"{self.key_what} {key!r} is listed twice"
                self.fail(key_node, f"{twice} (first as {written!r} at line {at})")
                continue
            first[folded] = (key, line)
            self.lines[key] = line
            values = self.values(key, value_node)
            if values is not None:
                pairs.append((key, values))
        return tuple(pairs)

    def values(self, key: str, node: Node) -> Tuple[str, ...] | None:
        empty = isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"
        if empty or (isinstance(node, SequenceNode) and not node.value):
            self.fail(node, f"{self.key_what} {key!r} has no {self.value_what}s")
            return None
        if not isinstance(node, SequenceNode):
            self.fail(node, f"the {self.value_what}s of {key!r} must be a list, like [{key}]")
            return None
        texts = [self.text(item, f"a {self.value_what} of {key!r}") for item in node.value]
        return None if None in texts else tuple(t for t in texts if t is not None)


class _RegionalReader(_Reader):
    """regional.yml: a regional word → one store word (text, not a list)."""

    def fold(self, key: str) -> str:
        # Not compact(): that applies this very table, and 冷氣 and 冷氣機 would be one word.
        return to_simplified(spelling_key(key))

    def values(self, key: str, node: Node) -> Tuple[str, ...] | None:
        word = self.text(node, f"the store word for {key!r}")
        if word is None:
            return None
        if len(self.fold(key)) < 2:
            # One character replaced inside every word that holds it would change far too much.
            self.fail(node, f"regional word {key!r} must be two characters or more")
            return None
        return (word,)


def validate_regional(directory: Path, root: Path = REPO_ROOT) -> List[Problem]:
    """Problems in regional.yml (none when the store has no such file: no regional words)."""
    path = Path(directory) / REGIONAL_FILE
    if not path.exists():
        return []
    reader = _RegionalReader(path, _label(path, root), "regional", "regional word", "store word")
    reader.read()
    return reader.problems


def _label(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def read(directory: Path, root: Path = REPO_ROOT) -> Tuple[Vocabulary | None, List[Problem]]:
    """The vocabulary in `directory`, or None and every problem found; labels relative to root."""
    paths = {name: Path(directory) / name for name in _SHAPES}
    attributes, categories = (
        _Reader(path, _label(path, root), *_SHAPES[name]) for name, path in paths.items()
    )
    attribute_pairs, category_pairs = attributes.read(), categories.read()
    problems = attributes.problems + categories.problems
    # A word under two categories would always mean the first; the same category may spell it twice.
    if category_pairs is not None:
        owner: Dict[str, str] = {}
        for category, words in category_pairs:
            for word in words:
                other = owner.setdefault(compact(word), category)
                if other != category:
                    reason = f"word {word!r} of category {category!r} is already a word of {other!r}"
                    problems.append(Problem(categories.label, categories.lines[category], reason))
    problems.sort(key=lambda p: (p.path, p.line, p.reason))
    if problems or attribute_pairs is None or category_pairs is None:
        return None, problems
    return Vocabulary(attribute_pairs, category_pairs), []


def validate(directory: Path | None = None) -> List[Problem]:
    """Every problem in the vocabulary files (none: they load)."""
    directory = default_directory() if directory is None else directory
    return read(directory)[1] + validate_regional(directory)


def default_directory() -> Path:
    """XIAOER_VOCABULARY_DIR, or vocabulary/ beside knowledge/ (xiaoer.settings)."""
    return KnowledgeSection().vocabulary_dir


def load(directory: Path | None = None) -> Vocabulary:
    """The vocabulary in `directory` (default: the configured one), read once per directory.

    Raises VocabularyError with every problem when the files are malformed.
    """
    return configured() if directory is None else _load(Path(directory).resolve())


@functools.cache
def configured() -> Vocabulary:
    """The vocabulary of the configured directory, which is looked up once per process like the
    settings each process builds at start: matching asks for it on every message, and building
    the settings costs more than the lookup it serves. Tests changing it call cache_clear()."""
    return _load(Path(default_directory()).resolve())


@functools.cache
def _load(directory: Path) -> Vocabulary:
    vocabulary, problems = read(directory)
    if vocabulary is None:
        raise VocabularyError(problems)
    return vocabulary


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xiaoer.vocabulary", description="Checks vocabulary/*.yml."
    )
    parser.add_argument("--dir", type=Path, help="vocabulary directory (default: XIAOER_VOCABULARY_DIR)")
    args = parser.parse_args(argv)
    directory = args.dir or default_directory()
    vocabulary, problems = read(directory)
    problems += validate_regional(directory)
    if vocabulary is None or problems:
        print(f"vocabulary: {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(
        f"vocabulary: {len(vocabulary.attributes)} attribute words, "
        f"{len(vocabulary.categories)} categories — valid"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
