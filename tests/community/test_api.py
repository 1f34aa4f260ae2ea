"""The community API (/api/community/): what a resident's mini program does, end to end through HTTP, and what it
refuses (another community, no resident record, bad ids, a closed activity, not enough points), each refusal a
{code, message} in Chinese; retried postings post once."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shequ.community import activities, deliberation, ledger, points, shop, voting
from shequ.community.ledger import POINTS, TIME
from shequ.community.models import (
    ActivityEntry,
    Ballot,
    Delegation,
    Listing,
    ListingEntry,
    Matter,
    Post,
    Proposal,
    Redemption,
    ShopItem,
    Trigger,
)
from shequ.core import clock
from shequ.registry import actions as registry
from tests.world import token_for

from .conftest import activity_in, building_in, dwelling, person_in, volunteer_of

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4bc0000000049454e44ae426082"
)
CHINESE = range(0x4E00, 0x9FFF)


def call(user, method: str, path: str, body: dict | None = None, **headers: str):
    client = Client()
    auth = {"Authorization": f"Bearer {token_for(user)}"} if user is not None else {}
    if method == "get":
        return client.get(f"/api/community{path}", body or {}, headers={**auth, **headers})
    return client.post(
        f"/api/community{path}", json.dumps(body or {}), content_type="application/json", headers={**auth, **headers}
    )


def refused(resp, status: int, code: str) -> dict:
    """The response is the refusal ``code`` with a Chinese message."""
    assert resp.status_code == status, resp.content.decode()
    data = resp.json()
    assert data["code"] == code, data
    assert any(ord(ch) in CHINESE for ch in data["message"]), data["message"]
    return data


@pytest.fixture
def home(world):
    """The resident persona lives in G1 (C1) with a household and its other member; a volunteer."""
    flat = dwelling(world.g1, area="90.00")
    household = registry.create_household(flat, number="H-API", by=None, source=registry.MANUAL)
    me = person_in(world.g1, account=world.resident, home=flat, household=household)
    spouse = person_in(world.g1, home=flat, household=household, role="family", name="张配偶")
    volunteer_of(world, me)
    return {"me": me, "spouse": spouse, "household": household, "flat": flat}


def test_me_shows_a_linked_resident_and_an_unlinked_account(world, home):
    me = call(world.resident, "get", "/me").json()
    assert me["linked"] is True and me["volunteer"] is True
    assert [c["code"] for c in me["communities"]] == [world.c1.code]
    assert me["balances"] == {"minutes": 0, "points": 0}
    unlinked = call(world.resident2, "get", "/me").json()
    assert unlinked == {
        "linked": False,
        "communities": [],
        "balances": {"minutes": 0, "points": 0},
        "volunteer": False,
        "skills": [],
        "fitness_this_month": 0,
    }
    assert call(None, "get", "/me").status_code == 401


def test_a_resident_signs_up_checks_in_and_out_and_sees_hours_and_points(world, home):
    points.set_rule(by=world.community_staff, region=world.c1, trigger=Trigger.VOLUNTEER_HOUR, points=10)
    start = clock.now().replace(microsecond=0) + timedelta(minutes=5)
    with clock.frozen(start - timedelta(minutes=10)):
        a = activity_in(world, starts=start, hours=2)
    listed = call(world.resident, "get", "/activities").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == a.pk
    assert listed["items"][0]["community"] == {"code": world.c1.code, "name": world.c1.name}
    signed = call(world.resident, "post", f"/activities/{a.pk}/signup")
    assert signed.status_code == 200, signed.content
    assert signed.json()["signed_up"] is True and signed.json()["taken"] == 1
    refused(call(world.resident, "post", f"/activities/{a.pk}/signup"), 409, "already_signed")
    session = a.sessions.get()
    with clock.frozen(start - timedelta(minutes=2)):  # a little early: the minutes count from the start
        came = call(world.resident, "post", "/checkin", {"code": session.code})
    assert came.status_code == 200, came.content
    assert came.json() == {
        "step": "in",
        "activity": a.pk,
        "session": session.pk,
        "minutes": None,
        "hours_credited": False,
    }
    with clock.frozen(start + timedelta(hours=1)):
        left = call(world.resident, "post", "/checkin", {"code": session.code}).json()
        assert left["step"] == "out" and left["minutes"] == 60 and left["hours_credited"] is True
        refused(call(world.resident, "post", "/checkin", {"code": session.code}), 409, "checked_out")
        me = call(world.resident, "get", "/me").json()
        assert me["balances"] == {"minutes": 60, "points": 10}
        detail = call(world.resident, "get", f"/activities/{a.pk}").json()
        assert detail["sessions"][0]["checked_in"] is True and detail["sessions"][0]["attended_minutes"] == 60
        st = call(world.resident, "get", "/statement").json()
    assert st["time"]["closing"] == 60 and st["time"]["lines"][0]["amount"] == 60
    assert st["points"]["received"] == 10 and st["points"]["lines"][0]["kind"] == "earn"
    assert ActivityEntry.objects.filter(activity=a, action__in=["sign_up", "check_in", "check_out"]).count() == 3
    assert ledger.verify(TIME).ok and ledger.verify(POINTS).ok


def test_sign_up_refusals(world, home):
    a = activity_in(world, capacity=1)
    other = person_in(world.g2)
    volunteer_of(world, other)
    assert call(other.account, "post", f"/activities/{a.pk}/signup").status_code == 200
    refused(call(world.resident, "post", f"/activities/{a.pk}/signup"), 409, "full")
    refused(call(world.resident, "post", f"/activities/{a.pk}/cancel"), 409, "not_signed")
    # another community's activity, a missing one, an id out of range: the same 404
    far = person_in(world.g3)
    refused(call(far.account, "get", f"/activities/{a.pk}"), 404, "not_found")
    refused(call(far.account, "post", f"/activities/{a.pk}/signup"), 404, "not_found")
    refused(call(world.resident, "get", "/activities/999999"), 404, "not_found")
    assert call(world.resident, "get", "/activities/0").status_code == 422
    assert call(world.resident, "get", "/activities/abc").status_code == 422
    # no resident record
    refused(call(world.resident2, "post", f"/activities/{a.pk}/signup"), 404, "not_found")
    # a cancelled activity still shows to its residents, but takes no sign-ups or check-ins
    a2 = activity_in(world, starts=clock.now() - timedelta(minutes=5))
    activities.cancel(a2, by=world.community_staff, reason="下雨")
    assert call(world.resident, "get", f"/activities/{a2.pk}").json()["state"] == "cancelled"
    refused(call(world.resident, "post", f"/activities/{a2.pk}/signup"), 409, "not_open")
    refused(call(world.resident, "post", "/checkin", {"code": a2.sessions.get().code}), 409, "not_open")
    # an activity that is over takes no sign-up and no cancelling
    with clock.frozen(clock.now() + timedelta(days=3)):
        refused(call(other.account, "post", f"/activities/{a.pk}/cancel"), 409, "over")
        refused(call(world.resident, "post", f"/activities/{a.pk}/signup"), 409, "over")


def test_check_in_refusals(world, home):
    later = activity_in(world, starts=clock.now() + timedelta(days=1))
    refused(call(world.resident, "post", "/checkin", {"code": later.sessions.get().code}), 409, "not_now")
    refused(call(world.resident, "post", "/checkin", {"code": "no-such-code"}), 404, "not_found")
    refused(call(world.resident, "post", "/checkin", {"code": ""}), 404, "not_found")
    refused(call(world.resident, "post", "/checkin", {"code": "x" * 33}), 422, "validation_error")
    refused(call(world.resident2, "post", "/checkin", {"code": later.sessions.get().code}), 403, "no_person")


def test_fitness_check_in_counts_once_a_day(world, home):
    spot = activities.create_spot(by=world.community_staff, community=world.c1, name="中心花园健身点")
    first = call(world.resident, "post", "/fitness/checkin", {"code": spot.code}).json()
    again = call(world.resident, "post", "/fitness/checkin", {"code": spot.code}).json()
    assert first == {"spot": "中心花园健身点", "new": True, "this_month": 1}
    assert again == {"spot": "中心花园健身点", "new": False, "this_month": 1}
    assert call(world.resident, "get", "/me").json()["fitness_this_month"] == 1
    refused(call(world.resident, "post", "/fitness/checkin", {"code": "nope"}), 404, "not_found")


def _fund(person, amount: int, ledger_=POINTS, community=None):
    return ledger.post(
        ledger_,
        debit=ledger.pool_account(ledger_, community or person.volunteer.community),
        credit=ledger.person_account(ledger_, person),
        amount=amount,
        kind="earn" if ledger_ is POINTS else "grant",
        key=f"seed:{ledger_.name}:{person.pk}",
        by=None,
    )


def test_family_transfers_move_hours_once_per_key(world, home):
    me, spouse, household = home["me"], home["spouse"], home["household"]
    _fund(me, 120, TIME)
    body = {"to": f"person:{spouse.pk}", "minutes": 30, "key": "gift-1"}
    first = call(world.resident, "post", "/time/transfers", body)
    assert first.status_code == 201, first.content
    again = call(world.resident, "post", "/time/transfers", body)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert ledger.person_account(TIME, spouse).balance == 30
    # another member's key of the same name is their own
    theirs = call(spouse.account, "post", "/time/transfers", {**body, "to": f"person:{me.pk}", "minutes": 10})
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # the same key for another posting is refused
    refused(call(world.resident, "post", "/time/transfers", {**body, "minutes": 31}), 409, "key_reused")
    # the Idempotency-Key header is a key too; no key at all is refused
    into = call(
        world.resident,
        "post",
        "/time/transfers",
        {"to": f"household:{household.pk}", "minutes": 20},
        **{"Idempotency-Key": "into-1"},
    )
    assert into.status_code == 201 and ledger.household_account(household).balance == 20
    refused(
        call(world.resident, "post", "/time/transfers", {"to": f"household:{household.pk}", "minutes": 5}),
        400,
        "key_required",
    )
    back = call(
        world.resident,
        "post",
        "/time/transfers",
        {"to": f"from-household:{household.pk}", "minutes": 20, "key": "back-1"},
    )
    assert back.status_code == 201 and ledger.person_account(TIME, me).balance == 100
    # below the floor, to a stranger, to a malformed target, a bad amount
    refused(
        call(world.resident, "post", "/time/transfers", {**body, "minutes": 10_000, "key": "big"}),
        409,
        "insufficient_balance",
    )
    stranger = person_in(world.g1)
    refused(
        call(world.resident, "post", "/time/transfers", {**body, "to": f"person:{stranger.pk}", "key": "s"}),
        400,
        "not_family",
    )
    refused(call(world.resident, "post", "/time/transfers", {**body, "to": "nonsense", "key": "n"}), 400, "not_family")
    refused(
        call(world.resident, "post", "/time/transfers", {**body, "minutes": 0, "key": "z"}), 422, "validation_error"
    )
    refused(call(world.resident2, "post", "/time/transfers", body), 404, "not_found")
    assert ledger.verify(TIME).ok


def test_the_shop_redeems_once_per_key_and_refuses_without_points(world, home):
    me = home["me"]
    _fund(me, 50)
    item = shop.add_item(by=world.community_staff, community=world.c1, name="洗衣液", points=40, stock=3)
    listed = call(world.resident, "get", "/shop").json()
    assert listed == [
        {"id": item.pk, "name": "洗衣液", "description": "", "points": 40, "stock": 3, "where": listed[0]["where"]}
    ]
    made = call(world.resident, "post", f"/shop/{item.pk}/redeem", {"key": "tap-1"})
    assert made.status_code == 201, made.content
    again = call(world.resident, "post", f"/shop/{item.pk}/redeem", {"key": "tap-1"})
    assert again.json()["id"] == made.json()["id"] and len(made.json()["code"]) == 8
    assert ShopItem.objects.get(pk=item.pk).stock == 2 and Redemption.objects.count() == 1
    refused(call(world.resident, "post", f"/shop/{item.pk}/redeem", {"key": "tap-2"}), 409, "insufficient_balance")
    assert ShopItem.objects.get(pk=item.pk).stock == 2
    refused(call(world.resident, "post", f"/shop/{item.pk}/redeem"), 400, "key_required")
    mine = call(world.resident, "get", "/redemptions").json()
    assert [r["id"] for r in mine] == [made.json()["id"]]
    cancelled = call(world.resident, "post", f"/redemptions/{made.json()['id']}/cancel")
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["code"] is None
    refused(call(world.resident, "post", f"/redemptions/{made.json()['id']}/cancel"), 409, "not_pending")
    assert ledger.person_account(POINTS, me).balance == 50 and ShopItem.objects.get(pk=item.pk).stock == 3
    # another community's item, someone else's redemption
    far_item = shop.add_item(by=world.community_staff_c3, community=world.c3, name="大米", points=1, stock=3)
    refused(call(world.resident, "post", f"/shop/{far_item.pk}/redeem", {"key": "x"}), 404, "not_found")
    other = person_in(world.g1)
    refused(call(other.account, "post", f"/redemptions/{made.json()['id']}/cancel"), 404, "not_found")
    assert ledger.verify(POINTS).ok


def test_proposals_support_posts_and_reports(world, home, settings):
    settings.SHEQU_PROPOSAL_SUPPORT = 2
    settings.SHEQU_MODERATION_HOLD_REPORTS = 1
    made = call(
        world.resident,
        "post",
        "/proposals",
        {"community": world.c1.code, "title": "加装电梯", "body": "老人上下楼难。"},
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["raised_as"] == "resident" and made.json()["support_needed"] == 2
    refused(
        call(world.resident, "post", "/proposals", {"community": world.c3.code, "title": "t", "body": "b"}),
        403,
        "no_say",
    )
    refused(
        call(world.resident, "post", "/proposals", {"community": "999999999999", "title": "t", "body": "b"}),
        400,
        "unknown_community",
    )
    refused(
        call(
            world.resident,
            "post",
            "/proposals",
            {"community": world.c1.code, "title": "电话", "body": "打 13812345678"},
        ),
        400,
        "phone_in_text",
    )
    assert call(world.resident, "post", f"/proposals/{pk}/support").json()["supported"] is True
    refused(call(world.resident, "post", f"/proposals/{pk}/support"), 409, "already_supported")
    neighbour = person_in(world.g2)
    after = call(neighbour.account, "post", f"/proposals/{pk}/support").json()
    assert after["state"] == "agenda" and after["support_count"] == 2
    posted = call(neighbour.account, "post", f"/proposals/{pk}/posts", {"body": "同意"})
    assert posted.status_code == 201 and posted.json()["posts"][0]["body"] == "同意"
    post_pk = posted.json()["posts"][0]["id"]
    reported = call(world.resident, "post", f"/posts/{post_pk}/report", {"reason": "跑题"})
    assert reported.status_code == 200, reported.content
    assert Post.objects.get(pk=post_pk).state == Post.State.HELD
    shown = call(world.resident, "get", f"/proposals/{pk}").json()["posts"][0]
    assert shown["state"] == "held" and shown["body"] is None  # held: hidden from others
    assert call(neighbour.account, "get", f"/proposals/{pk}").json()["posts"][0]["body"] == "同意"  # not the author
    refused(call(world.resident, "post", f"/posts/{post_pk}/report", {"reason": "again"}), 404, "not_found")
    far = person_in(world.g3)
    refused(call(far.account, "get", f"/proposals/{pk}"), 404, "not_found")
    refused(call(far.account, "post", f"/proposals/{pk}/support"), 404, "not_found")
    assert [p["id"] for p in call(world.resident, "get", "/proposals").json()] == [pk]
    actions = list(Proposal.objects.get(pk=pk).timeline.values_list("action", flat=True))
    assert actions == ["raise", "support", "support", "agenda", "post", "hold_post"]
    assert call(far.account, "get", "/proposals").json() == []


@pytest.fixture
def vote(world, home):
    """An owners' vote over building 7 of G1: the resident owns one dwelling; the spouse is family."""
    b = building_in(world.g1, "7栋")
    flat = dwelling(world.g1, area="100.00", building="7栋")
    registry.move_in(home["me"], flat, role="owner", since=clock.now().date(), by=None, source=registry.MANUAL)
    other = person_in(world.g1, home=dwelling(world.g1, area="100.00", building="7栋"))
    p = deliberation.raise_proposal(by=world.community_staff, community=world.c1, title="换物业", body="说明")
    p = deliberation.put_on_agenda(p, by=world.community_staff)
    now = clock.now()
    v = voting.create(
        by=world.community_staff,
        proposal=p,
        kind="owners",
        matter=Matter.MANAGER,
        question="同意吗？",
        buildings=[b],
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=1),
    )
    return {"vote": voting.open_vote(v, by=world.community_staff), "other": other}


def test_an_owner_casts_one_ballot_and_the_result_is_published(world, home, vote):
    v = vote["vote"]
    seen = call(world.resident, "get", f"/votes/{v.pk}").json()
    assert seen["state"] == "open" and seen["result"] is None and len(seen["castable"]) == 1
    entry = seen["castable"][0]
    assert entry["area_m2"] == "100.00" and entry["delegated_to_you"] is False
    cast = call(world.resident, "post", f"/votes/{v.pk}/ballots", {"entry": entry["entry"], "choice": "yes"})
    assert cast.status_code == 201, cast.content
    assert cast.json()["entry"] == entry["entry"] and cast.json()["choice"] == "yes"
    refused(
        call(world.resident, "post", f"/votes/{v.pk}/ballots", {"entry": entry["entry"], "choice": "no"}),
        409,
        "already_cast",
    )
    assert call(world.resident, "get", f"/votes/{v.pk}").json()["castable"] == []
    other_entry = voting.own_entries(v, vote["other"])[0]
    refused(
        call(world.resident, "post", f"/votes/{v.pk}/ballots", {"entry": other_entry.pk, "choice": "no"}),
        403,
        "not_a_voter",
    )
    refused(call(world.resident, "post", f"/votes/{v.pk}/ballots", {"entry": 999999, "choice": "no"}), 404, "not_found")
    refused(
        call(world.resident, "post", f"/votes/{v.pk}/ballots", {"entry": other_entry.pk, "choice": "maybe"}),
        422,
        "validation_error",
    )
    with clock.frozen(v.closes_at + timedelta(seconds=1)):
        voting.close(v, by=world.community_staff)
        result = call(world.resident, "get", f"/votes/{v.pk}").json()["result"]
    assert result["total_heads"] == 2 and result["part_heads"] == 1 and result["yes_area_m2"] == "100.00"
    assert result["quorum"] is False and result["passed"] is False
    refused(call(person_in(world.g3).account, "get", f"/votes/{v.pk}"), 404, "not_found")


def test_an_owner_delegates_to_family_only_and_the_delegate_casts(world, home, vote):
    v = vote["vote"]
    entry = voting.own_entries(v, home["me"])[0]
    stranger = person_in(world.g1)
    refused(
        call(world.resident, "post", f"/votes/{v.pk}/delegations", {"entry": entry.pk, "delegate": stranger.pk}),
        400,
        "not_family",
    )
    made = call(
        world.resident, "post", f"/votes/{v.pk}/delegations", {"entry": entry.pk, "delegate": home["spouse"].pk}
    )
    assert made.status_code == 201, made.content
    assert Delegation.objects.get(pk=made.json()["id"]).delegate == home["spouse"]
    refused(
        call(world.resident, "post", f"/votes/{v.pk}/delegations", {"entry": entry.pk, "delegate": home["spouse"].pk}),
        409,
        "delegated",
    )
    assert call(world.resident, "get", f"/votes/{v.pk}").json()["castable"] == []  # only the delegate casts now
    spouse = home["spouse"].account
    seen = call(spouse, "get", f"/votes/{v.pk}").json()["castable"]
    assert [(e["entry"], e["delegated_to_you"]) for e in seen] == [(entry.pk, True)]
    assert call(spouse, "post", f"/votes/{v.pk}/ballots", {"entry": entry.pk, "choice": "no"}).status_code == 201
    assert Ballot.objects.get(entry=entry).cast_by == home["spouse"]


def test_decisions_are_listed_and_watched(world, home):
    p = deliberation.raise_proposal(by=world.community_staff, community=world.c1, title="修路灯", body="说明")
    d = deliberation.decide(p, by=world.community_staff, text="月底前修好", owner=world.community_staff)
    listed = call(world.resident, "get", "/decisions").json()
    assert [(x["id"], x["watched"]) for x in listed] == [(d.pk, False)]
    assert call(world.resident, "post", f"/decisions/{d.pk}/watch", {"on": True}).json()["watched"] is True
    assert call(world.resident, "post", f"/decisions/{d.pk}/watch", {"on": False}).json()["watched"] is False
    refused(call(person_in(world.g3).account, "post", f"/decisions/{d.pk}/watch", {"on": True}), 404, "not_found")


def test_the_flea_market_over_the_api(world, home):
    made = call(
        world.resident,
        "post",
        "/listings",
        {"community": world.c1.code, "title": "儿童自行车", "kind": "sale", "price": "80", "show_phone": True},
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["mine"] is True and Decimal(made.json()["price"]) == Decimal("80.00")
    buyer = person_in(world.g2)
    seen = call(buyer.account, "get", f"/listings/{pk}").json()
    assert seen["phone"] == home["me"].phone and seen["mine"] is False and "*" in seen["seller"]
    assert call(buyer.account, "get", "/listings", {"kind": "sale"}).json()["count"] == 1
    assert call(buyer.account, "get", "/listings", {"kind": "free"}).json()["count"] == 0
    reserved = call(buyer.account, "post", f"/listings/{pk}/reserve", {"text": "周六可以吗"})
    assert reserved.status_code == 200, reserved.content
    assert reserved.json()["state"] == "reserved" and reserved.json()["reserved_by_me"] is True
    refused(call(buyer.account, "post", f"/listings/{pk}/complete"), 403, "not_seller")
    assert call(world.resident, "post", f"/listings/{pk}/reply", {"text": "周六上午十点楼下"}).status_code == 200
    done = call(world.resident, "post", f"/listings/{pk}/complete").json()
    assert done["state"] == "exchanged"
    assert ListingEntry.objects.filter(listing_id=pk).count() >= 3
    # refusals: a phone in the text, a free item with no community of the resident, an unknown action
    refused(
        call(
            world.resident,
            "post",
            "/listings",
            {"community": world.c1.code, "title": "沙发 13812345678", "kind": "free"},
        ),
        400,
        "phone_in_text",
    )
    refused(
        call(world.resident, "post", "/listings", {"community": world.c3.code, "title": "沙发", "kind": "free"}),
        403,
        "other_community",
    )
    refused(
        call(world.resident, "post", "/listings", {"community": world.c1.code, "title": "沙发", "kind": "sale"}),
        400,
        "bad_price",
    )
    assert call(world.resident, "post", f"/listings/{pk}/explode").status_code == 422
    refused(call(person_in(world.g3).account, "get", f"/listings/{pk}"), 404, "not_found")


def test_a_listing_with_photos_over_multipart(world, home):
    client = Client(headers={"Authorization": f"Bearer {token_for(world.resident)}"})
    resp = client.post(
        "/api/community/listings",
        {
            "community": world.c1.code,
            "title": "书架",
            "kind": "free",
            "photos": [SimpleUploadedFile("a.png", PNG, content_type="image/png")],
        },
    )
    assert resp.status_code == 201, resp.content
    assert len(resp.json()["photos"]) == 1 and Listing.objects.get().photos.count() == 1
    bad = client.post(
        "/api/community/listings",
        {
            "community": world.c1.code,
            "title": "书架",
            "kind": "free",
            "photos": [SimpleUploadedFile("a.png", b"not a png", content_type="image/png")],
        },
    )
    refused(bad, 400, "photo_type")
    assert Listing.objects.count() == 1


def test_getting_around_lists_each_home(world, home):
    homes = call(world.resident, "get", "/around").json()
    assert [h["address"] for h in homes] == [home["flat"].building.address]
    assert homes[0]["stops"] == []
    assert call(world.resident2, "get", "/around").json() == []


def test_unlinked_and_anonymous_callers(world):
    for path in ("/activities", "/shop", "/redemptions", "/proposals", "/decisions", "/listings", "/around"):
        resp = call(world.resident2, "get", path)
        assert resp.status_code == 200, (path, resp.content)
        assert call(None, "get", path).status_code == 401
    refused(call(world.resident2, "get", "/statement", {"month": "2025-13"}), 404, "not_found")
    refused(call(world.resident2, "get", "/statement", {"month": "June"}), 422, "validation_error")
    assert call(world.resident2, "get", "/statement").json()["time"]["lines"] == []
