"""The flea market: listing with photos, reserving, exchanging, expiry, reports and moderation, phone privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shequ.community import market
from shequ.community.models import Listing, ListingPhoto, Reservation
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied

from .conftest import person_in

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4bc0000000049454e44ae426082"
)


@pytest.fixture
def seller(world):
    return person_in(world.g1, account=world.resident)


def listing(world, **fields):
    defaults = {"title": "儿童自行车", "kind": "sale", "price": "80"}
    return market.create(by=world.resident, community=world.c1, **{**defaults, **fields})


def test_a_listing_takes_checked_photos_and_a_price_only_for_sale(world, seller):
    item = listing(world, photos=[SimpleUploadedFile("a.png", PNG, content_type="image/png")])
    assert item.photos.count() == 1 and str(item.price) == "80.00"
    with pytest.raises(InvalidInput) as e:
        listing(world, photos=[SimpleUploadedFile("a.png", b"not an image", content_type="image/png")])
    assert e.value.code == "photo_type"
    with pytest.raises(InvalidInput):
        listing(world, price="0")
    free = listing(world, kind="free", price="99")
    assert free.price is None
    assert Listing.objects.count() == 2 and ListingPhoto.objects.count() == 1


def test_no_phone_numbers_unless_the_seller_chooses(world, seller):
    with pytest.raises(InvalidInput) as e:
        listing(world, description="有意电话 13912345678")
    assert e.value.code == "phone_in_text"
    hidden = listing(world)
    shown = listing(world, show_phone=True)
    neighbour = person_in(world.g2)
    outsider = person_in(world.g3)
    assert market.phone_for(hidden, neighbour.account) == ""
    assert market.phone_for(shown, neighbour.account) == seller.phone
    assert market.phone_for(shown, outsider.account) == ""


def test_reserve_reply_and_exchange(world, seller):
    item = listing(world)
    buyer = person_in(world.g2)
    with pytest.raises(InvalidTransition):
        market.reserve(item, by=world.resident)  # one's own
    market.reserve(item, by=buyer.account, message="周末可以吗")
    with pytest.raises(InvalidTransition):
        market.reserve(item, by=person_in(world.g1).account)
    market.reply(item, by=world.resident, text="周六上午10点3栋楼下")
    assert market.complete(item, by=world.resident).state == Listing.State.EXCHANGED
    assert Reservation.objects.get().state == Reservation.State.COMPLETED


def test_a_cancelled_reservation_frees_the_listing(world, seller):
    item = listing(world)
    buyer = person_in(world.g2)
    market.reserve(item, by=buyer.account)
    with pytest.raises(PermissionDenied):
        market.cancel_reservation(item, by=world.resident)
    assert market.cancel_reservation(item, by=buyer.account).state == Listing.State.ACTIVE


def test_listings_expire_and_can_be_renewed(world, seller):
    item = listing(world)
    with clock.frozen(item.expires_at + timedelta(minutes=1)):
        assert market.expire_due() == 1
        with pytest.raises(InvalidTransition):
            market.reserve(Listing.objects.get(pk=item.pk), by=person_in(world.g2).account)
        renewed = market.renew(item, by=world.resident)
    assert renewed.state == Listing.State.ACTIVE and renewed.expires_at > item.expires_at


def test_reports_hold_a_listing_and_a_moderator_removes_it_with_a_reason(world, seller, settings):
    settings.SHEQU_MODERATION_HOLD_REPORTS = 2
    item = listing(world, title="来路不明的手机")
    a, b = person_in(world.g1), person_in(world.g2)
    market.report(item, by=a.account, reason="疑似赃物")
    with pytest.raises(InvalidTransition):
        market.report(item, by=a.account, reason="再次")
    with pytest.raises(PermissionDenied):
        market.report(item, by=person_in(world.g3).account, reason="外区")
    assert market.report(item, by=b.account, reason="疑似赃物").state == Listing.State.HELD
    with pytest.raises(PermissionDenied):
        market.moderate(item, by=world.community_staff_c3, remove=True, note="x")
    with pytest.raises(InvalidInput):
        market.moderate(item, by=world.community_staff, remove=True)
    removed = market.moderate(item, by=world.community_staff, remove=True, note="疑似赃物，已下架")
    assert removed.state == Listing.State.REMOVED
    assert removed.timeline.filter(action="remove", note="疑似赃物，已下架").exists()


def test_a_kept_listing_returns_and_its_reports_are_settled(world, seller, settings):
    settings.SHEQU_MODERATION_HOLD_REPORTS = 1
    item = listing(world)
    market.report(item, by=person_in(world.g1).account, reason="价格离谱")
    kept = market.moderate(item, by=world.community_staff, remove=False)
    assert (kept.state, kept.reports) == (Listing.State.ACTIVE, 0)
