from __future__ import annotations

from shequ.access.models import Role, User
from shequ.events.models import Event, Status, TimelineEntry
from shequ.geo.models import RegionLevel

from ..conftest import EVENTS, NOW


def test_it_plays_the_asked_number_of_events_within_the_ninety_days(demo_db):
    assert demo_db.events == EVENTS == Event.objects.count()
    first = Event.objects.order_by("reported_at").first().reported_at
    assert (NOW - first).days < 90
    assert not Event.objects.filter(reported_at__gt=NOW).exists()
    assert not TimelineEntry.objects.filter(at__gt=NOW).exists()


def test_it_shows_every_state_of_the_loop(demo_db):
    events = Event.objects.all()
    assert set(events.values_list("status", flat=True)) == set(Status.values)
    dispatched = events.filter(status=Status.DISPATCHED)
    assert dispatched.filter(overdue=True, supervised=True).exists()
    assert dispatched.filter(overdue=False, supervised=True).exists()
    assert dispatched.filter(extension_hours__isnull=False).exists()  # a pending extension
    assert dispatched.filter(rework_count__gt=0, timeline__action="reopen").exists()  # after a low rating
    assert events.filter(status=Status.CLOSED, rating__isnull=False).exists()
    assert events.filter(status=Status.CLOSED, rating__isnull=True).exists()
    assert events.filter(status=Status.CLOSED, rework_count__gt=0).exists()
    assert events.filter(return_count__gt=0).exists()
    # Routed to the street desk: no duty for the category, waiting there.
    assert events.filter(status=Status.ACCEPTED, desk__level=RegionLevel.STREET).exists()
    actions = set(TimelineEntry.objects.values_list("action", flat=True))
    assert {"escalate", "return", "to_street_desk", "overdue", "verify_fail", "reopen", "reject"} <= actions


def test_it_records_one_timeline_row_per_step_in_time_order(demo_db):
    for event in Event.objects.prefetch_related("timeline"):
        rows = list(event.timeline.all())
        assert rows[0].action == "report" and rows[0].at == event.reported_at
        assert [r.at for r in rows] == sorted(r.at for r in rows)
        assert rows[-1].to_status == event.status


def test_it_creates_one_account_per_role_with_the_demo_password(demo_db):
    named = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "jumin",
                "wanggeyuan",
                "shequ",
                "jiedao",
                "quzhongxin",
                "chuzhi",
                "admin",
                "shenji",
                "wuye",
                "shuju",
                "fuwu",
            ]
        )
    }
    assert {u.role for u in named.values()} == set(Role.values) - {Role.SYSTEM}
    assert named["wanggeyuan"].region.level == RegionLevel.GRID
    assert named["shequ"].region.level == RegionLevel.COMMUNITY
    assert named["jiedao"].region.level == RegionLevel.STREET
    assert named["quzhongxin"].region.level == RegionLevel.DISTRICT
    assert named["chuzhi"].unit.code.endswith("-CG")
    assert named["shuju"].region.level == RegionLevel.STREET and named["wuye"].unit is not None
    assert named["fuwu"].unit.provider.kind == "home_care"  # the home-care agency's account (demo/services.py)
    assert named["admin"].is_superuser and named["admin"].is_staff
    assert all(u.check_password("shequ2025") for u in named.values())
    grids = named["wanggeyuan"].region.__class__.objects.filter(level=RegionLevel.GRID).count()
    assert User.objects.filter(role=Role.GRID_WORKER).count() == grids
