"""The labelled corpus, generated deterministically from a seed.

Four ways of writing (a resident's own words, a grid worker's terse patrol note, a
12345 operator's transcription, a short mobile message), each with its own templates,
places and openers, and noise on top: typos (a dropped, doubled or swapped character)
and homophones (a character swapped for another with the same pinyin, as a pinyin IME
does). The held-back part is written apart: its templates, places, openers, asks and sayings
(every fourth of each category's sayings) never appear in the training part; the short
words for things and states are the category's vocabulary and used by both parts.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from .sayings import TRAIN_ONLY
from .vocabulary import VOCABULARY, entries

CATALOG = Path(__file__).resolve().parents[2] / "events" / "data" / "catalog.json"


def catalog_words() -> dict[str, list[str]]:
    """The catalog's own name and keywords per leaf: the training part also learns the catalogue's terms."""
    rows = json.loads(CATALOG.read_text(encoding="utf-8"))["categories"]
    return {
        r["code"]: [r["name"], *[k for k in r.get("keywords", "").split(",") if k]]
        for r in rows
        if r["code"] in VOCABULARY
    }


# fmt: off
# Places, openers and asks: the training part's and the held-back part's, disjoint.
PLACES = {
    "train": ["小区门口", "菜市场旁边", "学校对面", "公交站边上", "楼下", "3栋楼下", "地铁站B出口", "幼儿园门口",
              "振华路和华发路路口", "红荔路上", "巷子里", "停车场入口", "商场后门", "医院旁边", "公园东门",
              "莲花路12号附近", "我家楼下", "社区服务中心边上", "天桥下面", "农贸市场里", "城中村里面", "河边"],
    "held": ["新村南门", "超市后面", "5号楼后面", "小学门口那条街", "加油站旁", "体育馆外面", "银行门口",
             "福华三路中段", "桥底下", "写字楼下面", "单元门口", "村口牌坊那", "益田路88号", "广场东侧"],
}
OPENERS = {
    "train": ["你好，", "您好，", "我要反映一下，", "麻烦问下，", "喂，", "我想投诉，", "", "", "请问，"],
    "held": ["在吗？", "同志你好，", "跟你们说个事，", "紧急情况！", "又来反映了，", ""],
}
ASKS = {
    "train": ["请尽快处理。", "麻烦派人来看看。", "希望有人管管。", "谢谢！", "", "请相关部门处理。", "太影响生活了。"],
    "held": ["能不能快点解决", "都反映好几次了", "赶紧的", "拜托了。", "", "看怎么办吧"],
}
TEMPLATES = {
    # {o} opener, {p} place, {s} what is said, {t} thing, {x} state, {a} ask
    "train": {
        "resident": ["{o}{p}{s}，{a}", "{o}{s}，就在{p}，{a}", "{p}{s}{a}", "{o}{p}这边{s}"],
        "patrol": ["{p}{t}{x}", "巡查发现{p}{t}{x}", "{t}{x}，位置{p}", "{p}：{t}{x}，已拍照"],
        "operator": ["市民来电反映：{p}{s}，要求处理。", "来电人称{p}{s}，请核实处置。",
                     "市民反映{s}，地点{p}，希望尽快解决。"],
        "short": ["{t}{x}", "{s}", "{p}{t}", "{k}", "{p}{k}{x}", "{o}{k}，{a}"],
    },
    "held": {
        "resident": ["{o}我们这里{p}{s}，{a}", "{s}！！{p}，{a}", "{o}{s}，{a}地址{p}"],
        "patrol": ["现场{p}存在{t}{x}情况", "网格员上报：{t}{x}（{p}）"],
        "operator": ["市民通过12345热线反映，{p}{s}，诉求：请相关部门处理。", "来电反映{p}一带{s}。"],
        "short": ["{p}{s}", "{t}！{x}"],
    },
}
STYLE_WEIGHTS = {"resident": 4, "patrol": 3, "operator": 2, "short": 1}
# fmt: on

HELD_EVERY = 4  # every fourth vocabulary entry belongs to the held-back part


@dataclass(frozen=True)
class Example:
    text: str
    code: str
    style: str


def _part(items: list[str], part: str, fold: int = 1) -> list[str]:
    """The entries of a part: ``held`` every fourth (index 3, 7, ...), ``train`` the others; ``fit``
    and ``dev`` split the training part's own entries again (every fourth of them to ``dev``), so
    choices can be validated on phrasings the model did not see without reading the held-back part
    (``fold`` 0-3 says which fourth)."""
    if part in ("fit", "dev"):
        train = _part(items, "train")
        chosen = [x for i, x in enumerate(train) if (i % HELD_EVERY == fold) == (part == "dev")]
        return chosen or train
    chosen = [x for i, x in enumerate(items) if (i % HELD_EVERY == HELD_EVERY - 1) == (part == "held")]
    return chosen or items


def _homophones() -> dict[str, list[str]]:
    """Characters of the vocabulary grouped by toneless pinyin: what a pinyin IME offers instead."""
    texts = [field for row in VOCABULARY.values() for field in row] + [s for c in VOCABULARY for s in entries(c)[2]]
    chars = sorted({ch for text in texts for ch in text if "\u4e00" <= ch <= "\u9fff"})
    groups: dict[str, list[str]] = defaultdict(list)
    for ch, py in zip(chars, lazy_pinyin(chars, style=Style.NORMAL), strict=True):
        groups[py].append(ch)
    return {
        ch: [o for o in groups[py] if o != ch] for py, members in groups.items() for ch in members if len(members) > 1
    }


def _noisy(text: str, rng: random.Random, sounds: dict[str, list[str]]) -> str:
    chars = list(text)
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        if len(chars) < 4:
            break
        i = rng.randrange(len(chars))
        kind = rng.random()
        if kind < 0.5 and sounds.get(chars[i]):
            chars[i] = rng.choice(sounds[chars[i]])
        elif kind < 0.7:
            del chars[i]
        elif kind < 0.85:
            chars.insert(i, chars[i])
        elif i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    out = "".join(chars)
    if rng.random() < 0.15:  # full-width digits from a phone keyboard
        out = out.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    return out


def generate(*, seed: int, part: str, per_category: int, fold: int = 1) -> list[Example]:
    """``per_category`` examples for each leaf, from the ``train`` or ``held`` material; ``fit`` and
    ``dev`` are the training part split for validation (the training part's templates and
    openers, its places and sayings divided)."""
    assert part in ("train", "held", "fit", "dev")
    rng = random.Random(f"intake-corpus-{seed}-{part}")
    material = "held" if part == "held" else "train"
    places = PLACES[material] if part in ("train", "held") else _part(PLACES["train"], part, fold)
    sounds = _homophones()
    styles = list(STYLE_WEIGHTS)
    weights = [STYLE_WEIGHTS[s] for s in styles]
    words = catalog_words()
    out: list[Example] = []
    seen: set[tuple[str, str]] = set()
    for code in sorted(VOCABULARY):
        # Sayings are split (every fourth is held back); the words of things and states are the
        # category's vocabulary and shared, written into templates of each part's own.
        things, states, all_says = entries(code)
        says = _part(all_says, part, fold)
        keywords = words.get(code) or things
        if part in ("train", "fit"):
            says = says + TRAIN_ONLY.get(code, [])
            # a resident's message often has two clauses; each alone is a report too
            says = says + [c for s in says for c in s.split("，") if len(c) >= 4]
        made = attempts = 0
        while made < per_category and attempts < per_category * 20:
            attempts += 1
            style = rng.choices(styles, weights)[0]
            template = rng.choice(TEMPLATES[material][style])
            text = template.format(
                o=rng.choice(OPENERS[material]),
                p=rng.choice(places),
                s=rng.choice(says),
                t=rng.choice(things),
                x=rng.choice(states),
                a=rng.choice(ASKS[material]),
                k=rng.choice(keywords),
            )
            text = _noisy(text, rng, sounds)
            if (text, code) in seen:
                continue
            seen.add((text, code))
            out.append(Example(text, code, style))
            made += 1
    return out


def write_tsv(examples: list[Example], path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write("code\tstyle\ttext\n")
        for e in examples:
            f.write(f"{e.code}\t{e.style}\t{e.text}\n")


def read_tsv(path) -> list[Example]:
    with open(path, encoding="utf-8") as f:
        next(f)
        rows = [line.rstrip("\n").split("\t", 2) for line in f if line.strip()]
    return [Example(text, code, style) for code, style, text in rows]
