"""Request and response bodies of the annotations API (they document it in OpenAPI)."""

from __future__ import annotations

from typing import Annotated

from ninja import Schema
from pydantic import Field

from kuro.core.limits import NOTE_MAX, TAG_MAX, TAGS_MAX

__all__ = ["AnnotationsIn", "AnnotationsOut", "GroupAnnotationsOut", "OwnerAnnotationsOut"]

Tag = Annotated[
    str,
    Field(
        min_length=1,
        max_length=TAG_MAX,
        pattern=r"^[^\s,]+$",
        description=f"1 to {TAG_MAX} characters, no whitespace or comma",
        examples=["baseline"],
    ),
]
Tags = Annotated[list[Tag], Field(max_length=TAGS_MAX)]


class AnnotationsIn(Schema):
    """One change of an experiment's or trial's tags and note: ``remove`` is applied, then
    ``add``; each is idempotent, so a resend changes nothing."""

    add: Tags = Field([], description="tags to add (those already there are kept)")
    remove: Tags = Field([], description="tags to remove (those not there are ignored)")
    note: Annotated[str, Field(max_length=NOTE_MAX)] | None = Field(
        None,
        description=f'the new note, at most {NOTE_MAX:,} characters; "" clears it, '
        "null or absent leaves it",
    )


class AnnotationsOut(Schema):
    tags: list[str] = Field(description="sorted by name")
    note: str = Field(description='"" when there is none')


class OwnerAnnotationsOut(AnnotationsOut):
    id: int


class GroupAnnotationsOut(Schema):
    """The experiments and trials of a group that carry a tag or a note."""

    group: str
    experiments: list[OwnerAnnotationsOut]
    trials: list[OwnerAnnotationsOut]
