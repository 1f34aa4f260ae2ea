from django.db import connection
from django.test.utils import CaptureQueriesContext

from .test_loop import report


def test_it_serves_the_openapi_spec_and_docs(world, client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert set(paths["/api/events"]["post"]["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert "/api/events/{code}/decide-extension" in paths
    assert client.get("/api/docs").status_code == 200


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_it_lists_events_in_a_constant_number_of_queries(world, as_):
    resident, admin = as_(world.resident), as_(world.admin)
    report(world, resident)
    admin.get("/events")  # the token's first use records last_used_at
    one = queries(admin.client, "/api/events")
    for _ in range(3):
        report(world, resident)
    assert queries(admin.client, "/api/events") == one


def test_it_lists_open311_requests_in_a_constant_number_of_queries(world, as_):
    resident, admin = as_(world.resident), as_(world.admin)
    report(world, resident)
    path = f"/open311/v2/requests.json?api_key={admin.key}"
    queries(admin.client, path)
    one = queries(admin.client, path)
    for _ in range(3):
        report(world, resident)
    assert queries(admin.client, path) == one


def test_a_list_and_a_detail_label_status_and_channel_in_chinese(world, as_):
    resident, admin = as_(world.resident), as_(world.admin)
    code = report(world, resident)
    assert admin.client.get("/api/events").json()["items"][0]["status_label"] == "待受理"
    detail = admin.client.get(f"/api/events/{code}").json()
    assert (detail["status_label"], detail["channel_label"]) == ("待受理", "居民")
