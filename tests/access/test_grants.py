"""Grants: clearance per role, further grants inherited down the region tree, the acting grant chosen per session
(applied in memory, never saved), tokens bound to a grant, audited grant changes, the admin pages, data users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from shequ.access import grants
from shequ.access.models import ApiToken, Grant, GrantApplied, Role, User
from shequ.access.scopes import Clearance, area_prefix, clearance
from shequ.audit.models import AuditEntry
from shequ.core import clock
from shequ.registry import queries
from tests.registry.masking_world import build_scene, client_for


@pytest.fixture
def scene(world):
    return build_scene(world)


def test_each_role_has_a_default_clearance(world):
    assert clearance(world.grid_worker) == Clearance(3, 4)
    assert clearance(world.community_staff) == Clearance(3, 4)
    assert clearance(world.street_dispatcher) == Clearance(2, 3)
    assert clearance(world.handler) == Clearance(2, 3)
    assert clearance(world.admin) == Clearance(3, 4)
    auditor = User.objects.create_user(username="aud", role=Role.AUDITOR)
    assert clearance(auditor) == Clearance(2, 2)
    company = User.objects.create_user(username="wy", role=Role.PROPERTY_COMPANY)
    assert clearance(company) == Clearance(3, 3, property_only=True)
    assert clearance(User.objects.create_user(username="du", role=Role.DATA_USER)) == Clearance(1, 1)


def test_a_grant_at_a_street_reaches_every_grid_below_it(world, scene):
    worker = world.grid_worker_g2  # sees only grid g2 on their own
    assert not queries.people_for(worker).filter(pk=scene.zhang.pk).exists()
    grant = grants.add_grant(worker, role=Role.STREET_DISPATCHER, region=world.s1, by=world.admin)
    grants.apply(worker, grant)
    assert area_prefix(worker) == world.s1.code
    assert queries.people_for(worker).filter(pk=scene.zhang.pk).exists()  # g1, two levels below the street
    assert not queries.people_for(worker).filter(pk=scene.wang.pk).exists()  # another street
    assert clearance(worker) == Clearance(2, 3)


def test_the_acting_grant_is_chosen_in_the_top_bar_and_kept_for_the_session(world, scene):
    worker = world.grid_worker
    grant = grants.add_grant(
        worker, role=Role.COMMUNITY_STAFF, region=world.c3, by=world.admin, clear_level="L2", reveal_level="L3"
    )
    client = client_for(worker)
    page = client.get("/registry/people/").content.decode()
    assert 'data-form="grant-switch"' in page and "张*国" not in page and "张建国" in page
    response = client.post("/access/grant/", {"grant": str(grant.pk), "next": "/registry/people/"})
    assert response.status_code == 302 and response["Location"] == "/registry/people/"
    page = client.get("/registry/people/").content.decode()
    assert "王*" in page and "张建国" not in page  # c3's people, with the grant's own clearance (L2)
    assert client.get(f"/registry/people/{scene.zhang.pk}/").status_code == 404
    client.post("/access/grant/", {"grant": "primary", "next": "/registry/people/"})
    assert "张建国" in client.get("/registry/people/").content.decode()
    worker.refresh_from_db()
    assert (worker.role, worker.region_id) == (Role.GRID_WORKER, world.g1.pk)  # nothing was saved


def test_someone_elses_or_an_expired_grant_cannot_be_chosen(world):
    other = grants.add_grant(world.grid_worker_g2, role=Role.COMMUNITY_STAFF, region=world.c3, by=world.admin)
    expired = grants.add_grant(
        world.grid_worker,
        role=Role.COMMUNITY_STAFF,
        region=world.c3,
        by=world.admin,
        expires_at=clock.now() - timedelta(days=1),
    )
    client = client_for(world.grid_worker)
    for grant in (other, expired):
        client.post("/access/grant/", {"grant": str(grant.pk), "next": "/"})
        assert grants.SESSION_KEY not in client.session


def test_a_user_with_a_grant_applied_is_never_saved(world):
    grant = grants.add_grant(world.grid_worker, role=Role.COMMUNITY_STAFF, region=world.c3, by=world.admin)
    user = grants.apply(User.objects.get(pk=world.grid_worker.pk), grant)
    with pytest.raises(GrantApplied):
        user.save()
    user.save(update_fields=["last_login"])  # what sign-in writes is fine
    assert User.objects.get(pk=user.pk).role == Role.GRID_WORKER


def test_a_token_bound_to_a_grant_acts_under_it(world, scene):
    grant = grants.add_grant(world.grid_worker_g2, role=Role.COMMUNITY_STAFF, region=world.c1, by=world.admin)
    _token, key = ApiToken.issue(user=world.grid_worker_g2, name="c1 sync", grant=grant)
    data = Client().get("/api/registry/people", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [p["id"] for p in data["items"]] == [scene.zhang.pk]
    with pytest.raises(ValueError):
        ApiToken.issue(user=world.grid_worker, name="not mine", grant=grant)


def test_adding_and_removing_a_grant_is_audited(world):
    grant = grants.add_grant(world.grid_worker, role=Role.COMMUNITY_STAFF, region=world.c3, by=world.admin)
    grants.remove_grant(grant)
    entries = AuditEntry.objects.filter(action="grant_change", fields=["grant"]).order_by("sequence")
    assert [e.detail["op"] for e in entries] == ["add", "remove"]
    assert all(e.target_id == str(world.grid_worker.pk) for e in entries)
    assert entries[0].detail["role"] == Role.COMMUNITY_STAFF and entries[0].detail["region_id"] == world.c3.pk


def test_a_grant_must_name_the_scope_its_role_needs(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        grants.add_grant(world.grid_worker, role=Role.COMMUNITY_STAFF, by=world.admin)
    with pytest.raises(ValidationError):
        grants.add_grant(world.grid_worker, role=Role.PROPERTY_COMPANY, by=world.admin)
    assert not Grant.objects.exists()


def test_the_admin_pages_for_grants_are_in_chinese(world):
    boss = User.objects.create_superuser(username="root", password="pass-word-123", role=Role.ADMIN)
    grants.add_grant(world.grid_worker, role=Role.COMMUNITY_STAFF, region=world.c3, by=boss)
    client = client_for(boss)
    listing = client.get("/admin/access/grant/")
    assert listing.status_code == 200 and "授权" in listing.content.decode()
    assert client.get(f"/admin/access/user/{world.grid_worker.pk}/change/").status_code == 200


def test_a_data_user_is_refused_staff_pages_with_a_chinese_page(world):
    data_user = User.objects.create_user(username="du", password="pass-word-123", role=Role.DATA_USER)
    for path in ("/", "/registry/", "/collection/"):
        response = client_for(data_user).get(path)
        assert response.status_code == 403, path
        assert "仅用于数据接口" in response.content.decode(), path
