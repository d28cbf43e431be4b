"""The console's HTTP surface over a real tracker store, agent store and decision log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.actions.fake_store import ALICE
from tests.console.conftest import (
    SHIPPED_ORDER,
    TRACKING_NO,
    XSS,
    Console,
    save_tracker,
    waiting_conversation,
)


def day() -> tuple:
    now = datetime.now(timezone.utc)
    return now - timedelta(hours=1), now + timedelta(hours=1)


@pytest.fixture()
def waiting(console: Console) -> Console:
    """ALICE waits for a human since 10:00; another buyer since 09:00; a third was handed back."""
    from rasa.shared.core.events import ConversationResumed

    save_tracker(console.tracker_db, ALICE, waiting_conversation(ALICE, at=1_700_003_600.0))
    save_tracker(
        console.tracker_db, "early_bird", waiting_conversation("early_bird", at=1_700_000_000.0, last="在吗")
    )
    save_tracker(
        console.tracker_db,
        "handled",
        waiting_conversation("handled", at=1_700_000_500.0)
        + [ConversationResumed(timestamp=1_700_000_600.0)],
    )
    console.login()
    console.headers = {"X-CSRF-Token": console.csrf()}
    return console


def test_queue_lists_paused_conversations_longest_waiting_first(waiting: Console) -> None:
    from rasa.shared.core.events import UserUttered

    # A follow-up the store triggered is not the buyer's latest words.
    save_tracker(waiting.tracker_db, ALICE, [UserUttered.create_external("EXTERNAL_order_shipped", [])])
    queue = waiting.client.get("/api/queue").json()["queue"]
    assert [q["conversation_id"] for q in queue] == ["early_bird", ALICE]
    assert queue[0]["last_buyer_text"] == "在吗"
    assert queue[1]["last_buyer_text"] == XSS
    assert queue[0]["waiting_seconds"] > queue[1]["waiting_seconds"]


def test_agent_of_another_store_sees_nothing(waiting: Console) -> None:
    waiting.client.cookies.clear()
    waiting.login("mallory")
    assert waiting.client.get("/api/queue").json() == {"queue": []}
    headers = {"X-CSRF-Token": waiting.csrf()}
    assert waiting.client.get(f"/conversations/{ALICE}").status_code == 404
    assert waiting.client.get(f"/api/conversations/{ALICE}").status_code == 404
    assert waiting.client.get(f"/api/conversations/{ALICE}/panel").status_code == 404
    assert waiting.client.get(f"/api/stream?conversation_id={ALICE}").status_code == 404
    for path in ("messages", "hand-back", "suggestions"):
        response = waiting.client.post(
            f"/api/conversations/{ALICE}/{path}", json={"text": "hi"}, headers=headers
        )
        assert response.status_code == 404, path
    assert waiting.rasa.sent == [] and waiting.rasa.handed_back == [] and waiting.suggester.calls == []


def test_unknown_conversation_is_404(waiting: Console) -> None:
    assert waiting.client.get("/conversations/nobody").status_code == 404
    assert waiting.client.get("/api/conversations/nobody").status_code == 404


def test_chat_page_is_public_and_points_at_the_socket_channel(console: Console) -> None:
    page = console.client.get("/chat")
    assert page.status_code == 200
    assert 'data-socket-url="http://127.0.0.1:9"' in page.text
    assert "/static/vendor/socket.io.min.js" in page.text
    assert console.client.get("/static/vendor/socket.io.min.js").text.startswith("/*!\n * Socket.IO v4.")
    assert "<script>" not in page.text  # no inline script: the CSP forbids it


def test_transcript_marks_bot_agent_and_buyer_parts(waiting: Console) -> None:
    from rasa.shared.core.events import BotUttered, UserUttered

    save_tracker(
        waiting.tracker_db,
        ALICE,
        [
            UserUttered.create_external("EXTERNAL_agent_handback", []),
            BotUttered(
                "我是客服小美，马上为您查询。", metadata={"agent": "alice"}, timestamp=1_700_003_700.0
            ),
        ],
    )
    conversation = waiting.client.get(f"/api/conversations/{ALICE}").json()
    roles = [(m["role"], m["text"]) for m in conversation["messages"]]
    assert ("buyer", "我的快递到哪了") in roles
    assert ("bot", "您的订单已发货。") in roles
    assert ("system", "已转人工") in roles
    assert ("agent", "我是客服小美，马上为您查询。") in roles
    assert roles[-1] == ("agent", "我是客服小美，马上为您查询。")
    # A triggered intent is not something the buyer said.
    assert not any("EXTERNAL" in text for _, text in roles)
    assert conversation["paused"] is True
    assert conversation["slots"] == {"order_id": SHIPPED_ORDER}
    bot = next(m for m in conversation["messages"] if m["text"] == "您的订单已发货。")
    assert bot["buttons"] == [{"title": "转人工", "payload": "/request_human"}]


def test_buyer_markup_is_escaped_in_pages(waiting: Console) -> None:
    # The console page carries the buyer id; a hostile one must come out escaped.
    hostile = '"><img src=x onerror=alert(1)>'
    save_tracker(waiting.tracker_db, hostile, waiting_conversation(hostile))
    page = waiting.client.get(f"/conversations/{requests.utils.quote(hostile, safe='')}")
    assert page.status_code == 200
    assert hostile not in page.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page.text
    # Transcripts go out as JSON, rendered by textContent; the CSP forbids inline scripts.
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "innerHTML" not in (
        waiting.client.get("/static/console.js").text + waiting.client.get("/static/chat.js").text
    )


def test_panel_shows_the_buyers_orders_shipment_and_product(waiting: Console) -> None:
    from rasa.shared.core.events import SlotSet

    waiting.store.put_product(
        "TV-65E7K", "海悦 65E7K 65英寸 电视", "电视", 4999, 12, attributes={"刷新率": "144Hz"}
    )
    save_tracker(waiting.tracker_db, ALICE, [SlotSet("product_sku", "TV-65E7K", timestamp=1_700_003_700.0)])
    panel = waiting.client.get(f"/api/conversations/{ALICE}/panel").json()
    assert [o["order_id"] for o in panel["orders"]] == [SHIPPED_ORDER]
    assert panel["orders"][0]["status_label"] == "已发货"
    assert panel["order"]["order_id"] == SHIPPED_ORDER
    assert panel["shipment"]["tracking_no"] == TRACKING_NO
    assert panel["shipment"]["latest"]["description"] == "快件已到达杭州转运中心"
    assert panel["product"]["name"] == "海悦 65E7K 65英寸 电视"
    assert panel["product"]["attributes"] == {"刷新率": "144Hz"}


def test_panel_survives_the_store_being_down(waiting: Console) -> None:
    waiting.store.down = True
    panel = waiting.client.get(f"/api/conversations/{ALICE}/panel").json()
    assert panel["error"] and panel["orders"] == [] and panel["shipment"] is None


def test_accepting_a_suggestion_sends_it_and_records_the_decision(waiting: Console) -> None:
    suggestions = waiting.client.post(
        f"/api/conversations/{ALICE}/suggestions", headers=waiting.headers
    ).json()["suggestions"]
    assert [s["intent"] for s in suggestions] == ["query_logistics", "urge_shipment"]
    first = suggestions[0]
    assert TRACKING_NO in first["text"]
    url = f"/api/conversations/{ALICE}/suggestions/{first['suggestion_id']}"
    assert waiting.client.post(url + "/accept", headers=waiting.headers).status_code == 200
    assert waiting.rasa.sent == [
        {
            "conversation_id": ALICE,
            "text": first["text"],
            "agent_id": "alice",
            "buttons": [{"title": "转人工", "payload": "/request_human"}],
            "custom": None,
        }
    ]
    # Twice is a conflict, not a second message.
    assert waiting.client.post(url + "/accept", headers=waiting.headers).status_code == 409
    assert len(waiting.rasa.sent) == 1
    start, end = day()
    shown = {row["suggestion_id"]: row for row in waiting.decisions.suggestions_between(start, end)}
    assert set(shown) == {s["suggestion_id"] for s in suggestions}
    record = waiting.decisions.suggestion(first["suggestion_id"])
    assert record["decision"] == "accepted" and record["final_text"] == first["text"]
    assert record["seconds_to_send"] is not None and record["seconds_to_send"] >= 0
    messages = waiting.decisions.agent_messages_between(start, end)
    assert [(m["text"], m["suggestion_id"]) for m in messages] == [(first["text"], first["suggestion_id"])]


def test_edit_reject_free_text_and_hand_back(waiting: Console) -> None:
    suggestions = waiting.client.post(
        f"/api/conversations/{ALICE}/suggestions", headers=waiting.headers
    ).json()["suggestions"]
    base = f"/api/conversations/{ALICE}/suggestions/"
    edited = suggestions[0]["suggestion_id"]
    rejected = suggestions[1]["suggestion_id"]
    assert (
        waiting.client.post(
            base + edited + "/edit", json={"text": "   "}, headers=waiting.headers
        ).status_code
        == 400
    )
    response = waiting.client.post(
        base + edited + "/edit", json={"text": "改过的回复：明天到。"}, headers=waiting.headers
    )
    assert response.status_code == 200
    assert waiting.client.post(base + rejected + "/reject", headers=waiting.headers).status_code == 200
    assert waiting.client.post(base + "made-up/accept", headers=waiting.headers).status_code == 404
    free = waiting.client.post(
        f"/api/conversations/{ALICE}/messages", json={"text": XSS}, headers=waiting.headers
    )
    assert free.status_code == 200
    too_long = waiting.client.post(
        f"/api/conversations/{ALICE}/messages", json={"text": "长" * 2001}, headers=waiting.headers
    )
    assert too_long.status_code == 400
    assert [m["text"] for m in waiting.rasa.sent] == ["改过的回复：明天到。", XSS]
    assert waiting.decisions.suggestion(edited)["decision"] == "edited"
    assert waiting.decisions.suggestion(edited)["final_text"] == "改过的回复：明天到。"
    assert waiting.decisions.suggestion(rejected)["decision"] == "rejected"
    start, end = day()
    messages = waiting.decisions.agent_messages_between(start, end)
    assert [(m["text"], m["suggestion_id"]) for m in messages] == [
        ("改过的回复：明天到。", edited),
        (XSS, None),
    ]
    assert (
        waiting.client.post(f"/api/conversations/{ALICE}/hand-back", headers=waiting.headers).status_code
        == 200
    )
    assert waiting.rasa.handed_back == [(ALICE, "alice")]


def test_rasa_down_gets_a_clear_error_and_the_suggestion_stays_open(waiting: Console) -> None:
    suggestion = waiting.client.post(
        f"/api/conversations/{ALICE}/suggestions", headers=waiting.headers
    ).json()["suggestions"][0]
    url = f"/api/conversations/{ALICE}/suggestions/{suggestion['suggestion_id']}/accept"
    waiting.rasa.down = True
    response = waiting.client.post(url, headers=waiting.headers)
    assert response.status_code == 503 and "稍后" in response.json()["detail"]
    assert waiting.decisions.suggestion(suggestion["suggestion_id"])["decision"] is None
    waiting.rasa.down = False
    assert waiting.client.post(url, headers=waiting.headers).status_code == 200


def test_stream_pushes_the_queue_and_new_buyer_messages(waiting: Console) -> None:
    from rasa.shared.core.events import UserUttered

    response = waiting.client.get(f"/api/stream?conversation_id={ALICE}", stream=True)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = []
    lines = response.iter_lines(chunk_size=1, decode_unicode=True)

    def read_until(predicate, limit=40):
        name = None
        for line in lines:
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: ") and name:
                events.append((name, json.loads(line[len("data: ") :])))
                if predicate(events[-1]):
                    return events[-1]
            if len(events) > limit:
                break
        raise AssertionError(events)

    queue = read_until(lambda e: e[0] == "queue")[1]
    assert [q["conversation_id"] for q in queue] == ["early_bird", ALICE]
    read_until(lambda e: e[0] == "conversation")
    save_tracker(waiting.tracker_db, ALICE, [UserUttered("还有多久到？", timestamp=1_700_003_800.0)])
    update = read_until(lambda e: e[0] == "conversation")[1]
    assert update["messages"][-1] == {**update["messages"][-1], "role": "buyer", "text": "还有多久到？"}
    # A new waiting conversation appears by itself.
    save_tracker(waiting.tracker_db, "newcomer", waiting_conversation("newcomer", last="人呢"))
    queue = read_until(lambda e: e[0] == "queue" and any(q["conversation_id"] == "newcomer" for q in e[1]))[1]
    assert "newcomer" in [q["conversation_id"] for q in queue]
    response.close()
