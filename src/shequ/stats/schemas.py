"""Typed shapes of the statistics API."""

from __future__ import annotations

from ninja import Field, Schema

from shequ.registry.schemas import Text

PURPOSE = "What the query is for (required; recorded in the audit trail with the query)."


class ErrorOut(Schema):
    code: str = Field(description="Machine code, such as stats_forbidden or purpose_required.")
    message: str = Field(description="What went wrong, in Chinese.")
    field: str | None = None


class CountsQuery(Schema):
    area: Text(15) = Field(..., description="Region code: your area or one inside it.")  # type: ignore[valid-type]
    by: Text(40) = Field(  # type: ignore[valid-type]
        "", description="Up to two breakdowns, comma separated: area (child regions), tag, age_band, residency."
    )
    tag: Text(40) = Field("", description="Count only people holding this tag now (a tag code).")  # type: ignore[valid-type]
    residency: Text(20) = Field(  # type: ignore[valid-type]
        "", description="Count only people of this residency: registered, floating, foreign, other."
    )
    purpose: Text(300) = Field("", description=PURPOSE)  # type: ignore[valid-type]


class AreaOut(Schema):
    code: str
    name: str
    level: str


class CellOut(Schema):
    area: str = Field(description="Region code of the cell.")
    area_name: str
    tag: str | None = Field(description="Tag code, or null for everyone.")
    age_band: str | None = Field(description="0-17, 18-34, 35-59, 60-79, 80+ or unknown; null for all ages.")
    residency: str | None = Field(description="registered, floating, foreign or other; null for all.")
    value: str = Field(description='The count as shown: a number, "<5" (1 to 4 people) or "x" (withheld).')
    count: int | None = Field(description="The count as a number, or null when suppressed.")
    suppressed: str | None = Field(
        description='null, "small" (1 to 4 people) or "complementary" (withheld so that a small cell cannot be '
        "worked out from this and earlier answers)."
    )


class CountsOut(Schema):
    area: AreaOut
    by: list[str]
    tag: str | None
    residency: str | None
    window_days: int = Field(description="Answers to you stay the same for this many days.")
    suppressed: int = Field(description="How many cells of this answer are suppressed.")
    cells: list[CellOut] = Field(description="The total first, then every combination of the breakdowns.")


class MembershipIn(Schema):
    id_number: Text(30) = Field(..., description="公民身份号码 (18 characters, or 15 digits for an old one).")  # type: ignore[valid-type]
    area: Text(15) = Field(..., description="Region code: your area or one inside it.")  # type: ignore[valid-type]
    purpose: Text(300) = Field("", description=PURPOSE)  # type: ignore[valid-type]


class MembershipOut(Schema):
    member: bool = Field(description="Whether the holder of this ID number lives in the area now.")
