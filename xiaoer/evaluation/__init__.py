"""Held-out evaluation of the NLU and FAQ matching: `python -m xiaoer.evaluate` (docs/evaluation.md)."""
