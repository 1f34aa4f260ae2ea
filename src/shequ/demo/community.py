"""Community life in the demo district, made through the community app's own actions (so the ledgers' postings,
timelines and audit rows are the real ones), per demo community:

- volunteers: people of the base living there (adults settled for a while), each with a portal account
  (``zhiyuan<community><n>``, the demo password), registered by the community's staff, in a few teams; in the first
  grid worker's community the demo resident accounts (``jumin`` …) are among them;
- activities: two past ones with sign-ups, QR check-in and check-out (the hours go to the time bank, the points by
  the district's rules), and upcoming ones of every kind (volunteering, culture, a weekly course, fitness) with
  sign-ups;
- the points shop with items, a few redemptions (one collected);
- deliberation: a resident's proposal gathering support with a thread, an owners' vote in progress over one
  building (its dwellings get floor areas, some owners have voted, ``jumin`` has not when he owns one there) and a
  decision with a follow-up;
- flea-market listings, two fitness spots with check-ins over the last weeks;

and once for the district the sample GTFS feed shipped in ``data/gtfs/`` (four lines across the district), imported
through the real GTFS import, so the portal shows the stops and lines nearest a demo resident's home.

Everything is drawn from its own random stream (``<seed>:community``); times are relative to ``now``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db.models import Count
from django.utils import timezone

from shequ.access.models import Role, User
from shequ.community import activities, deliberation, gtfs, market, points, shop, volunteering, voting
from shequ.community.models import Matter, Skill, Trigger, Volunteer, Vote
from shequ.core import clock
from shequ.core.errors import DomainError
from shequ.geo.models import Building, Dwelling, Region, RegionLevel
from shequ.registry.models import Person
from shequ.registry.queries import current_residences

from .organisation import DEMO_PASSWORD

GTFS_DIR = Path(__file__).resolve().parent / "data" / "gtfs"
FEED_NAME = "示范区公交（样例）"
VOLUNTEERS = 12  # per community, besides the demo resident accounts
TEAMS = (("敬老助残志愿服务队", "companionship"), ("环保与垃圾分类志愿队", "sorting"), ("文明劝导志愿队", "first_aid"))
RULES = {Trigger.VOLUNTEER_HOUR: 10, Trigger.DELIBERATION: 5, Trigger.SORTING_CHECK: 2, Trigger.PROBLEM_CLOSED: 20}
PAST = (
    ("volunteer", "敬老院陪伴日", "社区长者服务中心", 20, 3),
    ("volunteer", "社区环境清洁行动", "社区党群服务中心门前广场", 9, 2),
)
UPCOMING = (
    ("volunteer", "重阳节探访独居老人", "社区长者服务中心", 3, 3, 1),
    ("culture", "邻里电影夜", "社区文化广场", 5, 2, 1),
    ("course", "长者智能手机课堂", "社区党群服务中心二楼", 2, 2, 4),
    ("fitness", "晨练太极班", "社区体育公园", 1, 1, 6),
)
SHOP = (("环保购物袋", 20, 30), ("洗衣液（2 升）", 60, 12), ("社区理发券", 40, 20))
LISTINGS = (
    ("儿童自行车", "sale", "80", "", "孩子长大了，九成新，带辅助轮。"),
    ("书架一个", "free", None, "", "搬家用不上，自提。"),
    ("电饭煲换台灯", "swap", None, "一盏台灯", "用了一年，功能正常。"),
    ("小学课外书二十本", "sale", "50", "", "适合三到五年级。"),
)


@dataclass
class CommunitySummary:
    communities: int = 0
    volunteers: int = 0
    teams: int = 0
    activities: int = 0
    attendances: int = 0
    proposals: int = 0
    listings: int = 0
    stops: int = 0


def build_community(*, seed: int, now: datetime) -> CommunitySummary:
    summary = CommunitySummary()
    rng = random.Random(f"{seed}:community")
    district = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code").first()
    chief = User.objects.filter(role=Role.DISTRICT_DISPATCHER).order_by("date_joined", "pk").first()
    if district is None or chief is None:
        return summary
    with clock.frozen(now - timedelta(days=60)):
        for trigger, value in RULES.items():
            points.set_rule(by=chief, region=district, trigger=trigger, points=value)
    password = make_password(DEMO_PASSWORD)
    staff_of = {
        u.region_id: u
        for u in User.objects.filter(role=Role.COMMUNITY_STAFF).order_by("-date_joined", "-pk").select_related("region")
    }
    for index, community in enumerate(Region.objects.filter(level=RegionLevel.COMMUNITY).order_by("code"), start=1):
        desk = staff_of.get(community.pk)
        if desk is None:
            continue
        life = _Community(community, desk, rng=rng, now=now, password=password, index=index)
        life.build(summary)
        summary.communities += 1
    summary.stops = import_sample_feed()
    return summary


def import_sample_feed() -> int:
    files = {path.name: path.read_bytes() for path in GTFS_DIR.iterdir() if path.name in gtfs.FILES}
    return gtfs.import_feed(files, name=FEED_NAME, by=None).stops


class _Community:
    def __init__(self, community: Region, desk: User, *, rng: random.Random, now: datetime, password: str, index: int):
        self.community, self.desk, self.rng, self.now = community, desk, rng, now
        self.password, self.index = password, index
        self.accounts: list[User] = []

    # --- people ---------------------------------------------------------------------------------------------

    def _settled(self) -> list[int]:
        """Adults living in the community for at least 90 days (so they lived there at every past demo time)."""
        today = self.now.date()
        rows = (
            current_residences()
            .filter(
                dwelling__building__grid__code__startswith=self.community.code,
                start__lte=today - timedelta(days=90),
                person__birth_date__lte=today - timedelta(days=366 * 18),
                person__birth_date__gte=today - timedelta(days=365 * 72),
                person__merged_into__isnull=True,
            )
            .values_list("person_id", flat=True)
            .order_by("person_id")
        )
        return sorted(set(rows))

    def _account(self, person: Person) -> User:
        if person.account is not None:
            return person.account
        n = len(self.accounts) + 1
        account = User.objects.create(
            username=f"zhiyuan{self.index}{n:02d}", password=self.password, role=Role.RESIDENT, name=person.name
        )
        Person.objects.filter(pk=person.pk).update(account=account)
        person.account = account
        self.accounts.append(account)
        return account

    def build(self, summary: CommunitySummary) -> None:
        ids = self._settled()
        linked = list(Person.objects.filter(pk__in=ids, account__isnull=False).select_related("account").order_by("pk"))
        demo_people = linked[:3]
        others = [pk for pk in ids if pk not in {p.pk for p in demo_people}]
        chosen = self.rng.sample(others, min(VOLUNTEERS, len(others)))
        people = demo_people + list(Person.objects.filter(pk__in=chosen).select_related("account").order_by("pk"))
        if len(people) < 4:
            return
        for person in people:
            self._account(person)
        with clock.frozen(self.now - timedelta(days=45)):
            volunteers = self._volunteers(people)
        summary.volunteers += len(volunteers)
        summary.teams += len(TEAMS)
        summary.attendances += self._past_activities(people)
        summary.activities += len(PAST) + self._upcoming(people)
        self._fitness(people)
        self._shop(people)
        summary.proposals += self._deliberation(people, linked)
        summary.listings += self._market(people)

    def _volunteers(self, people: list[Person]) -> list[Volunteer]:
        skills = list(Skill.objects.order_by("code"))
        volunteers = []
        for person in people:
            profile = volunteering.Profile(
                skills=self.rng.sample(skills, 2),
                availability=self.rng.sample(["weekday_evening", "weekend_day", "weekend_evening", "weekday_day"], 2),
            )
            volunteers.append(
                volunteering.register(by=self.desk, person=person, community=self.community, profile=profile)
            )
        for t, (name, _skill) in enumerate(TEAMS):
            team = volunteering.create_team(by=self.desk, community=self.community, name=name)
            members = volunteers[t :: len(TEAMS)]
            for m, volunteer in enumerate(members):
                volunteering.add_member(team, by=self.desk, volunteer=volunteer, leader=m == 0)
        return volunteers

    # --- activities -----------------------------------------------------------------------------------------

    def _activity(self, kind: str, title: str, place: str, sessions: list[tuple[datetime, datetime]], **kw):
        data = activities.ActivityInput(
            community=self.community, kind=kind, title=title, place=place, sessions=sessions, **kw
        )
        return activities.publish(activities.create(by=self.desk, data=data), by=self.desk)

    def _day(self, days: int, hour: int) -> datetime:
        """``hour`` o'clock (local time) ``days`` from now."""
        return (timezone.localtime(self.now) + timedelta(days=days)).replace(
            hour=hour, minute=0, second=0, microsecond=0
        )

    def _past_activities(self, people: list[Person]) -> int:
        came = 0
        for kind, title, place, days_ago, hours in PAST:
            start = self._day(-days_ago, 9)
            end = start + timedelta(hours=hours)
            with clock.frozen(start - timedelta(days=7)):
                activity = self._activity(kind, title, place, [(start, end)], capacity=20)
            joined = people[: max(4, len(people) - self.rng.randrange(1, 4))]
            with clock.frozen(start - timedelta(days=5)):
                for person in joined:
                    activities.sign_up(activity, by=self._account(person))
            session = activity.sessions.get()
            for person in joined:
                if self.rng.random() < 0.15:
                    continue  # signed up, did not come
                with clock.frozen(start - timedelta(minutes=self.rng.randrange(0, 10))):
                    activities.scan(session.code, by=self._account(person))
                leave = end - timedelta(minutes=self.rng.choice([0, 0, 0, 20, 45]))
                with clock.frozen(leave + timedelta(minutes=self.rng.randrange(0, 5))):
                    activities.scan(session.code, by=self._account(person))
                came += 1
        return came

    def _upcoming(self, people: list[Person]) -> int:
        made = 0
        with clock.frozen(self.now - timedelta(days=2)):
            for kind, title, place, in_days, hours, weeks in UPCOMING:
                first = self._day(in_days, 9 if kind != "culture" else 19)
                sessions = [(first + timedelta(weeks=w), first + timedelta(weeks=w, hours=hours)) for w in range(weeks)]
                activity = self._activity(kind, title, place, sessions, capacity=30 if kind != "course" else 15)
                made += 1
                for person in self.rng.sample(people, min(len(people), self.rng.randrange(3, 8))):
                    try:
                        activities.sign_up(activity, by=self._account(person))
                    except DomainError:  # full
                        break
        return made

    def _fitness(self, people: list[Person]) -> None:
        spots = [
            activities.create_spot(by=self.desk, community=self.community, name=name)
            for name in ("社区体育公园健身点", "滨河步道健身点")
        ]
        for person in people[: max(3, len(people) // 2)]:
            for days_ago in sorted(self.rng.sample(range(1, 28), self.rng.randrange(2, 6))):
                with clock.frozen(self._day(-days_ago, 7)):
                    activities.fitness_check_in(self.rng.choice(spots).code, by=self._account(person))

    def _shop(self, people: list[Person]) -> None:
        items = [shop.add_item(by=self.desk, community=self.community, name=n, points=p, stock=s) for n, p, s in SHOP]
        with clock.frozen(self.now - timedelta(days=3)):
            for k, person in enumerate(people[:4]):
                item = items[2] if k % 2 else items[0]
                try:
                    redemption = shop.redeem(item, by=self._account(person), key=f"demo-{k}")
                except DomainError:  # not enough points
                    continue
                if k == 0:
                    shop.confirm(redemption, by=self.desk)

    # --- deliberation ---------------------------------------------------------------------------------------

    def _vote_building(self, linked: list[Person]) -> tuple[Building | None, Person | None]:
        """The home of the first demo resident account that owns one here (their ballot is left for them to cast),
        else the building with the most owners."""
        owned = current_residences().filter(
            dwelling__building__grid__code__startswith=self.community.code, role="owner"
        )
        mine = owned.filter(person__in=linked).select_related("dwelling__building", "person").order_by("person_id")
        first = mine.first()
        if first is not None:
            return first.dwelling.building, first.person
        top = owned.values("dwelling__building").annotate(n=Count("pk")).order_by("-n", "dwelling__building").first()
        return (Building.objects.get(pk=top["dwelling__building"]) if top else None), None

    def _deliberation(self, people: list[Person], linked: list[Person]) -> int:
        raiser = people[1]
        with clock.frozen(self.now - timedelta(days=6)):
            p1 = deliberation.raise_proposal(
                by=self._account(raiser),
                community=self.community,
                title="在小区增设电动自行车集中充电棚",
                body="楼道里充电有火灾隐患，建议在小区空地建集中充电棚，按次收费。",
            )
            deliberation.post(p1, by=self._account(people[2]), body="支持，楼道里常常堆着电动车。")
            deliberation.post(p1, by=self.desk, body="社区已联系物业了解场地，欢迎大家继续提意见。")
            for person in people[2:7]:
                deliberation.support(p1, by=self._account(person))
        building, keep = self._vote_building(linked)
        if building is not None:
            dwellings = list(Dwelling.objects.filter(building=building, area__isnull=True).order_by("pk"))
            for dwelling in dwellings:
                dwelling.area = Decimal(self.rng.randrange(6000, 14000)) / 100
            Dwelling.objects.bulk_update(dwellings, ["area"])
            with clock.frozen(self.now - timedelta(days=3)):
                p2 = deliberation.raise_proposal(
                    by=self.desk,
                    community=self.community,
                    title=f"{building.name}续聘物业服务企业",
                    body="现物业服务合同年底到期，拟续聘三年，服务标准与收费不变。",
                )
                p2 = deliberation.put_on_agenda(p2, by=self.desk)
                vote = voting.create(
                    by=self.desk,
                    proposal=p2,
                    kind="owners",
                    matter=Matter.MANAGER,
                    question="是否同意续聘现物业服务企业三年？",
                    buildings=[building],
                    opens_at=self.now - timedelta(days=2),
                    closes_at=self.now + timedelta(days=7),
                )
            with clock.frozen(self.now - timedelta(days=2)):
                vote = voting.open_vote(vote, by=self.desk)
            self._ballots(vote, keep=keep)
        with clock.frozen(self.now - timedelta(days=30)):
            p3 = deliberation.raise_proposal(
                by=self._account(people[3]),
                community=self.community,
                title="修复中心花园的路灯",
                body="中心花园有三盏路灯不亮，晚上散步不安全。",
            )
            p3 = deliberation.put_on_agenda(p3, by=self.desk)
            decision = deliberation.decide(
                p3,
                by=self.desk,
                text="由社区工作站联系供电所，两周内修复。",
                owner=self.desk,
                due=(self.now + timedelta(days=10)).date(),
            )
        with clock.frozen(self.now - timedelta(days=20)):
            deliberation.follow_up(decision, by=self.desk, note="已报修，供电所排期下周施工。", state="doing")
        return 3 if building is not None else 2

    def _ballots(self, vote: Vote, keep: Person | None) -> None:
        """About half of the roll has voted, online, each by an owner (given an account for it); not ``keep``'s."""
        entries = list(vote.roll.prefetch_related("voters").order_by("pk"))
        with clock.frozen(self.now - timedelta(days=1)):
            for entry in entries:
                voters = list(entry.voters.all())
                if not voters or (keep is not None and keep in voters) or self.rng.random() < 0.5:
                    continue
                owner = voters[0]
                account = self._account(owner)
                choice = self.rng.choices(["yes", "no", "abstain"], weights=[7, 2, 1])[0]
                voting.cast(vote, by=account, entry=entry, choice=choice)

    def _market(self, people: list[Person]) -> int:
        for k, (title, kind, price, swap_for, text) in enumerate(LISTINGS):
            with clock.frozen(self.now - timedelta(days=1 + 3 * k)):
                market.create(
                    by=self._account(people[(k + 4) % len(people)]),
                    community=self.community,
                    title=title,
                    kind=kind,
                    price=price,
                    swap_for=swap_for,
                    description=text,
                    show_phone=k == 0,
                )
        return len(LISTINGS)
