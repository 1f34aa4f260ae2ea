"""Pure value maskers: what a value looks like to someone not cleared to see it.

Each keeps only what is no secret at that level (the ID number's region code and last four characters, the
phone's operator prefix and last four digits, the surname and the last character of a name, an address up to the
building) and replaces the rest with ``*``. The masked text never depends on the hidden characters' values, so
two masked values cannot be compared to learn anything more.
"""

from __future__ import annotations

import re

STAR = "*"
MASKED = "***"  # a value of which nothing is shown (codes, notes, dates)
MASKED_DATE = "****-**-**"

# Where an address stops being "which building": the room, floor or unit part that follows it.
_BELOW_BUILDING = re.compile(r"(?<=[号栋幢座楼])(?=.*[0-9０-９一二三四五六七八九十]+(?:单元|层|室|房|户|号房))")
_BUILDING = re.compile(r"^.*?[0-9０-９一二三四五六七八九十]+[号栋幢座楼]")


def mask_id_number(value: str | None) -> str:
    """110105199001011234 -> 110105********1234 (region code and last four kept)."""
    if not value:
        return ""
    text = str(value)
    if len(text) <= 10:
        return STAR * len(text)
    return text[:6] + STAR * (len(text) - 10) + text[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678; a landline keeps its last four digits."""
    if not value:
        return ""
    digits = str(value)
    if len(digits) == 11 and digits.isdigit():
        return digits[:3] + STAR * 4 + digits[-4:]
    if len(digits) <= 4:
        return STAR * len(digits)
    return STAR * (len(digits) - 4) + digits[-4:]


def mask_name(value: str | None) -> str:
    """张三明 -> 张*明, 张三 -> 张*, 欧阳道明 -> 欧**明; a Latin name keeps its first letter."""
    if not value:
        return ""
    text = str(value)
    if len(text) == 1:
        return STAR
    if len(text) == 2:
        return text[0] + STAR
    return text[0] + STAR * (len(text) - 2) + text[-1]


def mask_address(value: str | None) -> str:
    """幸福路12号3栋502室 -> 幸福路12号3栋***: up to the building; with no building found, up to the road."""
    if not value:
        return ""
    text = str(value)
    match = _BUILDING.match(text)
    if match and match.end() < len(text):
        # keep the longest prefix that still names a building, not a room ("12号3栋", not "12号")
        kept = text[: match.end()]
        rest = text[match.end() :]
        more = _BUILDING.match(rest)
        while more and more.end() < len(rest):
            kept, rest = kept + rest[: more.end()], rest[more.end() :]
            more = _BUILDING.match(rest)
        return kept + MASKED
    if match:
        return text  # nothing below the building
    road = re.match(r"^.*?[路街道巷弄村]", text)
    return (road.group(0) if road else "") + MASKED


def mask_text(value: object) -> str:
    """Anything else: nothing shown but that there is a value."""
    return MASKED if value not in (None, "") else ""
