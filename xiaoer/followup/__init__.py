"""The follow-up engine: store events drive nudges and notices through Rasa, durably and without spam.

`python -m xiaoer.followup` runs it; `… report` prints what it did; `… bench` measures it.
See docs/followup.md.
"""
