"""Valid-looking identifiers for demo records: ID numbers (GB 11643), credit codes (GB 32100), phones, hometowns.

Everything is drawn from a ``random.Random`` the caller owns, so the same seed gives the same numbers. The check
digits come from python-stdnum, the same library the registry's validators use.
"""

from __future__ import annotations

import random
from datetime import date

from stdnum.cn import ric, uscc

# Shenzhen's district codes as they appear in ID numbers (440301 is the old city-wide 市辖区 code).
SHENZHEN_CODES = (("440304", 50), ("440303", 12), ("440305", 12), ("440306", 8), ("440307", 8), ("440301", 10))

# Where Shenzhen's floating population comes from: real county codes (GB/T 2260) with their names, weighted roughly
# by the provinces' share of migrants (粤东西北, 湖南, 广西, 湖北, 江西, 四川, 河南, 重庆, 福建 and a few others).
# fmt: off
HOMETOWNS: tuple[tuple[str, str, int], ...] = (
    ("441481", "广东省梅州市兴宁市", 4), ("441422", "广东省梅州市大埔县", 3), ("440882", "广东省湛江市雷州市", 4),
    ("440981", "广东省茂名市高州市", 4), ("440983", "广东省茂名市信宜市", 3), ("445281", "广东省揭阳市普宁市", 5),
    ("445122", "广东省潮州市饶平县", 3), ("440513", "广东省汕头市潮阳区", 4), ("441581", "广东省汕尾市陆丰市", 4),
    ("441621", "广东省河源市紫金县", 3),
    ("430524", "湖南省邵阳市隆回县", 4), ("431081", "湖南省郴州市资兴市", 2), ("431124", "湖南省永州市道县", 3),
    ("430623", "湖南省岳阳市华容县", 2), ("430981", "湖南省益阳市沅江市", 2), ("431321", "湖南省娄底市双峰县", 3),
    ("430421", "湖南省衡阳市衡阳县", 3),
    ("450881", "广西壮族自治区贵港市桂平市", 4), ("450921", "广西壮族自治区玉林市容县", 3),
    ("450981", "广西壮族自治区玉林市北流市", 3), ("450422", "广西壮族自治区梧州市藤县", 2),
    ("450521", "广西壮族自治区北海市合浦县", 2),
    ("421182", "湖北省黄冈市武穴市", 2), ("421127", "湖北省黄冈市黄梅县", 2), ("420982", "湖北省孝感市安陆市", 2),
    ("421083", "湖北省荆州市洪湖市", 2),
    ("360730", "江西省赣州市宁都县", 3), ("360781", "江西省赣州市瑞金市", 2), ("361127", "江西省上饶市余干县", 2),
    ("360428", "江西省九江市都昌县", 2),
    ("511621", "四川省广安市岳池县", 2), ("511322", "四川省南充市营山县", 2), ("510921", "四川省遂宁市蓬溪县", 2),
    ("411522", "河南省信阳市光山县", 2), ("411627", "河南省周口市太康县", 2), ("411324", "河南省南阳市镇平县", 2),
    ("500233", "重庆市忠县", 2), ("500235", "重庆市云阳县", 2),
    ("350583", "福建省泉州市南安市", 2), ("350525", "福建省泉州市永春县", 1),
    ("340826", "安徽省安庆市宿松县", 1), ("370481", "山东省枣庄市滕州市", 1),
    ("230102", "黑龙江省哈尔滨市道里区", 1), ("610113", "陕西省西安市雁塔区", 1),
)
# fmt: on
HOMETOWN_BY_CODE = {code: name for code, name, _w in HOMETOWNS}
_HOMETOWN_CODES = [code for code, _n, _w in HOMETOWNS]
_HOMETOWN_WEIGHTS = [w for _c, _n, w in HOMETOWNS]
_SHENZHEN = [code for code, _w in SHENZHEN_CODES]
_SHENZHEN_WEIGHTS = [w for _c, w in SHENZHEN_CODES]

# Mobile prefixes in use (China Mobile, Unicom, Telecom, Broadnet).
# fmt: off
MOBILE_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159", "178", "182", "183",
    "184", "187", "188", "198", "130", "131", "132", "155", "156", "166", "175", "176", "185", "186", "133", "153",
    "173", "177", "180", "181", "189", "191", "199", "192",
)
# fmt: on


def shenzhen_area(rng: random.Random) -> str:
    return rng.choices(_SHENZHEN, _SHENZHEN_WEIGHTS)[0]


def hometown_area(rng: random.Random) -> str:
    return rng.choices(_HOMETOWN_CODES, _HOMETOWN_WEIGHTS)[0]


class IdNumbers:
    """18-character ID numbers, each used once: area code, birth date, a sequence whose parity is the gender."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, area: str, born: date, gender: str) -> str:
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if gender == "1" else 0)  # odd: male, even: female
            body = f"{area}{born:%Y%m%d}{sequence:03d}"
            number = body + ric.calc_check_digit(body + "0")
            if number not in self.used:
                self.used.add(number)
                return number


class Phones:
    """Mobile numbers and Shenzhen landlines (0755, eight digits), each handed out once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.used:
                self.used.add(phone)
                return phone

    def landline(self) -> str:
        while True:
            phone = f"0755-{self.rng.choice('2345678')}{self.rng.randrange(10**7):07d}"
            if phone not in self.used:
                self.used.add(phone)
                return phone


# GB 11714 organisation codes: 8 characters and a check character (weights 3 7 9 10 5 8 4 2, mod 11).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the characters a credit code allows


def organisation_code_check(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


# Registration authority and kind (the first two characters) per organisation type, and where it registers.
CREDIT_PREFIXES = {
    "enterprise": ("91", "440300"),  # 工商, 企业, registered with the city
    "property": ("91", "440300"),
    "individual": ("92", "440304"),  # 工商, 个体工商户, registered with the district
    "school": ("12", "440304"),  # 机构编制, 事业单位
    "government": ("11", "440304"),  # 机构编制, 机关
    "ngo": ("52", "440304"),  # 民政, 民办非企业单位
}


class CreditCodes:
    """Unified social credit codes (GB 32100) with a valid organisation code inside, each used once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, org_type: str) -> str:
        head, area = CREDIT_PREFIXES[org_type]
        while True:
            if head[0] == "9":  # codes given since 2015 start MA5 (Shenzhen's allocation)
                body = "MA5" + "".join(self.rng.choice(_ORG_ALPHABET) for _ in range(5))
            else:
                body = f"{self.rng.randrange(10**8):08d}"
            org = body + organisation_code_check(body)
            partial = head + area + org
            code = partial + uscc.calc_check_digit(partial)
            if code not in self.used:
                self.used.add(code)
                return code
