"""The metrics command on a scripted day: conversations in a real SQL tracker store, decisions in the log."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.assist.scripted_day import (
    ROOT,
    record_decisions,
    save_trackers,
    scripted_conversations,
)
from xiaoer.assist.decisions import DecisionLog
from xiaoer.assist.metrics import main


@pytest.fixture
def scripted_day(tmp_path, monkeypatch):
    save_trackers(tmp_path / "tracker.db", scripted_conversations())
    record_decisions(DecisionLog(f"sqlite:///{tmp_path / 'assist.db'}"))
    env = {
        "XIAOER_ASSIST_DATABASE_URL": f"sqlite:///{tmp_path / 'assist.db'}",
        "XIAOER_TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "XIAOER_STORE_TIMEZONE": "Asia/Shanghai",
    }

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env


EXPECTED_DAY = """\
2026-11-24 (Asia/Shanghai)
  assisted-reply rate       50.0%  (2 of 4 agent messages sent from a suggestion)
  suggestions shown             6  (accepted 1, edited 1, rejected 2)
  median time to send      21.0 s  (accepted and edited suggestions)
  answer trigger rate       42.9%  (3 of 7 buyer messages got a substantive bot answer)
  hand-off rate             33.3%  (1 of 3 conversations handed to a human)
  auto-resolution rate      33.3%  (1 of 3 conversations answered by the bot alone)
"""


def test_a_scripted_day_prints_the_right_figures(scripted_day, capsys):
    assert main(["--day", "2026-11-24"]) == 0

    assert capsys.readouterr().out == EXPECTED_DAY


def test_a_range_prints_one_block_per_day_and_json_on_request(scripted_day, capsys):
    assert main(["--from", "2026-11-23", "--to", "2026-11-25", "--json"]) == 0

    days = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["day"] for d in days] == ["2026-11-23", "2026-11-24", "2026-11-25"]
    before, day, after = days
    assert (before["agent_messages"], before["assisted_reply_rate"], before["suggestions_shown"]) == (
        1,
        1.0,
        3,
    )
    assert (before["buyer_messages"], before["answered_messages"], before["median_seconds_to_send"]) == (
        1,
        1,
        99,
    )
    assert day["answer_trigger_rate"] == pytest.approx(3 / 7)
    assert (day["accepted"], day["edited"], day["rejected"]) == (1, 1, 2)
    assert (after["agent_messages"], after["assisted_reply_rate"], after["buyer_messages"]) == (1, 0.0, 1)


def test_the_command_runs_as_a_module(scripted_day):
    result = subprocess.run(
        [sys.executable, "-m", "xiaoer.assist.metrics", "--day", "2026-11-24"],
        cwd=ROOT,
        env={**os.environ, **scripted_day},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED_DAY


@pytest.mark.parametrize(
    "argv",
    [
        ["--day", "24/11/2026"],
        ["--day", "2026-11-24", "--from", "2026-11-01"],
        ["--from", "2026-11-02"],
        ["--from", "2026-11-05", "--to", "2026-11-01"],
    ],
)
def test_bad_arguments_are_refused_with_a_message(scripted_day, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)

    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_no_tracker_database_yet_is_not_an_error(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "tracker.db"
    assert (
        main(
            [
                "--day",
                "2026-11-24",
                "--assist-db",
                f"sqlite:///{tmp_path / 'a.db'}",
                "--tracker-db",
                f"sqlite:///{missing}",
            ]
        )
        == 0
    )

    assert "0 of 0 buyer messages" in capsys.readouterr().out
    assert not missing.exists()
