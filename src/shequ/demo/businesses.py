"""The demo district's organisations: shops on the ground floors, firms in the office blocks, one property company
per estate, kindergartens, social organisations and each community's workstation.

About 2,000 at the default scale (72 % of shop premises and a third of office floors are let). Every one has a
valid unified social credit code (GB 32100, with a valid GB 11714 organisation code inside), a type from the
``organization_type`` code table, its premises dwelling and address, a contact and a legal representative.
Organisation tags (人员密集场所, 重点场所, 危化品经营, 出租屋) follow the kind of business.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from shequ.geo.models import Dwelling, Region, RegionLevel
from shequ.registry.bulk_writes import bulk_save_organizations
from shequ.registry.models import Organization, OrganizationTag, Tag

from . import names
from .history import DEMO_SOURCE, create_with_history
from .identifiers import CreditCodes, Phones

# Kinds of shop: (trade, weight, tags with their probability).
SHOP_TRADES: tuple[tuple[str, int, tuple[tuple[str, float], ...]], ...] = (
    ("湘菜馆", 5, (("crowded_place", 0.3),)),
    ("川菜馆", 4, (("crowded_place", 0.3),)),
    ("潮汕牛肉火锅店", 3, (("crowded_place", 0.5),)),
    ("肠粉店", 4, ()),
    ("面馆", 4, ()),
    ("烧腊店", 3, ()),
    ("茶餐厅", 4, (("crowded_place", 0.4),)),
    ("奶茶店", 4, ()),
    ("快餐店", 4, ()),
    ("烧烤店", 3, (("crowded_place", 0.2),)),
    ("便利店", 8, ()),
    ("超市", 3, (("crowded_place", 0.6),)),
    ("水果店", 4, ()),
    ("五金店", 3, ()),
    ("药店", 3, ()),
    ("烟酒商行", 3, ()),
    ("服装店", 4, ()),
    ("手机维修店", 3, ()),
    ("理发店", 5, ()),
    ("美容院", 3, ()),
    ("洗衣店", 2, ()),
    ("快递驿站", 3, ()),
    ("诊所", 2, (("key_place", 0.3),)),
    ("网吧", 1, (("crowded_place", 1.0), ("key_place", 1.0))),
    ("KTV", 1, (("crowded_place", 1.0), ("key_place", 0.6))),
    ("棋牌室", 1, (("key_place", 0.5),)),
    ("健身房", 1, (("crowded_place", 1.0),)),
    ("液化气供应站", 1, (("hazardous_chemicals", 1.0), ("key_place", 1.0))),
    ("油漆涂料店", 1, (("hazardous_chemicals", 1.0),)),
    ("公寓", 2, (("rental_housing", 1.0),)),
)
OFFICE_TRADES = (
    ("科技有限公司", 30),
    ("贸易有限公司", 15),
    ("电子有限公司", 10),
    ("投资咨询有限公司", 8),
    ("文化传媒有限公司", 7),
    ("建筑工程有限公司", 6),
    ("供应链管理有限公司", 6),
    ("人力资源服务有限公司", 4),
    ("教育培训中心有限公司", 4),
    ("会计师事务所有限公司", 3),
    ("律师事务所", 2),
    ("房地产经纪有限公司", 5),
)
NGO_NAMES = ("社会工作服务中心", "长者服务中心", "青少年服务中心", "志愿者协会", "文化艺术协会")


@dataclass
class OrganisationsSummary:
    organizations: int = 0
    employments: int = 0  # current ones, of people who live in another grid (``workplaces``)
    by_type: dict[str, int] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)


def _address(building_address: str, entrance: str, room: str) -> str:
    return f"深圳市福田区{building_address}{entrance + '单元' if entrance else ''}{room}"


def _compound(building_name: str) -> str:
    """锦绣花园3栋 -> 锦绣花园."""
    return building_name.removesuffix("栋").rstrip("0123456789")


class _Maker:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(f"{seed}:organisations")
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed + 3)
        self.today = today
        self.codes = CreditCodes(self.rng)
        self.phones = Phones(self.rng)
        self.names: set[str] = set()
        self.orgs: list[Organization] = []
        self.tags: list[tuple[Organization, str]] = []

    def brand(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3:
            return ("老" if rng.random() < 0.6 else "阿") + self.fake.last_name()
        if roll < 0.6:
            return rng.choice(names.ROOTS)
        return self.fake.company_prefix()

    def root(self) -> str:
        return self.rng.choice(names.ROOTS)

    def unique(self, template: str) -> str:
        """A name not used yet from ``template``, its {brand}, {prefix} and {root} drawn again on a clash."""
        fillers = {
            "brand": self.brand,
            "prefix": self.fake.company_prefix,
            "root": lambda: self.rng.choice(names.ROOTS),
        }

        def make() -> str:
            return template.format(**{key: fill() for key, fill in fillers.items() if "{" + key + "}" in template})

        for _attempt in range(50):
            name = make()
            if name not in self.names:
                self.names.add(name)
                return name
        name = f"{make()}{len(self.names)}"  # numbered, as registries do with a clash (第二分店)
        self.names.add(name)
        return name

    def add(self, name: str, org_type: str, premises: tuple, *, tags: tuple[tuple[str, float], ...] = ()) -> None:
        rng = self.rng
        pk, building_address, entrance, room = premises
        legal = self.fake.name()
        same = org_type == "individual" or rng.random() < 0.3
        contact = legal if same else self.fake.name()
        if org_type in ("individual", "property") or rng.random() < 0.6:
            phone = self.phones.mobile()
        else:
            phone = self.phones.landline()
        org = Organization(
            credit_code=self.codes.make(org_type),
            name=name,
            type=org_type,
            premises_id=pk,
            address=_address(building_address, entrance, room),
            contact_name=contact,
            contact_phone=phone,
            legal_representative=legal,
        )
        self.orgs.append(org)
        for code, chance in tags:
            if rng.random() < chance:
                self.tags.append((org, code))


def build_organizations(*, seed: int, today: date, grids: list[str] | None = None) -> OrganisationsSummary:
    """Organisations in the shops, offices and ground floors of ``grids`` (all grids when None)."""
    maker = _Maker(seed, today)
    rng = maker.rng
    premises = Dwelling.objects.filter(use__in=[Dwelling.Use.SHOP, Dwelling.Use.OFFICE]) | Dwelling.objects.filter(
        use=Dwelling.Use.HOME, floor=1
    )
    if grids is not None:
        premises = premises.filter(building__grid__code__in=grids)
    rows = premises.order_by("building__grid__code", "building_id", "pk").values_list(
        "pk", "use", "building__name", "building__address", "entrance", "room", "building__grid__code"
    )
    community_of = dict(
        Region.objects.filter(level=RegionLevel.GRID).values_list("code", "parent__name")
    )  # grid code -> community name
    shop_weights = [w for _t, w, _tags in SHOP_TRADES]
    office_trades, office_weights = [t for t, _w in OFFICE_TRADES], [w for _t, w in OFFICE_TRADES]
    estates: dict[tuple[str, str], list[tuple]] = {}
    free: dict[str, list[tuple]] = {}  # premises to let, by community
    for pk, use, building_name, building_address, entrance, room, grid in rows:
        place = (pk, building_address, entrance, room)
        if use == Dwelling.Use.HOME:
            if building_name.endswith("栋"):
                estates.setdefault((grid, _compound(building_name)), []).append(place)
            continue
        if use == Dwelling.Use.SHOP:
            if rng.random() >= 0.72:
                free.setdefault(community_of[grid], []).append(place)
                continue
            trade, _w, trade_tags = rng.choices(SHOP_TRADES, shop_weights)[0]
            if trade == "公寓" or rng.random() < 0.3:
                name = maker.unique(f"深圳市{{brand}}{_business(trade)}有限公司")
                maker.add(name, "enterprise", place, tags=trade_tags)
            else:
                name = maker.unique(f"深圳市福田区{{brand}}{trade}")
                maker.add(name, "individual", place, tags=trade_tags)
        else:
            roll = rng.random()
            if roll >= 0.33:
                free.setdefault(community_of[grid], []).append(place)
                continue
            if roll < 0.012:
                name = maker.unique(f"深圳市福田区{{root}}{rng.choice(NGO_NAMES)}")
                maker.add(name, "ngo", place)
            else:
                trade = rng.choices(office_trades, office_weights)[0]
                name = maker.unique(f"深圳市{{prefix}}{trade}")
                maker.add(name, "enterprise", place)
    # One property company per estate, its office (管理处) on a ground floor; a kindergarten in some estates.
    for (_grid, compound), places in sorted(estates.items()):
        place = places[0]
        name = maker.unique(f"深圳市{compound}物业管理有限公司")
        maker.add(name, "property", place, tags=(("key_place", 0.1),))
        if len(places) > 1 and rng.random() < 0.35:
            name = maker.unique(f"深圳市福田区{compound}幼儿园")
            maker.add(name, "school", places[1], tags=(("crowded_place", 1.0), ("key_place", 1.0)))
    # Each community's workstation (社区工作站) and party-and-public service centre, in premises still to let.
    for community, places in sorted(free.items()):
        maker.add(f"{names.DISTRICT_NAME}{community}工作站", "government", places[0])
        if len(places) > 1:
            maker.add(f"{names.DISTRICT_NAME}{community}党群服务中心", "government", places[-1])
    orgs = maker.orgs  # one per premises: shops and offices are let once, estates give two different homes
    bulk_save_organizations(new=orgs, changed=[], by=None, source=DEMO_SOURCE)
    tags = {t.code: t for t in Tag.objects.filter(applies_to="organization", active=True)}
    taggings = [
        OrganizationTag(
            organization=org,
            tag=tags[code],
            since=today - timedelta(days=rng.randint(30, 365 * 5)),
            source_kind=DEMO_SOURCE.kind,
            source_ref=DEMO_SOURCE.ref,
        )
        for org, code in dict.fromkeys(maker.tags)
        if code in tags
    ]
    create_with_history(OrganizationTag, "organization_tag", taggings)
    summary = OrganisationsSummary(organizations=len(orgs))
    for org in orgs:
        summary.by_type[org.type] = summary.by_type.get(org.type, 0) + 1
    for tagging in taggings:
        summary.tags[tagging.tag.code] = summary.tags.get(tagging.tag.code, 0) + 1
    return summary


def _business(trade: str) -> str:
    """The line of business in a company name: 湘菜馆 -> 餐饮管理, 公寓 -> 公寓管理."""
    if trade.endswith(("馆", "店", "厅", "铺")) and any(w in trade for w in ("菜", "面", "粉", "锅", "茶", "烧", "餐")):
        return "餐饮管理"
    if trade == "公寓":
        return "公寓管理"
    if trade in ("超市", "便利店"):
        return "商业连锁"
    return "商贸"
