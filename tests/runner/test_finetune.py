"""`make finetune` on the model `make train` built: Rasa accepts it (both runs list the domain's
actions in the same order) and writes the fine-tuned model."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.e2e.conftest import MODEL, ROOT

RASA = ROOT / ".venv" / "bin" / "rasa"


def test_finetuning_the_trained_model_is_accepted(tmp_path: Path) -> None:
    assert MODEL.exists(), "make test trains the model before pytest"
    env = {**os.environ, "PYTHONHASHSEED": "0", "RASA_TELEMETRY_ENABLED": "false"}
    args = ["train", "--finetune", str(MODEL), "--epoch-fraction", "0.05", "--fixed-model-name", "tuned"]
    result = subprocess.run(
        [str(RASA), *args, "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0 and (tmp_path / "tuned.tar.gz").exists(), (
        result.stdout[-2000:] + result.stderr[-2000:]
    )
