"""Identity resolution as pure functions: name keys, blocking keys and an explainable pair score.

Nothing here touches the database (ID numbers are checked by `validators.check_id_number`). The registry
models call these to (1) index every person under a few cheap blocking keys, (2) fetch the candidates that
share a key with an incoming record, and (3) score each candidate pair, merging above MERGE_THRESHOLD and
queuing for review above REVIEW_THRESHOLD.

Reason strings are plain Chinese literals in REASONS (this module owns no locale catalogue); each
contribution also carries a stable `code` so a page can translate or group them later.
"""

from __future__ import annotations

import datetime
import enum
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from shequ.core.errors import InvalidInput
from shequ.registry.validators import check_id_number

# Score thresholds: the sum of contributions is clamped to [0, 1].
# Name + birth date + phone agreeing exactly reach 0.90 (same); name + birth date alone reach 0.65 (review),
# because among a million people a common name shares a birth date with someone else often enough.
MERGE_THRESHOLD = 0.85
REVIEW_THRESHOLD = 0.60

# --- names -------------------------------------------------------------------------------------------

# Separators in transliterated minority and foreign names (阿不都·热合曼): all folded to U+00B7.
_MIDDLE_DOTS = "·•‧∙⋅・･●.．-‐‑–—"
_MIDDLE_DOT_RE = re.compile("[" + re.escape(_MIDDLE_DOTS) + "]+")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD_RE = re.compile(r"[0-9a-z]+")

# pypinyin 0.55 has no surname mode (checked), so surnames whose reading differs from the character's most
# common reading are listed here. Compound surnames first: they are matched before single characters.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "万俟": ("mo", "qi"),
    "尉迟": ("yu", "chi"),
    "单于": ("chan", "yu"),
    "长孙": ("zhang", "sun"),
    "澹台": ("tan", "tai"),
    "子车": ("zi", "ju"),
    "曾": ("zeng",),
    "单": ("shan",),
    "解": ("xie",),
    "仇": ("qiu",),
    "区": ("ou",),
    "查": ("zha",),
    "朴": ("piao",),
    "盖": ("ge",),
    "繁": ("po",),
    "覃": ("qin",),
    "黑": ("he",),
    "乐": ("yue",),
    "尉": ("wei",),
    "种": ("chong",),
    "秘": ("bi",),
    "冼": ("xian",),
    "缪": ("miao",),
    "翟": ("zhai",),
    "祭": ("zhai",),
    "逄": ("pang",),
    "能": ("nai",),
    "句": ("gou",),
    "员": ("yun",),
    "召": ("shao",),
    "折": ("she",),
    "薄": ("bo",),
    "么": ("yao",),
    "乜": ("nie",),
    "都": ("du",),
    "重": ("chong",),
    "柏": ("bai",),
    "藏": ("zang",),
    "谌": ("chen",),
    "郇": ("huan",),
    "隗": ("wei",),
}

# Homophone folding, applied per syllable, for confusions of southern accents and pinyin input errors:
#   initials: zh->z, ch->c, sh->s (flat/retroflex), n->l (n/l), f->h (h/f, e.g. 湖 hu ~ 福 fu)
#   finals:   ang->an, eng->en, ing->in (front/back nasals; covers iang/uang too)
_INITIAL_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"), ("f", "h"))
_FINAL_FOLDS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@dataclass(frozen=True, slots=True)
class NameKeys:
    normalized: str  # 张晓明, 阿不都·热合曼, "john smith"
    syllables: tuple[str, ...]  # ("zhang", "xiao", "ming")
    pinyin: str  # zhangxiaoming
    initials: str  # zxm
    homophone: str  # zanxiaomin


def normalize_name(name: str) -> str:
    """Full-width to half-width, one kind of middle dot, no spaces between Han characters, lower-case Latin."""
    text = unicodedata.normalize("NFKC", name or "").strip().lower()
    text = _MIDDLE_DOT_RE.sub("·", text)
    text = re.sub(r"\s*·\s*", "·", text).strip("·")
    if _HAN_RE.search(text):
        return re.sub(r"\s+", "", text)
    return re.sub(r"\s+", " ", text)


@cache  # a few hundred distinct syllables; called for every name of every record
def fold_syllable(syllable: str) -> str:
    for src, dst in _INITIAL_FOLDS:
        if syllable.startswith(src):
            syllable = dst + syllable[len(src) :]
            break
    for src, dst in _FINAL_FOLDS:
        if syllable.endswith(src):
            return syllable[: -len(src)] + dst
    return syllable


def _han_syllables(run: str, *, with_surname: bool) -> list[str]:
    head: list[str] = []
    if with_surname:
        for length in (2, 1):  # compound surnames first
            reading = SURNAME_READINGS.get(run[:length])
            if reading is not None and len(run) > length:
                head, run = list(reading), run[length:]
                break
    return head + [_char_reading(ch) for ch in run]


@cache  # bounded by the Han characters in use (a few thousand in names)
def _char_reading(ch: str) -> str:
    """A character's most common reading, Style.NORMAL, tone-less; ü is written v (nv, lv).

    Read one character at a time, not through pypinyin's phrase dictionary: names are not phrases (殷红 as a
    name is yin hong, as a word yan hong), and a dictionary lookup is thirty times cheaper, which matters when a
    million people are keyed."""
    return lazy_pinyin(ch)[0]


@lru_cache(maxsize=1 << 16)
def name_keys(name: str) -> NameKeys:
    normalized = normalize_name(name)
    # A dotted name is a transliteration (阿不都·热合曼), not surname + given name.
    with_surname = "·" not in normalized
    syllables: list[str] = []
    pos = 0
    for match in _HAN_RE.finditer(normalized):
        syllables += _WORD_RE.findall(normalized[pos : match.start()])
        syllables += _han_syllables(match.group(), with_surname=with_surname and match.start() == 0)
        pos = match.end()
    syllables += _WORD_RE.findall(normalized[pos:])
    return NameKeys(
        normalized=normalized,
        syllables=tuple(syllables),
        pinyin="".join(syllables),
        initials="".join(s[0] for s in syllables),
        homophone="".join(fold_syllable(s) for s in syllables),
    )


# --- phones, addresses, ID numbers -------------------------------------------------------------------


def normalize_phone(phone: str | None) -> str:
    """Digits only, without a +86 / 0086 country prefix; "" when too short to be a phone number."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (11, 12):
            digits = digits[len(prefix) :]
            break
    return digits if len(digits) >= 7 else ""


# Cut a Chinese address after each administrative or building unit, so token ratios compare parts.
_ADDRESS_UNITS = re.compile(r"(省|自治区|市|区|县|镇|乡|街道|社区|村|路|大道|街|巷|弄|小区|号|栋|幢|座|楼|单元|室|户)")
_ADDRESS_NUMERALS = str.maketrans("〇一二三四五六七八九", "0123456789")


@lru_cache(maxsize=1 << 16)
def normalize_address(address: str | None) -> str:
    text = unicodedata.normalize("NFKC", address or "").lower()
    text = re.sub(r"[\s,，、;；:：()（）\-—#]+", "", text)
    text = text.replace("幢", "栋").replace("号楼", "栋").translate(_ADDRESS_NUMERALS)
    return _ADDRESS_UNITS.sub(r"\1 ", text).strip()


def usable_id_number(id_number: str | None) -> str:
    """The normalised 18-character ID number if it passes the registry's checks (GB 11643), else ""."""
    if not id_number:
        return ""
    try:
        return check_id_number(id_number)
    except InvalidInput:
        return ""


# --- blocking ----------------------------------------------------------------------------------------


def blocking_keys(
    *, name: str, birth_date: datetime.date | None, phone: str | None, id_number: str | None = None
) -> set[str]:
    """Keys under which a person is indexed; two records are compared only if they share one.

    Each key is an exact lookup, so resolving a million people costs one index probe per key, not n².
    The keys overlap on purpose, so that one wrong field rarely hides a duplicate:
      h:<homophone>:<yyyy>   name by sound + birth year   (survives homophones, month/day errors, day-month swap)
      m:<homophone>:<mmdd>   name by sound + month-day    (survives a wrong birth year)
      i:<initials>:<date>    initials + birth date        (survives a wrong character with another reading)
      s:<surname>:<date>     surname sound + birth date   (survives a wrong given name)
      t:<last 8 digits>      phone                        (survives a changed name or birth date)
      id:<id number>         a valid ID number
    Trade-off: a duplicate is missed when both its birth date and phone are missing or wrong and its name
    differs beyond the homophone folds; a record with neither birth date nor phone yields no name key at all,
    because a bare name (张伟) would block hundreds of people together. For such a record the caller can
    probe by prefix with `name_block_prefix(name)` on the h: keys.
    """
    keys: set[str] = set()
    nk = name_keys(name)
    if nk.homophone and birth_date is not None:
        date = birth_date.strftime("%Y%m%d")
        keys.add(f"h:{nk.homophone}:{birth_date.year:04d}")
        keys.add(f"m:{nk.homophone}:{date[4:]}")
        keys.add(f"i:{nk.initials}:{date}")
        keys.add(f"s:{fold_syllable(nk.syllables[0])}:{date}")
    digits = normalize_phone(phone)
    if digits:
        keys.add(f"t:{digits[-8:]}")
    valid_id = usable_id_number(id_number)
    if valid_id:
        keys.add(f"id:{valid_id}")
    return keys


def name_block_prefix(name: str) -> str:
    """Prefix of the h: keys of everyone whose name sounds like `name` (for records without a birth date)."""
    return f"h:{name_keys(name).homophone}:"


# --- scoring -----------------------------------------------------------------------------------------

REASONS: dict[str, str] = {
    "id_same": "公民身份号码相同，判定为同一人",
    "id_different": "公民身份号码不同且均有效，判定为不同人",
    "id_unusable": "公民身份号码缺失或无效，不参与比对",
    "name_exact": "姓名完全相同",
    "name_pinyin": "姓名拼音相同（同音字）",
    "name_homophone": "姓名读音相近（方言或输入易混音）",
    "name_similar": "姓名高度相似",
    "name_partial": "姓名部分相似（仅一字不同或读音接近）",
    "name_different": "姓名差异较大",
    "name_missing": "姓名缺失，无法比对",
    "birth_exact": "出生日期相同",
    "birth_swapped": "出生日期月、日颠倒",
    "birth_typo": "出生日期仅一位数字不同",
    "birth_year": "出生年份相同，月日不同",
    "birth_different": "出生日期不同",
    "birth_missing": "出生日期缺失，无法比对",
    "gender_same": "性别相同",
    "gender_different": "性别不同",
    "gender_missing": "性别缺失，无法比对",
    "phone_exact": "联系电话相同",
    "phone_suffix": "联系电话后8位相同",
    "phone_different": "联系电话不同（可能已更换号码）",
    "phone_missing": "联系电话缺失，无法比对",
    "address_same": "住址相同",
    "address_similar": "住址相近",
    "address_different": "住址不同（可能已搬迁，不扣分）",
    "address_missing": "住址缺失，无法比对",
}

# Points per outcome; positive ones at their best sum to 1.0 (name 0.35, birth 0.30, phone 0.25, address 0.10).
POINTS: dict[str, float] = {
    "name_exact": 0.35,
    "name_pinyin": 0.30,
    "name_homophone": 0.26,
    "name_similar": 0.18,
    "name_partial": 0.0,
    "name_different": -0.35,
    "birth_exact": 0.30,
    "birth_swapped": 0.15,
    "birth_typo": 0.12,
    "birth_year": 0.03,
    "birth_different": -0.30,
    "gender_same": 0.0,
    "gender_different": -0.30,
    "phone_exact": 0.25,
    "phone_suffix": 0.22,
    "phone_different": -0.05,
    "address_same": 0.10,
    "address_similar": 0.04,
    "address_different": 0.0,
}
NAME_SIMILAR = 85.0  # rapidfuzz ratio (0-100) on characters or on folded syllables
NAME_PARTIAL = 70.0
ADDRESS_SAME = 90.0  # rapidfuzz token ratio, house numbers also equal
ADDRESS_SIMILAR = 80.0


class Decision(enum.StrEnum):
    SAME = "same"
    REVIEW = "review"
    DIFFERENT = "different"


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str
    birth_date: datetime.date | None = None
    gender: str | None = None
    phone: str | None = None
    address: str | None = None
    id_number: str | None = None


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str  # id_number, name, birth_date, gender, phone, address
    code: str  # key of REASONS
    points: float

    @property
    def reason(self) -> str:
        return REASONS[self.code]


@dataclass(frozen=True, slots=True)
class Match:
    score: float
    decision: Decision
    contributions: tuple[Contribution, ...]

    def explain(self) -> str:
        lines = [f"{c.reason}（{c.points:+.2f}）" for c in self.contributions]
        return "；".join(lines) + f"。总分 {self.score:.2f}"


def _name(a: str, b: str) -> str:
    ka, kb = name_keys(a), name_keys(b)
    if not ka.normalized or not kb.normalized:
        return "name_missing"
    if ka.normalized == kb.normalized:
        return "name_exact"
    if ka.pinyin == kb.pinyin:
        return "name_pinyin"
    if ka.homophone == kb.homophone:
        return "name_homophone"
    # Compared by character and by folded syllable, not by pinyin letters: zhangxiaoming / zhangxiaoliang are
    # 89% alike letter by letter, yet 张晓明 / 张晓亮 are as likely twins as a typo.
    folded_a, folded_b = [fold_syllable(x) for x in ka.syllables], [fold_syllable(x) for x in kb.syllables]
    similarity = max(fuzz.ratio(ka.normalized, kb.normalized), fuzz.ratio(folded_a, folded_b))
    if similarity >= NAME_SIMILAR:
        return "name_similar"
    # One wrong, missing or extra character (张晓明 / 张晓亮: a typo, or a twin) is no evidence either way.
    if similarity >= NAME_PARTIAL or Levenshtein.distance(ka.normalized, kb.normalized) <= 1:
        return "name_partial"
    return "name_different"


def _birth(a: datetime.date | None, b: datetime.date | None) -> str:
    if a is None or b is None:
        return "birth_missing"
    if a == b:
        return "birth_exact"
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return "birth_swapped"
    if sum(x != y for x, y in zip(a.strftime("%Y%m%d"), b.strftime("%Y%m%d"), strict=True)) == 1:
        return "birth_typo"
    return "birth_year" if a.year == b.year else "birth_different"


def _gender(a: str | None, b: str | None) -> str:
    if not a or not b:
        return "gender_missing"
    return "gender_same" if a == b else "gender_different"


def _phone(a: str | None, b: str | None) -> str:
    pa, pb = normalize_phone(a), normalize_phone(b)
    if not pa or not pb:
        return "phone_missing"
    if pa == pb:
        return "phone_exact"
    return "phone_suffix" if pa[-8:] == pb[-8:] else "phone_different"


def _address(a: str | None, b: str | None) -> str:
    na, nb = normalize_address(a), normalize_address(b)
    if not na or not nb:
        return "address_missing"
    similarity = fuzz.token_ratio(na, nb)
    if similarity >= ADDRESS_SAME and re.findall(r"\d+", na) == re.findall(r"\d+", nb):
        return "address_same"
    return "address_similar" if similarity >= ADDRESS_SIMILAR else "address_different"


def _decide(score: float) -> Decision:
    if score >= MERGE_THRESHOLD:
        return Decision.SAME
    return Decision.REVIEW if score >= REVIEW_THRESHOLD else Decision.DIFFERENT


_BEST_NAME = max(v for k, v in POINTS.items() if k.startswith("name_"))
_BEST_ADDRESS = max(v for k, v in POINTS.items() if k.startswith("address_"))


def could_match(a: Candidate, b: Candidate) -> bool:
    """False when ``score(a, b)`` is certainly ``different``: even the best name and address could not lift the
    birth date, gender and phone above the review threshold. A cheap filter before scoring a million pairs;
    ID numbers are not looked at (callers skip pairs with two of them)."""
    bound = _BEST_NAME + _BEST_ADDRESS
    bound += POINTS.get(_birth(a.birth_date, b.birth_date), 0.0)
    bound += POINTS.get(_gender(a.gender, b.gender), 0.0)
    bound += POINTS.get(_phone(a.phone, b.phone), 0.0)
    return bound >= REVIEW_THRESHOLD


def score(a: Candidate, b: Candidate) -> Match:
    """Score whether two records are the same person; symmetric, every point explained by a reason.

    Valid ID numbers decide alone: equal is always `same`, different is always `different`. Otherwise the
    contributions are summed and clamped to [0, 1]; missing fields count zero (no evidence either way).
    """
    codes = (
        ("name", _name(a.name, b.name)),
        ("birth_date", _birth(a.birth_date, b.birth_date)),
        ("gender", _gender(a.gender, b.gender)),
        ("phone", _phone(a.phone, b.phone)),
        ("address", _address(a.address, b.address)),
    )
    contributions = [Contribution(feature, code, POINTS.get(code, 0.0)) for feature, code in codes]
    id_a, id_b = usable_id_number(a.id_number), usable_id_number(b.id_number)
    if id_a and id_b:
        same = id_a == id_b
        id_contribution = Contribution("id_number", "id_same" if same else "id_different", 1.0 if same else -1.0)
        return Match(
            score=1.0 if same else 0.0,
            decision=Decision.SAME if same else Decision.DIFFERENT,
            contributions=(id_contribution, *contributions),
        )
    total = round(min(1.0, max(0.0, sum(c.points for c in contributions))), 4)
    return Match(
        score=total,
        decision=_decide(total),
        contributions=(Contribution("id_number", "id_unusable", 0.0), *contributions),
    )
