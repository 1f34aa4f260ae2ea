"""/api/stats/counts: small cells suppressed, the differencing attacks blocked, the same answer in the window."""

from __future__ import annotations

import json
from datetime import timedelta

from shequ.audit.models import AuditEntry
from shequ.core import clock
from shequ.registry.models import PersonTag, Tag
from shequ.stats.lattice import Areas, Cell, infer, pinned
from shequ.stats.models import Release
from shequ.stats.queries import areas_under
from tests.api.conftest import assert_error

from .conftest import PURPOSE, cell, counts, settle

C1, G1, G2, G5 = "440304001001", "440304001001001", "440304001001002", "440304001001003"
S1, C2 = "440304001", "440304001002"


def asker_cannot_pin(town, small: Cell) -> None:
    """From everything released to the data user, the small cell cannot be worked out exactly."""
    released = {Cell.parse(r.cell): r.shown for r in Release.objects.all()}
    areas: Areas = areas_under(S1)
    assert small not in pinned(infer(released, areas), released)


def test_counts_are_exact_from_five_and_small_below(town, ask):
    answer = counts(ask(), C1, "area")
    assert cell(answer, C1) == "20"
    assert cell(answer, G1) == "10"
    assert cell(answer, G2) == "<5"
    # 20 - 10 - 7 would give G2 away: the smallest other grid is withheld.
    assert cell(answer, G5) == "x"
    assert answer["suppressed"] == 2
    g2 = next(c for c in answer["cells"] if c["area"] == G2)
    assert g2["count"] is None and g2["suppressed"] == "small" and g2["area_name"] == "二网格"


def test_attack_community_total_then_every_grid_but_one(town, ask):
    client = ask()
    assert cell(counts(client, C1), C1) == "20"
    assert cell(counts(client, G1), G1) == "10"
    # The third question would close 20 = 10 + G2 + 7.
    assert cell(counts(client, G5), G5) == "x"
    assert cell(counts(client, G2), G2) == "<5"
    asker_cannot_pin(town, Cell(G2))


def test_attack_total_then_all_age_bands_but_one(town, ask):
    client = ask()
    assert cell(counts(client, G1), G1) == "10"
    answer = counts(client, G1, "age_band")
    assert cell(answer, G1) == "10"  # the same as before
    assert cell(answer, G1, age_band="60-79") == "<5"
    assert cell(answer, G1, age_band="0-17") == "0"
    assert cell(answer, G1, age_band="18-34") == "x"
    asker_cannot_pin(town, Cell(G1, age_band="60-79"))


def test_attack_two_overlapping_areas(town, ask):
    client = ask()
    street = counts(client, S1, "residency")
    assert cell(street, S1, residency="floating") == "9"
    # C1's 3 floating residents = S1's 9 - C2's 6: C2's floating count is withheld.
    answer = counts(client, C2, residency="floating")
    assert cell(answer, C2, residency="floating") == "x"
    asker_cannot_pin(town, Cell(C1, residency="floating"))


def test_overlapping_areas_broken_down_by_area_and_residency(town, ask):
    client = ask()
    counts(client, S1, "area,residency")
    counts(client, C1, "area,residency")
    counts(client, C2, "area,residency")
    for small in (Cell(G2, residency="floating"), Cell(C2, residency="registered")):
        asker_cannot_pin(town, small)
    assert not [r for r in Release.objects.all() if r.shown.isdigit() and 0 < r.count < 5]


def test_the_same_question_gets_the_same_answer_in_the_window(town, ask):
    client = ask()
    first = counts(client, C1, "area")
    settle(town.g5, 1, room="999")  # someone moves in: the answer does not move
    assert counts(client, C1, "area") == first
    with clock.frozen(clock.now() + timedelta(days=31)):
        later = counts(client, C1, "area")
    assert cell(later, C1) == "21"


def test_breakdown_by_tag_and_tag_filter(town, ask):
    low = Tag.objects.get(code="low_income")
    for person in town.world.g1.buildings.first().dwellings.first().residences.all()[:6]:
        PersonTag.objects.create(person=person.person, tag=low, since=clock.now().date(), source_kind="manual")
    answer = counts(ask(), C1, "tag")
    assert cell(answer, C1, tag="low_income") == "6"
    assert cell(answer, C1, tag="disabled") == "0"
    assert cell(answer, C1) == "20"
    filtered = counts(ask(), C1, "area", tag="low_income")
    assert cell(filtered, G1, tag="low_income") == "6"


def test_bad_questions_are_422_with_a_code(town, ask):
    client = ask()
    for params, code in (
        ({"by": "area,tag,age_band"}, "stats_bad_by"),
        ({"by": "height"}, "stats_bad_by"),
        ({"tag": "nope"}, "stats_unknown_tag"),
        ({"residency": "martian"}, "stats_bad_residency"),
        ({"by": "tag", "tag": "low_income"}, "stats_filter_and_breakdown"),
    ):
        resp = client.get("/stats/counts", area=C1, purpose=PURPOSE, **params)
        assert_error(resp, 422, code)
    assert_error(client.get("/stats/counts", area=G1, by="area", purpose=PURPOSE), 422, "stats_no_subareas")


def test_purpose_is_required(town, ask):
    resp = ask().get("/stats/counts", area=C1)
    body = assert_error(resp, 422, "purpose_required")
    assert "用途" in body["message"]
    assert not AuditEntry.objects.filter(action="stats.query").exists()


def test_scope(town, ask):
    world = town.world
    client = ask()
    assert_error(client.get("/stats/counts", area=world.c3.code, purpose=PURPOSE), 404, "stats_area_not_found")
    assert_error(client.get("/stats/counts", area="440304009999", purpose=PURPOSE), 404, "stats_area_not_found")
    for who in (world.community_staff, world.resident, world.grid_worker, world.handler):
        assert_error(ask(who).get("/stats/counts", area=C1, purpose=PURPOSE), 403, "stats_forbidden")
    town.data_user.region = None
    town.data_user.save()
    assert_error(client.get("/stats/counts", area=C1, purpose=PURPOSE), 403, "stats_no_area")
    # Administrators may ask anywhere.
    assert cell(counts(ask(world.admin), world.c3.code), world.c3.code) == "<5"


def test_every_query_is_audited_with_its_purpose(town, ask):
    counts(ask(), C1, "area")
    entry = AuditEntry.objects.get(action="stats.query")
    assert entry.purpose == PURPOSE
    assert entry.actor_username == "shuju"
    assert entry.channel == "api"
    assert entry.area_code == C1
    assert entry.detail["by"] == ["area"] and entry.detail["suppressed"] == 2 and entry.detail["complementary"] == 1


def test_the_router_is_in_the_openapi_spec(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    get = paths["/api/stats/counts"]["get"]
    post = paths["/api/stats/membership"]["post"]
    assert {"200", "403", "404", "422"} <= set(get["responses"])
    assert {"200", "403", "404", "422", "429"} <= set(post["responses"])
    assert "$ref" in json.dumps(get["responses"]["200"]) and "$ref" in json.dumps(post["responses"]["429"])
