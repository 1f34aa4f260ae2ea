"""A NUL character in a request is refused with a clear 400, never a server error (PostgreSQL cannot store it)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/api/geo/regions?parent=44%00", "/open311/v2/requests.json?status=%00"])
def test_an_api_query_parameter_with_nul_gets_a_coded_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character" and "NUL" in response.json()["message"]


def test_a_json_body_with_an_escaped_nul_gets_a_coded_400(client):
    response = client.post("/api/events/", data='{"title": "a\\u0000b"}', content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "nul_character"


def test_a_page_query_with_nul_gets_a_plain_400(client):
    assert client.get("/login/?next=%00").status_code == 400


def test_ordinary_requests_pass(client):
    assert client.get("/login/?next=/").status_code == 200


def test_a_nul_in_a_header_is_cleaned_and_the_request_served(client):
    response = client.get("/login/", headers={"user-agent": "evil\x00agent", "accept": "text/html\x00"})
    assert response.status_code == 200
    assert "\x00" not in response.wsgi_request.META["HTTP_USER_AGENT"]
