"""The demo store of 海悦电器官方旗舰店 (fictional brand 海悦 / HaiYue).

- catalog.yml, catalog.py: the hand-written catalogue and its reader.
- generate.py: buyers, orders, shipments and promotions, deterministic around a given moment.
- load.py: puts all of it into a store through the Store API (`python -m xiaoer.demo load`).
- userdict.py: the jieba user dictionary and the NLU product lookup table, from the catalogue
  (`python -m xiaoer.demo userdict`).
"""

from __future__ import annotations

from datetime import timedelta, timezone

# China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
STORE_NAME = "海悦电器官方旗舰店"
