"""Xiaoer's own NLU pieces: Rasa graph components named in config.yml and their plain helpers.

`attributes` and the matching half of `catalogue` are plain Python (the action server imports
`attributes` too); text normalisation is the shared `xiaoer.text`; see docs/nlu-text.md.
"""
