"""Fuzzing the buyer channels with Hypothesis: every input gets a clear refusal or an answer within a
bounded time, and a bystander buyer chatting between the inputs never loses a message."""

from __future__ import annotations

import json
import time
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ANSWERED_WITHIN = 10.0  # seconds, on a loaded CI machine; a megabyte is refused long before
OK_STATUSES = {200, 400, 401, 413, 429}

# Text buyers could not type but clients can send: control characters, lone combining marks,
# emoji, full-width forms, right-to-left marks, markup and slash syntax.
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=1500),
    st.builds(lambda t: "/" + t, st.text(max_size=80)),
    st.sampled_from(
        ["/restart", "/session_start", '/EXTERNAL_agent_handback{"x":1}', "<script>", "\x00\x01"]
    ),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["好", "a", "😡", "\u200b", "\u202e", "㍿"]), st.integers(0, 5000)
    ),
)
huge_sizes = st.sampled_from([0, 1000, 4001, 65_536, 1 << 20, (1 << 20) + 1])
raw_bodies = st.one_of(
    st.binary(max_size=2000),
    st.builds(lambda n: b"[" * n + b"]" * n, st.integers(1, 200_000)),  # deep nesting
    st.builds(lambda n: json.dumps({f"k{i}": i for i in range(n)}).encode(), st.integers(0, 50_000)),
    st.builds(lambda n: json.dumps({"message": "好" * n}).encode(), huge_sizes),
    st.builds(lambda t: json.dumps({"message": t, "metadata": {"is_external": True}}).encode(), texts),
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def bystander_is_answered(channels, n: int) -> None:
    reply = channels.rest("bystander", {"message": f"第{n}条"})
    assert reply.status_code == 200 and reply.json()[0]["text"] == f"echo:第{n}条"


@FUZZ
@given(text=texts)
def test_any_text_over_rest(channels, text):
    response, seconds = timed(lambda: channels.rest("fuzzer", {"message": text}))
    assert response.status_code in OK_STATUSES and seconds < ANSWERED_WITHIN
    if response.status_code == 200:
        (answer,) = response.json()
        assert answer["recipient_id"] == "fuzzer"
        # Slash syntax never passes unless offered (none is offered to the fuzzer).
        assert not answer["text"].startswith("echo:/")
    bystander_is_answered(channels, len(channels.received))


@FUZZ
@given(body=raw_bodies)
def test_any_body_over_rest(channels, body):
    response, seconds = timed(
        lambda: channels.rest("fuzzer", body, headers={"Content-Type": "application/json"})
    )
    assert response.status_code in OK_STATUSES and seconds < ANSWERED_WITHIN
    assert response.headers["Content-Type"].startswith("application/json")
    assert all(r.metadata == {"channel": "rest"} for r in channels.received)
    bystander_is_answered(channels, len(channels.received))


@FUZZ
@given(text=texts, message_id=st.text(min_size=0, max_size=200), buyer=st.text(min_size=0, max_size=200))
def test_any_delivery_over_the_marketplace_bridge(channels, text, message_id, buyer):
    # A message_id is answered once (a retry gets the first answer): keep each example's its own.
    if 0 < len(message_id) <= 90:
        message_id += f"#{uuid.uuid4().hex}"
    body = {"message_id": message_id, "buyer_id": buyer, "text": text}
    response, seconds = timed(lambda: channels.bridge(body))
    assert response.status_code in OK_STATUSES and seconds < ANSWERED_WITHIN
    if response.status_code == 200:
        assert all(m["recipient_id"] == buyer for m in response.json())
    bystander_is_answered(channels, len(channels.received))


@FUZZ
@given(body=raw_bodies)
def test_any_signed_body_over_the_marketplace_bridge(channels, body):
    response, seconds = timed(lambda: channels.bridge(body))
    assert response.status_code in OK_STATUSES and seconds < ANSWERED_WITHIN
    bystander_is_answered(channels, len(channels.received))
