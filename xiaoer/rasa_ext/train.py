"""`python -m xiaoer.rasa_ext.train [options]`: `rasa train [options]`, with the TensorFlow models'
training step traced once (xiaoer.rasa_ext.training), sparse features joined directly
(xiaoer.rasa_ext.speedups), each message's data hashed once per change for Rasa's training cache
(xiaoer.rasa_ext.fingerprints) and each YAML file parsed and checked once (xiaoer.rasa_ext.yaml_cache).
`make train` and `make finetune` use it; plain `rasa train` trains the same model, only slower."""

from __future__ import annotations

import sys
from typing import List


def main(argv: List[str] | None = None) -> None:
    from xiaoer.rasa_ext import fingerprints, speedups, training, yaml_cache

    training.install()
    speedups.install_feature_joins()
    fingerprints.install()
    yaml_cache.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", "train", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
