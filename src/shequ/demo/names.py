"""Word lists for plausible (and made-up) place names of a Shenzhen-like district."""

from __future__ import annotations

import random

DISTRICT_NAME = "福田示范区"

STREET_NAMES = ("莲花", "华富", "香蜜湖", "梅林", "沙头", "园岭", "南园", "福保", "景田", "华强北")

# Roots for communities, estates and villages.
# fmt: off
ROOTS = (
    "锦绣", "华富", "景田", "香蜜", "莲花", "翠海", "碧海", "金域", "星河", "城市", "天安", "彩福", "福民",
    "益田", "皇岗", "新洲", "上沙", "下沙", "沙尾", "石厦", "岗厦", "上梅", "下梅", "园岭", "百花", "红荔",
    "振华", "福华", "中康", "嘉汇", "东海", "金海", "海滨", "御景", "怡景", "雅颂", "福景", "彩天", "泰然",
    "车公", "竹林", "紫竹", "安托", "天健", "熙园", "新天", "世纪", "鹏程", "南天", "北城", "水围", "渔农",
    "福强", "福山", "福源", "荔林", "梅岭", "景鹏", "香梅", "侨香", "农园", "八卦", "华新", "通新", "赤尾",
)
# fmt: on
DIRECTIONS = ("东", "西", "南", "北", "中")
ESTATE_SUFFIXES = ("花园", "小区", "新村", "家园", "雅苑", "名苑", "公寓", "华庭", "豪庭", "嘉园", "雅居", "苑")
COMMERCIAL_SUFFIXES = ("大厦", "广场", "商务中心", "科技园", "商业中心", "大楼")


def distinct_names(rng: random.Random, count: int, suffix: str) -> list[str]:
    """``count`` different names: the roots first, then root + direction (景田北社区)."""
    pool = list(ROOTS) + [root + d for root in ROOTS for d in DIRECTIONS]
    first, rest = pool[: len(ROOTS)], pool[len(ROOTS) :]
    rng.shuffle(first)
    rng.shuffle(rest)
    return [name + suffix for name in (first + rest)[:count]]


def estate_name(rng: random.Random) -> str:
    return rng.choice(ROOTS) + rng.choice(ESTATE_SUFFIXES)


def village_name(rng: random.Random) -> str:
    return rng.choice(ROOTS) + "村"


def commercial_name(rng: random.Random) -> str:
    return rng.choice(ROOTS) + rng.choice(COMMERCIAL_SUFFIXES)
