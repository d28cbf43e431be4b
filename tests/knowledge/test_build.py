"""The build step: knowledge → data/nlu/faq, the stale check, and the repository's own files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from xiaoer.knowledge.build import ROOT, Annotator, Paths, build, product_aliases, stale
from xiaoer.knowledge.model import KnowledgeError

FIXTURES = Path(__file__).parent / "fixtures" / "kb"


@pytest.fixture
def project(tmp_path: Path) -> Paths:
    """A project root with the fixture knowledge, a domain and a product lookup table."""
    shutil.copytree(FIXTURES, tmp_path / "knowledge")
    (tmp_path / "domain.yml").write_text(
        "intents:\n  - ask_installation\n  - ask_return_refund\n  - request_human\n", encoding="utf-8"
    )
    lookups = tmp_path / "data" / "nlu" / "lookups"
    lookups.mkdir(parents=True)
    (lookups / "product.yml").write_text(
        'version: "3.1"\nnlu:\n  - lookup: product\n    examples: |\n      - 65E7K\n      - E7K 65寸\n      - TV\n',
        encoding="utf-8",
    )
    return Paths.default(tmp_path)


def test_build_writes_retrieval_intents_and_question_responses(project):
    written = build(project)
    assert sorted(p.name for p in written) == ["installation.yml", "returns.yml"]
    data = yaml.safe_load((project.out / "installation.yml").read_text(encoding="utf-8"))
    intents = [item["intent"] for item in data["nlu"]]
    assert intents[:2] == ["ask_installation/wall_mount_fee", "ask_installation/install_video"]
    examples = [line[2:] for line in data["nlu"][0]["examples"].splitlines()]
    assert examples[0] == "电视挂架安装要收费吗？" and len(examples) == 9
    # Catalogue aliases become product entities, as everywhere else in the training data.
    assert "[65E7K](product)挂墙要另外付费吗" in examples
    # The response is the standard question: editing an answer changes no training data.
    assert data["responses"]["utter_ask_installation/wall_mount_fee"] == [{"text": "电视挂架安装要收费吗？"}]
    assert "双十一" not in (project.out / "installation.yml").read_text(encoding="utf-8")
    returns = (project.out / "returns.yml").read_text(encoding="utf-8")
    assert "      - [260233847129](order_id)这单怎么退\n" in returns


def test_the_generated_data_is_what_rasa_reads(project):
    from rasa.shared.nlu.training_data.loading import load_data

    build(project)
    data = load_data(str(project.out / "returns.yml"))
    assert data.retrieval_intents == {"ask_return_refund"}
    example = next(m for m in data.intent_examples if m.get("text") == "260233847129这单怎么退")
    assert example.get("intent_response_key") == "ask_return_refund/how_to_return"
    assert [e["value"] for e in example.get("entities")] == ["260233847129"]
    assert set(data.responses) == {
        "utter_ask_return_refund/how_to_return",
        "utter_ask_return_refund/refund_progress",
    }


def test_annotator_leaves_existing_annotations_and_longer_models_alone():
    annotate = Annotator(["65E7K", "E7K 65寸"])
    assert annotate("[65E7K](product)挂墙 65E7K") == "[65E7K](product)挂墙 [65E7K](product)"
    assert annotate("65E7KPRO 和 E7K 65寸") == "65E7KPRO 和 [E7K 65寸](product)"
    assert annotate("订单 2611058730121 和 123456789") == "订单 [2611058730121](order_id) 和 123456789"


def test_short_aliases_are_not_annotated(project):
    assert product_aliases(project.lookup) == ["E7K 65寸", "65E7K"]


def test_check_finds_stale_missing_and_orphaned_files(project):
    assert stale(project) == [
        "data/nlu/faq/installation.yml is missing",
        "data/nlu/faq/returns.yml is missing",
    ]
    build(project)
    assert stale(project) == []
    # A new variant needs a rebuild (and a retrain)...
    source = project.knowledge / "returns.yml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("- 钱退了吗", "- 钱退了没"), encoding="utf-8"
    )
    (project.out / "old.yml").write_text("nlu: []\n", encoding="utf-8")
    assert stale(project) == [
        "data/nlu/faq/returns.yml is out of date",
        "data/nlu/faq/old.yml has no knowledge file",
    ]
    build(project)
    assert stale(project) == [] and not (project.out / "old.yml").exists()


def test_editing_an_answer_leaves_the_training_data_alone(project):
    build(project)
    source = project.knowledge / "installation.yml"
    source.write_text(source.read_text(encoding="utf-8").replace("挂架199元", "挂架99元"), encoding="utf-8")
    assert stale(project) == []


def test_build_refuses_invalid_knowledge(project):
    source = project.knowledge / "installation.yml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("      - 挂架安装费多少\n", ""), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError) as failure:
        build(project)
    assert [str(p) for p in failure.value.problems] == [
        "knowledge/installation.yml:6: entry 'wall_mount_fee' has 7 distinct variants; at least 8 are needed"
    ]
    assert not project.out.exists()


def test_command_line_build_and_check(project):
    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "xiaoer.knowledge", *args, "--root", str(project.root)]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    stale_run = run("check")
    assert stale_run.returncode == 1 and "data/nlu/faq/installation.yml is missing" in stale_run.stderr
    built = run("build")
    assert built.returncode == 0, built.stderr
    assert "2 categories, 9 entries" in built.stdout
    assert run("check").returncode == 0
    (project.knowledge / "returns.yml").write_text(
        "category: returns\nintent: ask_return_refund\n", encoding="utf-8"
    )
    broken = run("validate")
    assert broken.returncode == 1
    assert "knowledge/returns.yml:1: the file is missing 'entries'" in broken.stderr


def test_the_repository_knowledge_is_valid_and_built():
    """CI's guard: knowledge/ passes validation and data/nlu/faq is what `make knowledge` writes."""
    paths = Paths.default(ROOT)
    assert stale(paths) == [], (
        "run `make knowledge` (python -m xiaoer.knowledge build) and commit data/nlu/faq"
    )
