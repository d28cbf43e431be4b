"""`rasa data validate`, failing on every warning but one kind; first the knowledge base and the
store vocabulary (vocabulary/*.yml), each problem with file, line and reason.

Rasa warns that a response is "not used in any story or rule" even when a
custom action dispatches it; those are allowed only when an action in
actions/ really dispatches that response. Everything else fails the check.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '(\w+)' is not used in any story or rule\.")
FAQ_INTENT = re.compile(r"^\s*- intent: (\w+)/", re.MULTILINE)
# Rasa merges a domain of the retrieval intents it finds in data/nlu/faq into domain.yml, which
# must list them too; it then reports them as duplicated "across domain files". Only those.
DUPLICATED_INTENTS = re.compile(
    r"The following duplicated intents have been found across multiple domain files: ([\w, ]+)$"
)
# External intents (EXTERNAL_*) are triggered through the HTTP API, never said by a buyer:
# by design they have no NLU examples.
EXTERNAL_WITHOUT_EXAMPLES = re.compile(
    r"The intent 'EXTERNAL_\w+' is listed in the domain file, but is not found in the NLU training data\."
)


def dispatched_responses() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "actions").rglob("*.py"):
        names.update(re.findall(r"\"(utter_\w+)\"", path.read_text(encoding="utf-8")))
    return names


def retrieval_responses() -> set[str]:
    """utter_<intent> of each knowledge-base intent: Rasa's retrieval actions, which action_faq replaces."""
    names: set[str] = set()
    for path in (ROOT / "data" / "nlu" / "faq").glob("*.yml"):
        names.update(f"utter_{intent}" for intent in FAQ_INTENT.findall(path.read_text(encoding="utf-8")))
    return names


def knowledge_check() -> bool:
    """knowledge/*.yml valid (file:line: reason) and data/nlu/faq built from it."""
    proc = subprocess.run([sys.executable, "-m", "xiaoer.knowledge", "check"], cwd=ROOT)
    return proc.returncode == 0


def vocabulary_check() -> bool:
    """vocabulary/*.yml valid (file:line: reason): the words run-time matching reads."""
    proc = subprocess.run([sys.executable, "-m", "xiaoer.vocabulary"], cwd=ROOT)
    return proc.returncode == 0


def main() -> int:
    checks = [knowledge_check(), vocabulary_check()]  # both run: every problem is reported at once
    if not all(checks):
        return 1
    rasa = str(Path(sys.executable).parent / "rasa")
    proc = subprocess.run([rasa, "data", "validate"], cwd=ROOT, capture_output=True, text=True)
    output = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    retrieval = retrieval_responses()
    allowed = dispatched_responses() | retrieval
    problems = []
    for warning in re.findall(r"UserWarning: (.*)", output):
        match = UNUSED.search(warning)
        if match and match.group(1) in allowed:
            continue
        duplicated = DUPLICATED_INTENTS.search(warning.strip())
        if duplicated and {f"utter_{i.strip()}" for i in duplicated.group(1).split(",")} <= retrieval:
            continue
        if EXTERNAL_WITHOUT_EXAMPLES.search(warning):
            continue
        problems.append(warning.strip())
    if proc.returncode != 0 or problems:
        print(output[-5000:])
        print("\nvalidate: problems in the training data or domain:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"validate: data and domain are clean ({len(allowed)} responses dispatched by actions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
