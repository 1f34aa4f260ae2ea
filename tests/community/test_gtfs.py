"""GTFS import, all or nothing, and the stops nearest home."""

from __future__ import annotations

import io
import zipfile

import pytest

from shequ.community import gtfs, transit
from shequ.community.models import Feed, Route, Stop, StopRoute, StopTime, Trip

GOOD = {
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,一社区站,22.545,114.0525\nS2,二社区站,22.545,114.0650\n"
    "S3,远站,22.60,114.20\n",
    "routes.txt": "route_id,route_short_name,route_long_name,route_type\nR1,M101,示范区环线,3\n",
    "trips.txt": "route_id,service_id,trip_id,trip_headsign\nR1,WK,T1,市民中心\nR1,WK,T2,科技园\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
    "T1,07:00:00,07:00:00,S1,1\nT1,07:05:00,07:05:00,S2,2\nT2,25:10:00,25:10:00,S2,1\nT2,25:15:00,25:15:00,S1,2\n",
}


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, text in files.items():
            z.writestr(f"feed/{name}", text)
    return buffer.getvalue()


def test_a_good_feed_imports_and_lines_are_known_per_stop(db):
    feed = gtfs.import_feed(gtfs.files_from_zip(zipped(GOOD)), name="示范公交", by=None)
    assert (feed.stops, feed.routes, feed.trips, feed.stop_times) == (3, 1, 2, 4)
    assert StopTime.objects.get(trip__trip_id="T2", sequence=1).arrival == 25 * 3600 + 10 * 60
    stop = Stop.objects.get(stop_id="S1")
    line = StopRoute.objects.get(stop=stop)
    assert line.route.short_name == "M101" and set(line.headsigns.split(" / ")) == {"市民中心", "科技园"}


def test_the_nearest_stops_come_first_with_their_lines(db):
    gtfs.import_feed(gtfs.files_from_zip(zipped(GOOD)), name="示范公交", by=None)
    near = transit.nearest_stops(114.0526, 22.5451)
    assert [s.stop.stop_id for s in near] == ["S1"]  # S2 is 1.3 km away, S3 far
    assert near[0].metres < 20 and near[0].lines[0].route.short_name == "M101"
    wide = transit.nearest_stops(114.0526, 22.5451, radius=2000)
    assert [s.stop.stop_id for s in wide] == ["S1", "S2"]


def test_a_new_import_replaces_the_feed_of_that_name(db):
    gtfs.import_feed(gtfs.files_from_zip(zipped(GOOD)), name="示范公交", by=None)
    gtfs.import_feed(gtfs.files_from_zip(zipped(GOOD)), name="示范公交", by=None)
    assert Feed.objects.count() == 1 and Stop.objects.count() == 3


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({"stops.txt": None}, "stops.txt: "),
        ({"stops.txt": "stop_id,stop_name,stop_lat\nS1,a,22.5\n"}, "stop_lon"),
        ({"stops.txt": GOOD["stops.txt"] + "S4,坏站,north,114\n"}, "stops.txt"),
        ({"trips.txt": GOOD["trips.txt"] + "R9,WK,T3,无\n"}, "R9"),
        ({"stop_times.txt": GOOD["stop_times.txt"] + "T1,7am,7am,S1,3\n"}, "HH:MM:SS"),
        ({"stop_times.txt": GOOD["stop_times.txt"] + "T1,07:09:00,07:09:00,S9,3\n"}, "S9"),
        ({"stop_times.txt": GOOD["stop_times.txt"] + "T1,07:09:00,07:09:00,S1,2\n"}, "stop_sequence"),
        ({"routes.txt": "route_id,route_type\nR1,3\n"}, "route_short_name"),
    ],
)
def test_a_bad_file_refuses_the_whole_feed_naming_the_problem(db, broken, expected):
    gtfs.import_feed(gtfs.files_from_zip(zipped(GOOD)), name="旧", by=None)
    files = {k: v for k, v in {**GOOD, **broken}.items() if v is not None}
    with pytest.raises(gtfs.FeedRefused) as e:
        gtfs.import_feed(gtfs.files_from_zip(zipped(files)), name="示范公交", by=None)
    assert expected in e.value.message
    assert e.value.code == "gtfs_invalid"
    # Nothing half-written: only the earlier feed is there.
    assert list(Feed.objects.values_list("name", flat=True)) == ["旧"]
    assert (Stop.objects.count(), Route.objects.count(), Trip.objects.count(), StopTime.objects.count()) == (3, 1, 2, 4)


def test_a_file_that_is_not_a_zip_is_refused(db):
    with pytest.raises(gtfs.FeedRefused):
        gtfs.files_from_zip(b"PK not really")
