"""Catalogue matching, attribute words, and the live source against a real store on loopback."""

from __future__ import annotations

import secrets
import time

import pytest
import requests
from rasa.shared.nlu.training_data.message import Message

from tests.store.conftest import serve
from tests.support import free_port
from xiaoer.demo.catalog import load_catalog
from xiaoer.nlu import attributes
from xiaoer.nlu.catalogue import (
    EXTRACTOR,
    CatalogueEntityExtractor,
    CatalogueIndex,
    CatalogueSettings,
    CatalogueSource,
    merge_entities,
)
from xiaoer.store.app import create_app
from xiaoer.storeapi.client import StoreClient
from xiaoer.text import normalize_text

TV_65 = {
    "sku": "HY-TV-65E7K",
    "name": "海悦 65E7K 65英寸 144Hz 电视",
    "category": "电视",
    "aliases": ["65E7K", "E7K 65寸", "65寸E7K"],
    "attributes": {"屏幕尺寸": "65英寸", "刷新率": "144Hz", "能效等级": "一级能效"},
}
TV_75 = {**TV_65, "sku": "HY-TV-75E7K", "aliases": ["75E7K", "E7K 75寸", "75寸E7K"]}
FRIDGE = {
    "sku": "HY-BCD-536",
    "name": "海悦 536升 十字门冰箱",
    "category": "冰箱",
    "aliases": ["BCD-536WFK1DPUJ", "十字门冰箱"],
    "attributes": {"总容积": "536L", "冷藏室容积": "305L", "能效等级": "一级能效"},
}


@pytest.fixture(scope="module")
def index() -> CatalogueIndex:
    return CatalogueIndex([TV_65, TV_75, FRIDGE, {"sku": "", "aliases": ["junk"]}, {"sku": "X1"}])


def products(text: str, index: CatalogueIndex):
    norm = normalize_text(text)
    return [(norm[m.start : m.end], m.sku, m.value, m.how) for m in index.find(norm)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("65E7K", [("65E7K", "HY-TV-65E7K", "65E7K", "exact")]),
        ("我想问下65E7K的", [("65E7K", "HY-TV-65E7K", "65E7K", "exact")]),
        ("我想问下６５ｅ７ｋ的", [("65E7K", "HY-TV-65E7K", "65E7K", "exact")]),
        ("E7K 65寸", [("E7K 65寸", "HY-TV-65E7K", "E7K 65寸", "exact")]),
        ("e7k65寸多少钱", [("E7K65寸", "HY-TV-65E7K", "E7K 65寸", "exact")]),
        ("65寸的E7K", [("65寸的E7K", "HY-TV-65E7K", "65E7K", "parts")]),
        ("E7K的75寸 几级能效", [("E7K的75寸", "HY-TV-75E7K", "75E7K", "parts")]),
        ("65 E7K", [("65 E7K", "HY-TV-65E7K", "65E7K", "exact")]),
        ("BCD-536WFK1DPU总容积", [("BCD-536WFK1DPU", "HY-BCD-536", "BCD-536WFK1DPUJ", "typo")]),
        ("十字门冰箱冷藏室多大", [("十字门冰箱", "HY-BCD-536", "十字门冰箱", "exact")]),
        (
            "65E7K和75E7K哪个好",
            [
                ("65E7K", "HY-TV-65E7K", "65E7K", "exact"),
                ("75E7K", "HY-TV-75E7K", "75E7K", "exact"),
            ],
        ),
    ],
)
def test_product_mentions(text, expected, index) -> None:
    assert products(text, index) == expected


@pytest.mark.parametrize(
    "text",
    ["165E7K", "65E7KPRO", "E7K", "E7K电视怎么样", "55寸的E7K", "冰箱", "", "BCD-536"],
)
def test_no_product_when_none_is_meant_or_it_is_ambiguous(text, index) -> None:
    assert products(text, index) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("多大", "屏幕尺寸"),
        ("几级能效", "能效等级"),
        ("刷新率多少", "刷新率"),
        ("這款的解析度", "分辨率"),
        ("120hz吗", "刷新率"),
        ("冷藏室多大", "冷藏室容积"),
    ],
)
def test_attribute_words_map_to_display_names(text, expected) -> None:
    assert attributes.candidates(text)[0] == expected


def test_one_character_words_need_a_question_word() -> None:
    assert [m[2] for m in attributes.find_mentions("这台冰箱多少升")] == [("总容积", "容量")]
    assert attributes.find_mentions("升级了吗") == []
    assert attributes.find_mentions("十字门冰箱") == []


def entities(text: str, index, existing=()):
    norm = normalize_text(text)
    found = merge_entities(norm, list(existing), index)
    return norm, [(e["entity"], norm[e["start"] : e["end"]], e["value"]) for e in found]


def test_catalogue_product_replaces_overlapping_extractor_guesses(index) -> None:
    norm = normalize_text("我想问下65寸的E7K几级能效")
    guess, asked = norm.index("的E7"), norm.index("几级能效")
    diet = [
        {"entity": "product", "start": guess, "end": guess + 3, "value": "的E7", "extractor": "DIET"},
        {"entity": "attribute", "start": asked, "end": asked + 4, "value": "几级能效", "extractor": "DIET"},
    ]
    found = merge_entities(norm, diet, index)
    assert [(e["entity"], e["value"], e["extractor"]) for e in found] == [
        ("product", "65E7K", EXTRACTOR),
        ("attribute", "能效等级", "DIET"),
    ]
    assert found[0]["sku"] == "HY-TV-65E7K"
    assert found[1]["processors"] == [EXTRACTOR]  # who changed DIET's value, as Rasa records it
    assert norm[found[1]["start"] : found[1]["end"]] == "几级能效"


def test_an_extractors_attribute_inside_a_product_name_is_dropped(index) -> None:
    norm = normalize_text("请问65E7K几级能效")
    inside, asked = norm.index("E7K"), norm.index("几级能效")
    diet = [
        {"entity": "attribute", "start": inside, "end": inside + 3, "value": "E7K", "extractor": "DIET"},
        {"entity": "attribute", "start": asked, "end": asked + 4, "value": "几级能效", "extractor": "DIET"},
    ]
    found = merge_entities(norm, diet, index)
    assert [(e["entity"], e["value"]) for e in found] == [("product", "65E7K"), ("attribute", "能效等级")]


def test_a_partly_tagged_attribute_grows_to_the_whole_mention() -> None:
    norm = normalize_text("幾級能效")
    diet = [{"entity": "attribute", "start": 2, "end": 4, "value": "能效", "extractor": "DIET"}]
    (found,) = merge_entities(norm, diet, None)
    assert (found["start"], found["end"], found["value"]) == (0, 4, "能效等级")
    wider = [{"entity": "attribute", "start": 4, "end": 7, "value": "多少升", "extractor": "DIET"}]
    (kept,) = merge_entities(normalize_text("这台冰箱多少升"), wider, None)
    assert (kept["start"], kept["end"], kept["value"]) == (4, 7, "多少升")


def test_ambiguous_word_resolved_by_the_named_product_or_category(index) -> None:
    assert entities("65E7K多大", index)[1] == [
        ("product", "65E7K", "65E7K"),
        ("attribute", "多大", "屏幕尺寸"),
    ]
    assert entities("十字门冰箱多大", index)[1][1] == ("attribute", "多大", "总容积")
    assert entities("这台冰箱多大", index)[1] == [("attribute", "多大", "总容积")]
    # No catalogue, no product: the buyer's word stays for the action to resolve.
    assert entities("这台冰箱多大", None)[1] == [("attribute", "多大", "多大")]


def test_without_a_catalogue_other_extractors_stand(index) -> None:
    regex = [
        {"entity": "product", "start": 0, "end": 5, "value": "65E7K", "extractor": "RegexEntityExtractor"}
    ]
    assert entities("65E7K的刷新率", None, regex)[1] == [
        ("product", "65E7K", "65E7K"),
        ("attribute", "刷新率", "刷新率"),
    ]
    # An unknown model DIET found is kept: the action tells the buyer it is not in the store.
    diet = [{"entity": "product", "start": 0, "end": 5, "value": "99Z9Z", "extractor": "DIETClassifier"}]
    assert entities("99Z9Z的刷新率", index, diet)[1][0] == ("product", "99Z9Z", "99Z9Z")


def test_an_attribute_name_only_the_catalogue_has_is_an_attribute_mention() -> None:
    index = CatalogueIndex(
        [
            {
                "sku": "TV-77Q9X",
                "aliases": ["77Q9X"],
                "attributes": {"屏幕尺寸": "77英寸", "待机功耗": "0.5W"},
            }
        ]
    )

    assert entities("77Q9X的待机功耗多大", index)[1] == [
        ("product", "77Q9X", "77Q9X"),
        ("attribute", "待机功耗", "待机功耗"),
    ]
    # Without that product the word is unknown and nothing is made up.
    assert entities("77Q9X的待机功耗", CatalogueIndex([]))[1] == []


@pytest.mark.parametrize("with_catalogue", [True, False])
def test_a_punctuation_only_guess_is_no_product(index, with_catalogue) -> None:
    diet = [{"entity": "product", "start": 17, "end": 18, "value": "/", "extractor": "DIETClassifier"}]

    assert entities("<script>alert(1)</script>", index if with_catalogue else None, diet)[1] == []


def test_demo_catalogue_every_alias_is_found_as_its_own_product() -> None:
    catalogue = load_catalog()
    index = CatalogueIndex(catalogue)
    for product in catalogue:
        for alias in product["aliases"]:
            found = index.find(normalize_text(f"请问{alias}的能效等级"))
            assert [m.sku for m in found] == [product["sku"]], alias


# --- the live source -----------------------------------------------------------------------------


class CountingSession(requests.Session):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.headers["Authorization"] = f"Bearer {token}"
        self.statuses: list[int] = []

    def get(self, *args, **kwargs):
        response = super().get(*args, **kwargs)
        self.statuses.append(response.status_code)
        return response


@pytest.fixture
def live_store(tmp_path):
    token = secrets.token_urlsafe(8)
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", token)
    with serve(app) as url:
        yield url, token


def put(url: str, token: str, product: dict) -> None:
    body = {k: v for k, v in product.items() if k != "sku"}
    body.update(price=4999, stock=3)
    response = requests.put(
        f"{url}/api/products/{product['sku']}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code in (200, 201), response.text


def test_a_put_product_is_known_at_the_next_check_and_unchanged_costs_a_304(live_store) -> None:
    url, token = live_store
    session = CountingSession(token)
    settings = CatalogueSettings(url, token, 2.0, 60.0)
    source = CatalogueSource(settings, StoreClient(url, token, settings.timeout, session, read_attempts=1))
    put(url, token, TV_65)
    assert set(source.current().products) == {"HY-TV-65E7K"}
    assert source.current() is source.current()
    assert session.statuses == [200, 304, 304]
    put(url, token, {**FRIDGE, "aliases": ["新品X9冰箱"]})
    found = source.current().find(normalize_text("新品x9冰箱多少升"))
    assert [m.sku for m in found] == ["HY-BCD-536"]
    assert session.statuses[-1] == 200


def test_in_the_background_a_message_never_waits_and_a_put_is_known_within_the_refresh(live_store) -> None:
    url, token = live_store
    put(url, token, TV_65)
    session = CountingSession(token)
    settings = CatalogueSettings(url, token, 2.0, 60.0, refresh_every=0.2)
    source = CatalogueSource(settings, StoreClient(url, token, settings.timeout, session, read_attempts=1))
    try:
        assert set(source.current().products) == {"HY-TV-65E7K"}  # the first message loads it
        asked = len(session.statuses)
        for _ in range(50):
            source.current()
        assert len(session.statuses) - asked <= 2  # messages do not ask; the refresher does
        put(url, token, FRIDGE)
        deadline = time.monotonic() + 5
        while "HY-BCD-536" not in source.current().products:
            assert time.monotonic() < deadline, "the new product never arrived"
            time.sleep(0.05)
    finally:
        source.stop()


def test_store_down_keeps_the_last_catalogue_and_waits_before_asking_again(tmp_path) -> None:
    token = "t"
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}", token)
    with serve(app) as url:
        put(url, token, TV_65)
        session = CountingSession(token)
        settings = CatalogueSettings(url, token, 1.0, 0.3)
        source = CatalogueSource(
            settings, StoreClient(url, token, settings.timeout, session, read_attempts=1)
        )
        known = source.current()
        assert "HY-TV-65E7K" in known.products
    started = time.monotonic()
    assert source.current() is known  # the store is gone: last known catalogue, no exception
    assert source.current() is known  # within retry_after: not even asked
    assert time.monotonic() - started < 1.5
    assert len(session.statuses) == 1


def test_no_store_at_all_means_no_catalogue_and_a_quick_answer() -> None:
    settings = CatalogueSettings(f"http://127.0.0.1:{free_port()}", "t", 0.5, 5.0)
    source = CatalogueSource(settings)
    started = time.monotonic()
    assert source.current() is None
    assert time.monotonic() - started < 1.0


def test_wrong_token_or_garbage_is_a_failed_check(live_store) -> None:
    url, token = live_store
    put(url, token, TV_65)
    assert CatalogueSource(CatalogueSettings(url, "wrong", 1.0, 5.0)).current() is None


def test_component_reads_env_and_never_asks_at_construction(monkeypatch) -> None:
    port = free_port()
    monkeypatch.setenv("XIAOER_STORE_URL", f"http://127.0.0.1:{port}/")
    monkeypatch.setenv("XIAOER_STORE_TOKEN", "secret")
    monkeypatch.setenv("XIAOER_CATALOGUE_TIMEOUT", "0.2")
    component = CatalogueEntityExtractor.create({}, None, None, None)
    settings = component.source.settings
    assert settings == CatalogueSettings(f"http://127.0.0.1:{port}", "secret", 0.2, 5.0, refresh_every=1.0)
    assert component.source._client is None  # nothing opened yet


def test_attribute_words_count_only_in_product_questions() -> None:
    # "收到屏幕裂了怎么退货" is about a broken screen, not the screen size.
    settings = CatalogueSettings(f"http://127.0.0.1:{free_port()}", "t", 0.2, 5.0)
    component = CatalogueEntityExtractor(CatalogueSource(settings))
    text = normalize_text("电视收到屏幕裂了怎么退货")
    returns = Message(data={"text": text, "intent": {"name": "ask_return_refund", "confidence": 0.99}})
    asked = Message(
        data={
            "text": normalize_text("屏幕多大"),
            "intent": {"name": "ask_product_attribute", "confidence": 0.9},
        }
    )
    component.process([returns, asked])
    assert returns.get("entities") == []
    assert [(e["entity"], e["value"]) for e in asked.get("entities")] == [("attribute", "屏幕尺寸")]


class FixedCatalogue:
    """A catalogue source that always has these products."""

    def __init__(self, *products) -> None:
        self.index = CatalogueIndex(products)

    def current(self) -> CatalogueIndex:
        return self.index


XH9 = {
    "sku": "AC-XH9",
    "category": "空调",
    "aliases": ["星河XH9"],
    "attributes": {"能效等级": "新一级能效", "新风换气量": "40m³/h"},
}


def message(text: str, intent: str, confidence: float = 0.97) -> Message:
    ranking = [
        {"name": intent, "confidence": confidence},
        {"name": "ask_product_attribute", "confidence": 0.02},
    ]
    return Message(
        data={
            "text": normalize_text(text),
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking,
        }
    )


def test_a_named_products_new_attribute_makes_a_presale_guess_an_attribute_question() -> None:
    asked = message("星河XH9的新风换气量多大", "ask_presale", 0.54)

    CatalogueEntityExtractor(FixedCatalogue(XH9)).process([asked])

    assert asked.get("intent") == {"name": "ask_product_attribute", "confidence": 1.0}
    assert [r["name"] for r in asked.get("intent_ranking")] == ["ask_product_attribute", "ask_presale"]
    assert asked.get("catalogue_intent") == {"overruled": "ask_presale", "attributes": ["新风换气量"]}
    assert [(e["entity"], e["value"]) for e in asked.get("entities")] == [
        ("product", "星河XH9"),
        ("attribute", "新风换气量"),
    ]


@pytest.mark.parametrize(
    "text, intent",
    [
        ("星河XH9的新风换气量不对 我要退货", "ask_return_refund"),  # not a pre-sale guess: left alone
        ("星河XH9一级能效能领补贴吗", "ask_presale"),  # a word the classifier knows: its call stands
        ("新风换气量多大的空调好", "ask_presale"),  # no product named
        ("海悦其他空调的新风换气量多大", "ask_presale"),
    ],
)
def test_the_intent_stands_otherwise(text, intent) -> None:
    asked = message(text, intent)

    CatalogueEntityExtractor(FixedCatalogue(XH9)).process([asked])

    assert asked.get("intent")["name"] == intent
    assert asked.get("catalogue_intent") is None


@pytest.fixture(scope="module")
def demo_index() -> CatalogueIndex:
    return CatalogueIndex(load_catalog())


@pytest.mark.parametrize(
    "text, attribute",
    [
        # Attribute names that also describe the product ("零冷水款") are not the question.
        ("JSQ25-13WT零冷水款能效几级", "能效等级"),
        ("JZT-B512熄火保护款火力多大", "热负荷"),
        # Asked about, they are.
        ("JSQ25-13WT有零冷水吗", "零冷水"),
        ("JZT-B512的熄火保护是什么", "熄火保护"),
    ],
)
def test_descriptive_attribute_names_count_only_when_asked(demo_index, text, attribute) -> None:
    found = [value for kind, _, value in entities(text, demo_index)[1] if kind == "attribute"]

    assert found == [attribute]


def test_a_descriptive_name_does_not_overrule_a_presale_question(demo_index) -> None:
    asked = message("JSQ25-13WT零冷水款是全新机吗", "ask_presale")

    CatalogueEntityExtractor(FixedCatalogue(*load_catalog())).process([asked])

    assert asked.get("intent")["name"] == "ask_presale"
