from shequ.events import actions
from shequ.events.models import Channel, Status, TimelineEntry


def test_it_runs_the_loop_from_report_to_rating(world):
    lon, lat = world.point_in(world.g1)
    event = actions.report(
        by=world.resident, channel=Channel.RESIDENT, description="楼下垃圾堆积", category=world.litter, lon=lon, lat=lat
    )
    assert event.grid == world.g1 and event.community == world.c1 and event.desk == world.c1
    event = actions.accept(event, by=world.community_staff)
    event = actions.dispatch(event, by=world.community_staff)
    assert event.unit == world.sanitation and event.deadline is not None
    event = actions.handle(event, by=world.handler, result="已清理")
    event = actions.verify(event, by=world.grid_worker, passed=True)
    event = actions.rate(event, by=world.resident, score=5, comment="很快")
    assert event.status == Status.CLOSED and event.rating == 5
    assert list(TimelineEntry.objects.filter(event=event).values_list("action", flat=True)) == [
        "report",
        "accept",
        "dispatch",
        "handle",
        "verify_pass",
        "rate",
    ]
