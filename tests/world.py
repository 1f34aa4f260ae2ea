"""A tiny district built through the real models, with the personas tests speak of.

    district 440304 (示范区)
      street S1 440304001            street S2 440304002
        community C1 440304001001      community C3 440304002001
          grid G1 ...001001001 (west half)   grid G3 ...002001001
          grid G2 ...001001002 (east half)
        community C2 440304001002
          grid G4 ...001002001

Each community is a 0.01° square; grids split it. Units: 城管 at street S1 (duty
for group 01 in S1), 环卫 at community C1 (duty for leaf 0101 in C1), 区城管局 at
the district. Personas carry the names the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass

from shequ.access.models import ApiToken, Role, Unit, User
from shequ.events.models import Category, Duty, Level, TimeLimit, TimeUnit
from shequ.geo import index
from shequ.geo.models import Region, RegionLevel


def square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


@dataclass
class World:
    district: Region
    s1: Region
    s2: Region
    c1: Region
    c2: Region
    c3: Region
    g1: Region
    g2: Region
    g3: Region
    g4: Region
    general: Level
    urgent: Level
    group_env: Category
    litter: Category  # 0101, duty at C1 -> sanitation
    graffiti: Category  # 0102, duty via group 01 at S1 -> city management
    noise: Category  # 0201, no duty anywhere
    sanitation: Unit
    city_mgmt: Unit
    district_mgmt: Unit
    resident: User
    resident2: User
    grid_worker: User  # G1
    grid_worker_g2: User
    community_staff: User  # C1
    community_staff_c3: User  # the outsider
    street_dispatcher: User  # S1
    street_dispatcher_s2: User
    district_dispatcher: User
    handler: User  # sanitation (C1)
    handler_city: User  # city management (S1)
    admin: User
    system: User

    def point_in(self, grid: Region) -> tuple[float, float]:
        ring = grid.boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def region(code: str, name: str, level: str, parent: Region | None, boundary: dict | None = None) -> Region:
    return Region.objects.create(code=code, name=name, level=level, parent=parent, boundary=boundary)


def user(username: str, role: str, *, region: Region | None = None, unit: Unit | None = None) -> User:
    return User.objects.create_user(
        username=username, password="pass-word-123", role=role, region=region, unit=unit, name=username
    )


def build_world() -> World:
    x, y = 114.05, 22.54
    d = region("440304", "示范区", RegionLevel.DISTRICT, None, square(x, y, x + 0.03, y + 0.02))
    s1 = region("440304001", "东街道", RegionLevel.STREET, d, square(x, y, x + 0.02, y + 0.01))
    s2 = region("440304002", "西街道", RegionLevel.STREET, d, square(x, y + 0.01, x + 0.01, y + 0.02))
    c1 = region("440304001001", "一社区", RegionLevel.COMMUNITY, s1, square(x, y, x + 0.01, y + 0.01))
    c2 = region("440304001002", "二社区", RegionLevel.COMMUNITY, s1, square(x + 0.01, y, x + 0.02, y + 0.01))
    c3 = region("440304002001", "三社区", RegionLevel.COMMUNITY, s2, square(x, y + 0.01, x + 0.01, y + 0.02))
    g1 = region("440304001001001", "一网格", RegionLevel.GRID, c1, square(x, y, x + 0.005, y + 0.01))
    g2 = region("440304001001002", "二网格", RegionLevel.GRID, c1, square(x + 0.005, y, x + 0.01, y + 0.01))
    g4 = region("440304001002001", "四网格", RegionLevel.GRID, c2, square(x + 0.01, y, x + 0.02, y + 0.01))
    g3 = region("440304002001001", "三网格", RegionLevel.GRID, c3, square(x, y + 0.01, x + 0.01, y + 0.02))
    index.invalidate()

    general = Level.objects.create(code="general", name="一般", rank=1, default_amount=5, default_unit="days")
    urgent = Level.objects.create(code="urgent", name="紧急", rank=2, default_amount=4, default_unit="hours")
    group_env = Category.objects.create(code="01", name="市容环境")
    litter = Category.objects.create(code="0101", name="暴露垃圾", parent=group_env, default_level=general)
    graffiti = Category.objects.create(code="0102", name="乱涂写", parent=group_env, default_level=general)
    group_order = Category.objects.create(code="02", name="街面秩序")
    noise = Category.objects.create(code="0201", name="噪声扰民", parent=group_order, default_level=general)
    TimeLimit.objects.create(category=litter, level=general, amount=2, unit=TimeUnit.DAYS)
    TimeLimit.objects.create(category=group_env, level=urgent, amount=2, unit=TimeUnit.HOURS)

    sanitation = Unit.objects.create(code="C1-HW", name="一社区环卫队", region=c1)
    city_mgmt = Unit.objects.create(code="S1-CG", name="东街道城管执法队", region=s1)
    district_mgmt = Unit.objects.create(code="D-CG", name="区城管局", region=d)
    Duty.objects.create(category=litter, region=c1, unit=sanitation)
    Duty.objects.create(category=group_env, region=s1, unit=city_mgmt)
    Duty.objects.create(category=group_env, region=d, unit=district_mgmt)

    return World(
        district=d,
        s1=s1,
        s2=s2,
        c1=c1,
        c2=c2,
        c3=c3,
        g1=g1,
        g2=g2,
        g3=g3,
        g4=g4,
        general=general,
        urgent=urgent,
        group_env=group_env,
        litter=litter,
        graffiti=graffiti,
        noise=noise,
        sanitation=sanitation,
        city_mgmt=city_mgmt,
        district_mgmt=district_mgmt,
        resident=user("resident", Role.RESIDENT),
        resident2=user("resident2", Role.RESIDENT),
        grid_worker=user("gridworker", Role.GRID_WORKER, region=g1),
        grid_worker_g2=user("gridworker2", Role.GRID_WORKER, region=g2),
        community_staff=user("c1staff", Role.COMMUNITY_STAFF, region=c1),
        community_staff_c3=user("c3staff", Role.COMMUNITY_STAFF, region=c3),
        street_dispatcher=user("s1dispatch", Role.STREET_DISPATCHER, region=s1),
        street_dispatcher_s2=user("s2dispatch", Role.STREET_DISPATCHER, region=s2),
        district_dispatcher=user("ddispatch", Role.DISTRICT_DISPATCHER, region=d),
        handler=user("handler", Role.UNIT_HANDLER, unit=sanitation),
        handler_city=user("handlercity", Role.UNIT_HANDLER, unit=city_mgmt),
        admin=user("admin", Role.ADMIN),
        system=user("hotline", Role.SYSTEM),
    )


def token_for(u: User, channel: str = "") -> str:
    return ApiToken.issue(user=u, name=f"{u.username} token", channel=channel)[1]
