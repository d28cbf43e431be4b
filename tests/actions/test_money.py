from actions.common import yuan


def test_money_reads_like_a_price_tag() -> None:
    # The store API returns JSON numbers; 4599.0 must not reach a buyer as "¥4599.0".
    assert yuan(4599.0) == "4599"
    assert yuan(12999.99) == "12999.99"
    assert yuan(0.5) == "0.5"
    assert yuan("n/a") == "n/a"
