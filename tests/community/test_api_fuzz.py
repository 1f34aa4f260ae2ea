"""Schemathesis over the community operations only (tests/api/test_schemathesis.py fuzzes every router in the full
run): generated requests, with a resident's token and the ids of real activities, proposals, votes, decisions,
listings and redemptions of their community, never get a server error."""

from __future__ import annotations

from datetime import timedelta

import schemathesis

from shequ.community import deliberation, ledger, market, shop, voting
from shequ.community.ledger import POINTS
from shequ.community.models import Matter
from shequ.core import clock
from shequ.wsgi import application
from tests.api.test_schemathesis import connection_kept, fuzz
from tests.world import token_for

from .conftest import activity_in, building_in, person_in, volunteer_of


def test_generated_requests_never_get_a_server_error(world):
    me = person_in(world.g1, account=world.resident)
    volunteer_of(world, me)
    activity = activity_in(world, starts=clock.now() - timedelta(minutes=5))
    ledger.post(
        POINTS,
        debit=ledger.pool_account(POINTS, world.c1),
        credit=ledger.person_account(POINTS, me),
        amount=100,
        kind="earn",
        key="fuzz-seed",
        by=None,
    )
    item = shop.add_item(by=world.community_staff, community=world.c1, name="毛巾", points=10, stock=50)
    redemption = shop.redeem(item, by=world.resident, key="fuzz")
    proposal = deliberation.raise_proposal(by=world.resident, community=world.c1, title="加装电梯", body="说明")
    message = deliberation.post(proposal, by=world.community_staff, body="欢迎讨论")
    agenda = deliberation.put_on_agenda(proposal, by=world.community_staff)
    now = clock.now()
    vote = voting.open_vote(
        voting.create(
            by=world.community_staff,
            proposal=agenda,
            kind="owners",
            matter=Matter.MANAGER,
            question="是否同意？",
            buildings=[building_in(world.g1)],
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(days=1),
        ),
        by=world.community_staff,
    )
    decided = deliberation.raise_proposal(by=world.community_staff, community=world.c1, title="修路灯", body="说明")
    decision = deliberation.decide(decided, by=world.community_staff, text="照办", owner=world.community_staff)
    listing = market.create(by=person_in(world.g2).account, community=world.c1, title="书架", kind="free")
    ids = [activity.pk, item.pk, redemption.pk, proposal.pk, message.pk, vote.pk, decision.pk, listing.pk]
    real = {"id": ids, "action": ["reserve", "report", "cancel", "renew"]}
    key = token_for(world.resident)
    with connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
        operations = [r.ok() for r in schema.get_all_operations()]
        mine = [op for op in operations if op.path.startswith("/api/community")]
        assert len(mine) == 29
        for operation in mine:
            fuzz(operation, key, real)
