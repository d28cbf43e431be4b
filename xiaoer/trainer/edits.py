"""The trainer's edits to training data: buyer messages added as NLU examples of an intent, as
variants of a knowledge entry, or as a new knowledge entry (docs/trainer.md).

Each edit is made on the file's text (comments and layout stay as people wrote them), checked by
reading the result back (YAML, and for the knowledge base the loader and validator over the
whole directory), and offered as an `Edit` with its unified diff; `apply()` writes it. Texts are
masked (phones, addresses, names) before they are written, whatever the caller sent.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Tuple

import yaml

from xiaoer.knowledge.loader import knowledge_files, load_dir
from xiaoer.knowledge.validate import domain_intents, validate
from xiaoer.logmask import mask
from xiaoer.text import compact
from xiaoer.trainer.references import ANNOTATION, nlu_references

MAX_TEXT = 200
MAX_TEXTS = 50
ENTRY_ID = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


class EditRefused(ValueError):
    """The edit would leave the data wrong (or changes nothing); the message says why, in Chinese."""


@dataclass(frozen=True)
class Edit:
    path: Path
    before: str
    after: str
    label: str  # the file as the trainer knows it: data/nlu/logistics.yml
    added: Tuple[str, ...]  # the texts written, masked
    skipped: Tuple[str, ...]  # the texts left out, with the reason

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"a/{self.label}",
                f"b/{self.label}",
            )
        )

    def apply(self) -> None:
        """Writes the file whole or not at all; refuses if it changed since the edit was made."""
        if self.path.read_text(encoding="utf-8") != self.before:
            raise EditRefused(f"{self.label} 在这期间被改过了，请重新操作")
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(self.after)
            os.chmod(temporary, self.path.stat().st_mode & 0o777)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def as_dict(self) -> dict:
        return {
            "file": self.label,
            "diff": self.diff(),
            "added": list(self.added),
            "skipped": list(self.skipped),
        }


# --- texts -------------------------------------------------------------------------------


def clean_texts(texts: Iterable[str]) -> List[str]:
    """Stripped, masked, one line each, without repeats; EditRefused when none is usable."""
    cleaned, seen = [], set()
    for text in list(texts)[: MAX_TEXTS + 1]:
        if not isinstance(text, str):
            raise EditRefused("每条文本都应是字符串")
        line = mask(" ".join(text.split()))
        if not line:
            continue
        if len(line) > MAX_TEXT:
            raise EditRefused(f"单条不超过 {MAX_TEXT} 个字：{line[:20]}…")
        if ANNOTATION.search(line):
            raise EditRefused(f"文本里有 [..](..) 标注语法，请改写后再加：{line[:40]}")
        if compact(line) not in seen:
            seen.add(compact(line))
            cleaned.append(line)
    if len(cleaned) > MAX_TEXTS:
        raise EditRefused(f"一次最多 {MAX_TEXTS} 条")
    if not cleaned:
        raise EditRefused("没有可添加的文本")
    return cleaned


def scalar(text: str) -> str:
    """The text as a YAML scalar: plain when YAML reads it back unchanged, else double-quoted."""
    try:
        if yaml.safe_load(f"- {text}") == [text]:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)


def _label(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return path.name


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _list_end(lines: List[str], key_index: int) -> Tuple[int, str]:
    """After `key:` at key_index, the index after its last list item line, and that item's
    indentation ("- " included)."""
    key_indent = _indent(lines[key_index])
    end, prefix = key_index + 1, None
    for index in range(key_index + 1, len(lines)):
        line = lines[index]
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if _indent(line) <= key_indent:
            break
        end = index + 1
        if prefix is None and line.lstrip().startswith("- "):
            prefix = " " * _indent(line) + "- "
    return end, prefix or " " * (key_indent + 2) + "- "


# --- NLU examples ------------------------------------------------------------------------


def add_examples(nlu_dir: Path, root: Path, intent: str, texts: Iterable[str]) -> Edit:
    """The texts as examples of `intent`, appended to its block in data/nlu/*.yml."""
    wanted = clean_texts(texts)
    known = {}
    for reference in nlu_references(nlu_dir):
        known.setdefault(compact(reference.text), reference.name)
    added, skipped = [], []
    for text in wanted:
        owner = known.get(compact(text))
        if owner:
            skipped.append(f"{text}（已是 {owner} 的例句）")
        else:
            added.append(text)
    if not added:
        raise EditRefused("这些文本都已经在训练数据里：" + "；".join(skipped))
    for path in sorted(Path(nlu_dir).glob("*.yml")):
        before = path.read_text(encoding="utf-8")
        lines = before.splitlines(keepends=True)
        block = next(
            (
                i
                for i, line in enumerate(lines)
                if re.fullmatch(rf"\s*- intent: {re.escape(intent)}\s*", line)
            ),
            None,
        )
        if block is None:
            continue
        examples = next(
            (i for i in range(block + 1, len(lines)) if re.fullmatch(r"\s*examples: \|-?\s*", lines[i])), None
        )
        if examples is None:
            raise EditRefused(f"{_label(path, root)} 里 {intent} 没有 examples 块")
        end, prefix = _list_end(lines, examples)
        if end > 0 and not lines[end - 1].endswith("\n"):
            lines[end - 1] += "\n"
        after = "".join(lines[:end] + [f"{prefix}{text}\n" for text in added] + lines[end:])
        _check_examples(after, intent, added, _label(path, root))
        return Edit(path, before, after, _label(path, root), tuple(added), tuple(skipped))
    raise EditRefused(f"训练数据（data/nlu）里没有意图 {intent}")


def _check_examples(text: str, intent: str, added: List[str], label: str) -> None:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise EditRefused(f"改后的 {label} 不是合法的 YAML：{exc}") from None
    blocks = [b for b in data.get("nlu") or [] if isinstance(b, dict) and b.get("intent") == intent]
    lines = {
        line.strip().removeprefix("- ").strip()
        for b in blocks
        for line in str(b.get("examples")).splitlines()
    }
    missing = [t for t in added if t not in lines]
    if missing:
        raise EditRefused(f"改后的 {label} 读不出这些例句：{'；'.join(missing)}")


# --- knowledge ---------------------------------------------------------------------------


def add_variants(
    knowledge_dir: Path, root: Path, domain: Path | None, key: str, texts: Iterable[str]
) -> Edit:
    """The texts as variants of the knowledge entry `key` (intent/id)."""
    wanted = clean_texts(texts)
    categories, _ = load_dir(knowledge_dir)
    entry = next((e for c in categories for e in c.entries if e.key == key), None)
    if entry is None:
        raise EditRefused(f"知识库里没有条目 {key}")
    existing = {compact(t) for t in (entry.question, *entry.variants)}
    added = [t for t in wanted if compact(t) not in existing]
    skipped = [f"{t}（已是这个条目的问法）" for t in wanted if compact(t) in existing]
    if not added:
        raise EditRefused("这些问法条目里都已经有了")
    path = Path(entry.path)
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    start = entry.line - 1
    entry_indent = _indent(lines[start])
    variants = None
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if line.strip() and _indent(line) <= entry_indent:
            break
        if re.fullmatch(r"\s*variants:\s*", line):
            variants = index
            break
    if variants is None:
        raise EditRefused(f"{key} 没有 variants 列表")
    end, prefix = _list_end(lines, variants)
    after = "".join(lines[:end] + [f"{prefix}{scalar(t)}\n" for t in added] + lines[end:])
    label = _label(path, root)
    _check_knowledge(knowledge_dir, domain, path, after, label)
    return Edit(path, before, after, label, tuple(added), tuple(skipped))


def new_entry(
    knowledge_dir: Path,
    root: Path,
    domain: Path | None,
    category: str,
    entry_id: str,
    question: str,
    variants: Iterable[str],
    answer: str,
) -> Edit:
    """A new entry at the end of the category's file: its question, variants and one answer."""
    if not ENTRY_ID.match(entry_id or ""):
        raise EditRefused("条目 id 用小写字母、数字和下划线，字母开头，例如 gift_wrapping")
    question_text = clean_texts([question])[0]
    texts = [t for t in clean_texts(variants) if compact(t) != compact(question_text)]
    answer_text = " ".join(str(answer or "").split())
    if not answer_text or len(answer_text) > 2000:
        raise EditRefused("答案不能为空，也不超过 2000 字")
    categories, _ = load_dir(knowledge_dir)
    target = next((c for c in categories if c.name == category), None)
    if target is None:
        raise EditRefused(f"知识库里没有分类 {category}")
    path = Path(target.path)
    before = path.read_text(encoding="utf-8")
    indent = " " * (_indent(next(line for line in before.splitlines() if line.lstrip().startswith("- id:"))))
    block = [
        f"{indent}- id: {entry_id}\n",
        f"{indent}  question: {scalar(question_text)}\n",
        f"{indent}  variants:\n",
        *[f"{indent}    - {scalar(t)}\n" for t in texts],
        f"{indent}  answers:\n",
        f"{indent}    - text: {json.dumps(answer_text, ensure_ascii=False)}\n",
    ]
    after = before.rstrip("\n") + "\n\n" + "".join(block)
    label = _label(path, root)
    _check_knowledge(knowledge_dir, domain, path, after, label)
    categories, _ = _load_with(knowledge_dir, path, after)
    if not any(e.id == entry_id for c in categories if c.name == category for e in c.entries):
        raise EditRefused(f"改后的 {label} 读不出新条目 {entry_id}")
    return Edit(path, before, after, label, (question_text, *texts), ())


def _load_with(knowledge_dir: Path, path: Path, text: str):
    """The knowledge directory as it would be with `path` holding `text` (in a scratch copy)."""
    with tempfile.TemporaryDirectory(prefix="xiaoer-knowledge-") as scratch:
        for source in knowledge_files(knowledge_dir):
            shutil.copy(source, Path(scratch) / source.name)
        (Path(scratch) / path.name).write_text(text, encoding="utf-8")
        return load_dir(Path(scratch), Path(scratch))


def _check_knowledge(knowledge_dir: Path, domain: Path | None, path: Path, text: str, label: str) -> None:
    categories, problems = _load_with(knowledge_dir, path, text)
    intents = domain_intents(domain) if domain is not None and domain.exists() else None
    problems += validate(categories, intents)
    if problems:
        reasons = "；".join(str(p) for p in problems[:5])
        raise EditRefused(f"改后的 {label} 没通过校验：{reasons}")
