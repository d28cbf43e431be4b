"""The action server's view of knowledge/: re-read only what changed, never lose good answers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from xiaoer.knowledge.repository import KnowledgeRepository

FIXTURES = Path(__file__).parent / "fixtures" / "kb"


def later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_unchanged_files_are_not_read_again_and_edited_ones_are(tmp_path):
    kb = Path(shutil.copytree(FIXTURES, tmp_path / "knowledge"))
    repository = KnowledgeRepository(kb)

    first = repository.current()
    assert first.entry("ask_return_refund/how_to_return") is not None
    assert repository.loads == 2
    assert repository.current() is first and repository.loads == 2

    source = kb / "returns.yml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("款项原路退回", "款项1天内原路退回"), encoding="utf-8"
    )
    later(source)
    second = repository.current()
    assert repository.loads == 3  # only the edited file
    assert "1天内" in second.entry("ask_return_refund/how_to_return").answers[0].text
    assert second.entry("ask_installation/wall_mount_fee") is first.entry("ask_installation/wall_mount_fee")


def test_new_and_removed_files(tmp_path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    repository = KnowledgeRepository(kb)
    assert repository.current().categories == ()

    shutil.copy(FIXTURES / "returns.yml", kb / "returns.yml")
    assert repository.current().intents == ("ask_return_refund",)
    (kb / "returns.yml").unlink()
    assert repository.current().entry("ask_return_refund/how_to_return") is None


def test_a_file_broken_from_the_start_is_not_served(tmp_path, caplog):
    kb = Path(shutil.copytree(FIXTURES, tmp_path / "knowledge"))
    (kb / "payment.yml").write_text("category: payment\nintent: ask_payment\nentries: [\n", encoding="utf-8")

    knowledge = KnowledgeRepository(kb).current()

    assert knowledge.intents == ("ask_installation", "ask_return_refund")
    assert "payment.yml" in caplog.text and "not valid YAML" in caplog.text
