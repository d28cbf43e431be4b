"""Xiaoer (店小二): self-hosted smart customer service for online stores.

The Rasa assistant lives at the repository root; this package holds our own
services (the reference store backend, the demo store, the process runner).
"""

__version__ = "0.1.0"
