from .conftest import assert_error
from .test_loop import report


def codes(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [e["code"] for e in resp.json()["items"]]


def test_it_lists_events_in_scope_newest_first_with_filters(world, as_):
    resident = as_(world.resident)
    c1_litter = report(world, resident)
    c1_noise = report(world, resident, category="0201", grid=world.g2)
    c3_noise = report(world, as_(world.resident2), category="0201", grid=world.g3)
    as_(world.community_staff).act(c1_litter, "accept")

    assert codes(as_(world.community_staff).get("/events")) == [c1_noise, c1_litter]
    assert codes(as_(world.district_dispatcher).get("/events")) == [c3_noise, c1_noise, c1_litter]
    admin = as_(world.admin)
    assert codes(admin.get("/events", status="accepted")) == [c1_litter]
    assert codes(admin.get("/events", status="open")) == [c3_noise, c1_noise, c1_litter]
    assert codes(admin.get("/events", category="02")) == [c3_noise, c1_noise]
    assert codes(admin.get("/events", area="440304001001002")) == [c1_noise]
    assert codes(admin.get("/events", channel="resident", q=c1_litter[-5:])) == [c1_litter]
    assert codes(admin.get("/events", overdue="false", supervised="true")) == []


def test_it_pages_the_list(world, as_):
    resident = as_(world.resident)
    made = [report(world, resident) for _ in range(3)]
    page = resident.get("/events", page=2, page_size=2).json()
    assert (page["count"], page["page"], page["page_size"]) == (3, 2, 2)
    assert [e["code"] for e in page["items"]] == [made[0]]
    assert codes(resident.get("/events", page=9)) == []


def test_it_refuses_bad_list_parameters(world, as_):
    client = as_(world.admin)
    assert_error(client.get("/events", page_size=101), 422, "validation_error")
    assert_error(client.get("/events", page=0), 422, "validation_error")
    assert_error(client.get("/events", status="lost"), 422, "validation_error")
    assert_error(client.get("/events", date_from="yesterday"), 422, "validation_error")


def test_it_lists_by_reporting_date(world, as_):
    client = as_(world.admin)
    code = report(world, as_(world.resident))
    assert codes(client.get("/events", date_from="2000-01-01", date_to="2000-01-02")) == []
    assert codes(client.get("/events", date_from="2000-01-01")) == [code]
