"""Typed shapes of the community API (what a resident's mini program needs)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from shequ.registry.schemas import MAX_ID, Text

Id = Field(..., ge=1, le=MAX_ID)
Key = Field("", max_length=64, description="Idempotency key: a retried request with the same key posts once.")


class Ref(Schema):
    code: str
    name: str


class Balances(Schema):
    minutes: int = Field(description="Time-bank balance in minutes.")
    points: int


class MeOut(Schema):
    linked: bool = Field(description="Whether the account is linked to a resident record of the base.")
    communities: list[Ref]
    balances: Balances
    volunteer: bool
    skills: list[str]
    fitness_this_month: int


class SessionOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    attended_minutes: int | None = None
    checked_in: bool = False


class ActivityRow(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    place: str
    community: Ref
    next_start: datetime | None
    capacity: int | None
    state: str


class ActivityDetail(ActivityRow):
    description: str
    signed_up: bool
    taken: int
    over: bool
    sessions: list[SessionOut]
    skills: list[str]


class ActivityPage(Schema):
    count: int
    page: int
    items: list[ActivityRow]


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=10_000)


class ActivityQuery(PageQuery):
    kind: Literal["", "volunteer", "culture", "course", "fitness"] = ""


class CodeIn(Schema):
    code: Text(32) = Field(description="What the QR code at the activity or fitness spot carries.")  # type: ignore[valid-type]


class CheckinOut(Schema):
    step: Literal["in", "out"]
    activity: int
    session: int
    minutes: int | None
    hours_credited: bool


class FitnessOut(Schema):
    spot: str
    new: bool = Field(description="False: already checked in at this spot today.")
    this_month: int


class LineOut(Schema):
    at: datetime
    kind: str
    label: str
    memo: str
    amount: int = Field(description="Into the account (+) or out of it (-).")


class StatementOut(Schema):
    opening: int
    received: int
    spent: int
    closing: int
    lines: list[LineOut]


class StatementsOut(Schema):
    month: str
    time: StatementOut
    points: StatementOut


class MonthQuery(Schema):
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM; empty: this month.")


class FamilyIn(Schema):
    to: Text(40) = Field(  # type: ignore[valid-type]
        description="`person:<id>` (a member of your household), `household:<id>` or `from-household:<id>`."
    )
    minutes: int = Field(ge=1, le=43_200)
    key: Text(64) = Key  # type: ignore[valid-type]


class TransferOut(Schema):
    id: int
    amount: int
    kind: str
    at: datetime


class ItemOut(Schema):
    id: int
    name: str
    description: str
    points: int
    stock: int
    where: str


class RedeemIn(Schema):
    key: Text(64) = Key  # type: ignore[valid-type]


class RedemptionOut(Schema):
    id: int
    item: str
    points: int
    code: str | None = Field(description="Shown at the merchant to collect; null once collected or cancelled.")
    state: str
    created_at: datetime


class ProposalRow(Schema):
    id: int
    title: str
    state: str
    state_label: str
    raised_as: str
    community: Ref
    support_count: int
    support_needed: int
    created_at: datetime


class PostOut(Schema):
    id: int
    author: str
    voice: str
    body: str | None = Field(description="Null for a hidden or held post of someone else.")
    state: str
    created_at: datetime


class ProposalDetail(ProposalRow):
    body: str
    supported: bool
    posts: list[PostOut]
    votes: list[int]
    decisions: list[int]


class ProposalIn(Schema):
    community: Text(12)  # type: ignore[valid-type]
    title: Text(80)  # type: ignore[valid-type]
    body: Text(5000)  # type: ignore[valid-type]


class PostIn(Schema):
    body: Text(2000)  # type: ignore[valid-type]


class ReasonIn(Schema):
    reason: Text(200)  # type: ignore[valid-type]


class EntryOut(Schema):
    entry: int
    dwelling: str | None
    area_m2: str | None
    delegated_to_you: bool


class TallyOut(Schema):
    total_area_m2: str
    total_heads: int
    part_area_m2: str
    part_heads: int
    yes_area_m2: str
    yes_heads: int
    no_area_m2: str
    no_heads: int
    abstain_area_m2: str
    abstain_heads: int
    quorum: bool | None
    passed: bool | None


class VoteOut(Schema):
    id: int
    proposal: int
    kind: str
    matter: str
    major: bool
    question: str
    state: str
    opens_at: datetime
    closes_at: datetime
    castable: list[EntryOut]
    result: TallyOut | None


class BallotIn(Schema):
    entry: int = Field(ge=1, le=MAX_ID)
    choice: Literal["yes", "no", "abstain"]


class BallotOut(Schema):
    id: int
    entry: int
    choice: str
    cast_at: datetime


class DelegateIn(Schema):
    entry: int = Field(ge=1, le=MAX_ID)
    delegate: int = Field(ge=1, le=MAX_ID, description="A member of your household (person id).")


class DelegationOut(Schema):
    id: int
    entry: int
    delegate: int = Field(description="The person who now casts the entry's ballot.")


class FollowUpOut(Schema):
    at: datetime
    state: str
    note: str


class DecisionOut(Schema):
    id: int
    proposal: int
    text: str
    state: str
    due: str | None
    watched: bool
    follow_ups: list[FollowUpOut]


class WatchIn(Schema):
    on: bool = True


class ListingRow(Schema):
    id: int
    title: str
    kind: str
    price: Decimal | None
    state: str
    community: Ref
    photos: list[str]
    created_at: datetime
    expires_at: datetime


class ListingDetail(ListingRow):
    description: str
    swap_for: str
    seller: str
    phone: str = Field(description="Only when the seller chose to show it.")
    mine: bool
    reserved_by_me: bool


class ListingPage(Schema):
    count: int
    page: int
    items: list[ListingRow]


class ListingQuery(PageQuery):
    q: Text(40) = ""  # type: ignore[valid-type]
    kind: Literal["", "sale", "swap", "free"] = ""


class ListingIn(Schema):
    community: Text(12)  # type: ignore[valid-type]
    title: Text(60)  # type: ignore[valid-type]
    kind: Literal["sale", "swap", "free"]
    description: Text(2000) = ""  # type: ignore[valid-type]
    price: Decimal | None = Field(None, ge=0, le=Decimal("99999.99"), decimal_places=2)
    swap_for: Text(100) = ""  # type: ignore[valid-type]
    show_phone: bool = False


class ListingActionIn(Schema):
    text: Text(200) = Field("", description="The message (reserve), the answer (reply) or the reason (report).")  # type: ignore[valid-type]


ListingAction = Literal["reserve", "cancel", "reply", "release", "complete", "renew", "withdraw", "report"]


class StopOut(Schema):
    name: str
    metres: int
    lines: list[str]


class HomeOut(Schema):
    address: str
    stops: list[StopOut]
    panels: dict[str, dict] = Field(description="Other panels by key (e.g. parking), as their providers give them.")
