"""`make bench`: Xiaoer's per-message cost beside a bare Rasa echo bot, measured in one run.

echo.py trains and serves the baseline (tiny DIET, rules, in-memory tracker, the same venv);
stack.py starts Xiaoer's store, action server and Rasa on free loopback ports with seeded data;
load.py drives both over REST and measures; __main__.py prints the table (docs: README, Figures).
"""
