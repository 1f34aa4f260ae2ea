"""Identity resolution: name keys, blocking keys and the pair score (pure functions, no database)."""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict

import pytest
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st

from shequ.registry.matching import (
    MERGE_THRESHOLD,
    REASONS,
    REVIEW_THRESHOLD,
    Candidate,
    Decision,
    blocking_keys,
    fold_syllable,
    name_block_prefix,
    name_keys,
    score,
    usable_id_number,
)

_fake = Faker("zh_CN")
_fake.seed_instance(3)
NAMES = sorted({_fake.name() for _ in range(3000)})
ADDRESSES = [_fake.address() for _ in range(200)]

names = st.sampled_from(NAMES) | st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4
)
dates = st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date(2025, 12, 31))
phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
candidates = st.builds(
    Candidate,
    name=names,
    birth_date=dates,
    gender=st.sampled_from(["1", "2"]),
    phone=phones,
    address=st.sampled_from(ADDRESSES),
)
partial_candidates = st.builds(
    Candidate,
    name=names | st.just(""),
    birth_date=st.none() | dates,
    gender=st.none() | st.sampled_from(["1", "2"]),
    phone=st.none() | phones,
    address=st.none() | st.sampled_from(ADDRESSES),
)


def _valid_id(body17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights, strict=True)) % 11]


# --- name keys ---------------------------------------------------------------------------------------


def test_it_shares_the_homophone_key_across_southern_accent_and_input_confusions():
    keys = [name_keys(n) for n in ("张晓明", "章小明", "张小鸣", "张晓民", "赵小明")]
    assert {k.homophone for k in keys[:4]} == {"zanxiaomin"}
    assert keys[4].homophone == "zaoxiaomin"
    assert keys[0].pinyin == "zhangxiaoming"
    assert keys[0].initials == "zxm"
    # n/l, h/f, an/ang, en/eng
    assert name_keys("刘南").homophone == name_keys("牛兰").homophone == "liulan"
    assert name_keys("胡芳").homophone == name_keys("付航").homophone == "huhan"
    assert name_keys("陈峰").homophone == name_keys("岑分").homophone == "cenhen"


def test_it_reads_heteronym_surnames_as_surnames():
    assert name_keys("曾小明").pinyin == "zengxiaoming"
    assert name_keys("单雄信").pinyin == "shanxiongxin"
    assert name_keys("解缙").pinyin == "xiejin"
    assert name_keys("仇英").pinyin == "qiuying"
    assert name_keys("区家麟").pinyin == "oujialin"
    assert name_keys("查良镛").pinyin == "zhaliangyong"
    assert name_keys("朴槿惠").pinyin == "piaojinhui"
    assert name_keys("尉迟恭").syllables == ("yu", "chi", "gong")
    assert name_keys("万俟卨").initials == "mqx"
    # Only at the start: 曾 inside a given name keeps its usual reading.
    assert name_keys("王曾").pinyin == "wangceng"


def test_it_normalises_width_spaces_and_middle_dots():
    expected = name_keys("阿不都·热合曼")
    assert expected.normalized == "阿不都·热合曼"
    for variant in ("阿不都•热合曼", "阿不都・热合曼", "阿不都.热合曼", " 阿不都 ‧ 热合曼 ", "阿不都．热合曼"):
        assert name_keys(variant) == expected
    assert name_keys("张　伟") == name_keys(" 张伟 ")
    assert name_keys("ＪＯＨＮ  Smith").normalized == "john smith"
    assert name_keys("ＪＯＨＮ  Smith").initials == "js"


def test_it_documents_every_fold_on_single_syllables():
    assert [fold_syllable(s) for s in ("zhang", "chen", "shi", "nv", "fu", "ying", "wang")] == [
        "zan",
        "cen",
        "si",
        "lv",
        "hu",
        "yin",
        "wan",
    ]


@given(names)
def test_it_computes_name_keys_deterministically(name):
    assert name_keys.__wrapped__(name) == name_keys.__wrapped__(name) == name_keys(name)


# --- ID numbers --------------------------------------------------------------------------------------


def test_it_accepts_only_id_numbers_with_a_correct_check_digit_and_upgrades_15_digit_ones():
    good = _valid_id("11010519491231002")
    assert good == "11010519491231002X"
    assert usable_id_number(good.lower()) == good
    assert usable_id_number("110105194912310021") == ""
    assert usable_id_number("110105491231002") == "11010519491231002" + good[-1]
    assert usable_id_number("") == usable_id_number(None) == ""


# --- blocking ----------------------------------------------------------------------------------------


def test_it_gives_the_same_blocking_keys_to_differently_typed_copies():
    a = blocking_keys(name="张晓明", birth_date=datetime.date(1980, 5, 3), phone="13800138000")
    b = blocking_keys(name="章 小明", birth_date=datetime.date(1980, 5, 3), phone="+86 138-0013-8000")
    assert (
        a
        == b
        == {
            "h:zanxiaomin:1980",
            "m:zanxiaomin:0503",
            "i:zxm:19800503",
            "s:zan:19800503",
            "t:00138000",
        }
    )


def test_it_gives_no_name_key_without_birth_date_but_offers_a_prefix():
    assert blocking_keys(name="张伟", birth_date=None, phone=None) == set()
    keys = blocking_keys(name="张玮", birth_date=datetime.date(1990, 1, 2), phone=None)
    assert any(k.startswith(name_block_prefix("张伟")) for k in keys)


def test_it_blocks_on_a_valid_id_number_only():
    good = _valid_id("44030419850101123")
    assert f"id:{good}" in blocking_keys(name="李雷", birth_date=None, phone=None, id_number=good)
    assert blocking_keys(name="李雷", birth_date=None, phone=None, id_number=good[:-1] + "0") == set()


# --- scoring -----------------------------------------------------------------------------------------

ZHANG = Candidate(
    name="张晓明",
    birth_date=datetime.date(1980, 5, 3),
    gender="1",
    phone="13800138000",
    address="北京市朝阳区和平里小区3号楼201室",
)


def test_it_explains_every_contribution_in_chinese():
    match = score(ZHANG, ZHANG)
    assert match.score == 1.0
    assert match.decision == Decision.SAME
    assert [(c.feature, c.code, c.points) for c in match.contributions] == [
        ("id_number", "id_unusable", 0.0),
        ("name", "name_exact", 0.35),
        ("birth_date", "birth_exact", 0.30),
        ("gender", "gender_same", 0.0),
        ("phone", "phone_exact", 0.25),
        ("address", "address_same", 0.10),
    ]
    assert match.contributions[1].reason == "姓名完全相同"
    assert match.explain().endswith("总分 1.00")
    assert 0 < REVIEW_THRESHOLD < MERGE_THRESHOLD <= 1


def test_it_merges_a_homophone_copy_typed_differently():
    copy = Candidate(
        name="章小明",
        birth_date=datetime.date(1980, 5, 3),
        gender="1",
        phone="+86 138 0013 8000",
        address="朝阳区和平里小区3幢201室",
    )
    match = score(ZHANG, copy)
    assert [c.code for c in match.contributions][1:] == [
        "name_pinyin",
        "birth_exact",
        "gender_same",
        "phone_exact",
        "address_same",
    ]
    assert match.score == 0.95
    assert match.decision == Decision.SAME


def test_it_does_not_merge_another_person_with_the_same_common_name():
    first = Candidate(name="张伟", birth_date=datetime.date(1975, 2, 1), gender="1", phone="13911112222")
    second = Candidate(name="张伟", birth_date=datetime.date(1991, 8, 20), gender="1", phone="13533334444")
    match = score(first, second)
    assert match.decision == Decision.DIFFERENT
    assert match.score == 0.0
    # Same name and birth date but nothing else: a human looks at it.
    twin = Candidate(name="张伟", birth_date=datetime.date(1975, 2, 1))
    assert score(first, twin).decision == Decision.REVIEW


def test_it_sends_a_copy_with_one_wrong_character_to_review():
    twin = Candidate(**{**_fields(ZHANG), "name": "张晓亮"})
    match = score(ZHANG, twin)
    assert match.contributions[1].code == "name_partial"
    assert (match.score, match.decision) == (0.65, Decision.REVIEW)
    stranger = Candidate(**{**_fields(ZHANG), "name": "欧阳娜娜"})
    assert score(ZHANG, stranger).decision == Decision.DIFFERENT


def test_it_lowers_but_keeps_a_day_month_swapped_birth_date():
    swapped = Candidate(**{**_fields(ZHANG), "birth_date": datetime.date(1980, 3, 5)})
    exact, swap = score(ZHANG, ZHANG), score(ZHANG, swapped)
    assert swap.contributions[2].code == "birth_swapped"
    assert REVIEW_THRESHOLD <= swap.score < exact.score
    assert swap.decision != Decision.DIFFERENT
    moved_year = Candidate(**{**_fields(ZHANG), "birth_date": datetime.date(1986, 9, 3)})
    assert score(ZHANG, moved_year).score < swap.score


def test_it_lets_valid_id_numbers_decide_alone():
    id_a, id_b = _valid_id("11010519800503001"), _valid_id("11010519800503002")
    stranger = Candidate(name="李四", birth_date=datetime.date(2001, 1, 1), id_number=id_a)
    assert score(Candidate(**{**_fields(ZHANG), "id_number": id_a}), stranger).decision == Decision.SAME
    same_ledgers = score(
        Candidate(**{**_fields(ZHANG), "id_number": id_a}), Candidate(**{**_fields(ZHANG), "id_number": id_b})
    )
    assert (same_ledgers.score, same_ledgers.decision) == (0.0, Decision.DIFFERENT)
    assert same_ledgers.contributions[0].reason == REASONS["id_different"]
    # An invalid number is ignored rather than trusted.
    broken = Candidate(**{**_fields(ZHANG), "id_number": id_b[:-1] + ("0" if id_b[-1] != "0" else "1")})
    assert score(Candidate(**{**_fields(ZHANG), "id_number": id_a}), broken).decision == Decision.SAME


@given(partial_candidates, partial_candidates)
def test_it_scores_symmetrically_within_bounds(a, b):
    ab, ba = score(a, b), score(b, a)
    assert ab == ba
    assert 0.0 <= ab.score <= 1.0
    assert all(c.code in REASONS for c in ab.contributions)


@given(candidates)
def test_it_scores_a_complete_record_as_the_same_as_itself(candidate):
    assert score(candidate, candidate).decision == Decision.SAME


def _fields(c: Candidate) -> dict:
    return {f: getattr(c, f) for f in ("name", "birth_date", "gender", "phone", "address", "id_number")}


# --- recall on generated near-duplicates -------------------------------------------------------------


def _homophone_pool() -> dict[str, list[str]]:
    """Given-name characters grouped by folded sound, to swap one for another like a clerk would."""
    groups: dict[str, set[str]] = defaultdict(set)
    for full in NAMES:
        for ch in full[1:]:
            groups[name_keys(ch).homophone].add(ch)
    return {ch: sorted(group - {ch}) for group in groups.values() for ch in group if len(group) > 1}


FAULTS = ["homophone", "char_typo", "swap", "date_typo", "year", "phone_format", "no_date", "no_phone", "new_phone"]


def _perturb(rng: random.Random, person: Candidate, pool: dict[str, list[str]]) -> Candidate:
    """A copy of a person as another department's ledger would type it: one or two faults."""
    fields = _fields(person)
    # Applied in FAULTS order, so a field is reformatted before it can go missing.
    faults = sorted(rng.sample(FAULTS, k=rng.choice((1, 2))), key=FAULTS.index)
    name, born = fields["name"], fields["birth_date"]
    for fault in faults:
        if fault == "homophone":
            spots = [i for i, ch in enumerate(name) if i > 0 and ch in pool]
            if spots:
                i = rng.choice(spots)
                name = name[:i] + rng.choice(pool[name[i]]) + name[i + 1 :]
        elif fault == "char_typo":
            i = rng.randrange(1, len(name))
            name = name[:i] + rng.choice(rng.choice(NAMES)[1:]) + name[i + 1 :]
        elif fault == "swap" and born.day <= 12:
            born = born.replace(month=born.day, day=born.month)
        elif fault == "date_typo":
            born = born + datetime.timedelta(days=rng.choice((-10, -1, 1, 10)))
        elif fault == "year":
            born = born.replace(year=born.year + rng.choice((-1, 1)), day=min(born.day, 28))
        elif fault == "no_date":
            born = None
        elif fault == "phone_format":
            p = fields["phone"]
            fields["phone"] = f"+86 {p[:3]}-{p[3:7]}-{p[7:]}"
        elif fault == "no_phone":
            fields["phone"] = None
        elif fault == "new_phone":
            fields["phone"] = _fake.phone_number()
    fields["name"], fields["birth_date"] = name, born
    return Candidate(**fields)


def _keys(c: Candidate) -> set[str]:
    return blocking_keys(name=c.name, birth_date=c.birth_date, phone=c.phone)


def test_it_finds_at_least_95_percent_of_near_duplicates_by_blocking(capsys):
    rng = random.Random(11)
    pool = _homophone_pool()
    people = [
        Candidate(
            name=_fake.name(),
            birth_date=_fake.date_of_birth(minimum_age=0, maximum_age=95),
            gender=rng.choice(["1", "2"]),
            phone=_fake.phone_number(),
            address=_fake.address(),
        )
        for _ in range(3000)
    ]
    copies = [_perturb(rng, p, pool) for p in people]

    index: dict[str, set[int]] = defaultdict(set)
    for i, person in enumerate(people):
        for key in _keys(person):
            index[key].add(i)
    found_by_key = found = compared = 0
    decisions: dict[Decision, int] = defaultdict(int)
    for i, copy in enumerate(copies):
        hits = set().union(*(index.get(k, set()) for k in _keys(copy)))
        found_by_key += i in hits
        if copy.birth_date is None:
            prefix = name_block_prefix(copy.name)  # the documented fallback, a prefix probe on h: keys
            hits |= {j for k, js in index.items() if k.startswith(prefix) for j in js}
        found += i in hits
        compared += len(hits)
        decisions[score(people[i], copy).decision] += 1

    recall = found / len(copies)
    with capsys.disabled():
        print(
            f"\nblocking recall {recall:.2%} ({found}/{len(copies)}; {found_by_key} by exact keys), "
            f"{compared / len(copies):.1f} candidates per record; copies scored "
            + ", ".join(f"{d.value} {n / len(copies):.1%}" for d, n in sorted(decisions.items()))
        )
    assert recall >= 0.95


def test_it_reports_scoring_speed(capsys):
    rng = random.Random(5)
    pool = _homophone_pool()
    people = [
        Candidate(
            name=_fake.name(),
            birth_date=_fake.date_of_birth(),
            gender="2",
            phone=_fake.phone_number(),
            address=_fake.address(),
        )
        for _ in range(2000)
    ]
    pairs = [(p, _perturb(rng, p, pool)) for p in people]
    started = time.perf_counter()
    for a, b in pairs:
        score(a, b)
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nscore(): {elapsed / len(pairs) * 1e6:.1f} µs per pair over {len(pairs)} pairs (name keys cached)")


@pytest.mark.parametrize(
    ("a", "b", "code"),
    [
        ("北京市朝阳区和平里小区3号楼201室", "朝阳区 和平里小区 3幢 201室", "address_same"),
        ("北京市朝阳区和平里小区3号楼201室", "北京市朝阳区和平里小区5号楼201室", "address_similar"),
        ("北京市朝阳区和平里小区3号楼201室", "上海市浦东新区世纪大道100号", "address_different"),
    ],
)
def test_it_compares_addresses_by_their_parts(a, b, code):
    assert score(Candidate(name="王芳", address=a), Candidate(name="王芳", address=b)).contributions[-1].code == code
