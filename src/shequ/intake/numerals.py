"""Chinese numerals and full-width digits in addresses to Arabic digits:
十二 -> 12, 三栋 -> 3栋, 二十一号 -> 21号, 一〇三 -> 103, ５０１ -> 501."""

from __future__ import annotations

import re
import unicodedata

_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_RUN = re.compile(r"[零〇一二两三四五六七八九十百千]+")
# Only numbers that count something in an address: a number, a building, an entrance, a floor, a room.
_COUNTED = re.compile(r"([零〇一二两三四五六七八九十百千]+)(?=号|栋|幢|座|单元|门|楼|层|室|房|巷|弄|期|区|排|#)")


def to_int(run: str) -> int:
    """A run of Chinese numerals as a number: positional (十二, 一百零五) or digit by digit (一〇三)."""
    if not any(ch in _UNIT for ch in run):
        return int("".join(str(_DIGIT[ch]) for ch in run))
    total, current = 0, 0
    for ch in run:
        if ch in _DIGIT:
            current = _DIGIT[ch]
        else:
            total += (current or 1) * _UNIT[ch]
            current = 0
    return total + current


def normalise_digits(text: str) -> str:
    """Full-width to half-width (NFKC), and counted Chinese numerals to digits."""
    text = unicodedata.normalize("NFKC", text)
    return _COUNTED.sub(lambda m: str(to_int(m.group(1))), text)


def every_run(text: str) -> str:
    """Every run of numerals to digits (for a room number given alone: 五零一 -> 501)."""
    return _RUN.sub(lambda m: str(to_int(m.group(0))), text)


_WORDS = "零一二三四五六七八九"


def to_chinese(number: int) -> str:
    """A number as people write it in Chinese: 12 -> 十二, 21 -> 二十一, 105 -> 一百零五, 0 -> 零
    (the inverse of ``to_int`` for 0-9999)."""
    if number < 10:
        return _WORDS[number]
    out = ""
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = number // value % 10
        if d:
            if zero:
                out += "零"
            out += ("" if (value == 10 and number < 20) else _WORDS[d]) + unit
            zero = False
        elif out:
            zero = True
    return out
