"""Xiaoer's own NLU pieces: Rasa graph components named in config.yml and their plain helpers.

`text`, `attributes` and the matching half of `catalogue` are plain Python (the action server
imports `attributes` too); see docs/nlu-text.md.
"""
