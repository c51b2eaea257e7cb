"""What can be annotated: experiments and trials, each with its tag and note models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import models

from kuro.core.errors import InvalidInput, NotFound
from kuro.server.annotations.models import ExperimentNote, ExperimentTag, TrialNote, TrialTag
from kuro.server.tracking.models import Experiment, Trial

__all__ = ["KINDS", "Kind", "Owner", "owner_of"]

Kind = Literal["experiment", "trial"]


@dataclass(frozen=True)
class Owner:
    """The models of one kind of annotated object; ``field`` names it in the tag and note
    rows (``experiment``, ``trial``)."""

    kind: Kind
    model: type[models.Model]
    tag: type[models.Model]
    note: type[models.Model]

    @property
    def field(self) -> str:
        return self.kind

    def check_exists(self, ident: int) -> None:
        """``NotFound`` naming ``<kind>_id`` when there is no such object."""
        if not self.model.objects.filter(pk=ident).exists():
            raise NotFound(
                f"{self.kind} {ident} does not exist", detail={"field": f"{self.kind}_id"}
            )


KINDS: dict[str, Owner] = {
    "experiment": Owner("experiment", Experiment, ExperimentTag, ExperimentNote),
    "trial": Owner("trial", Trial, TrialTag, TrialNote),
}


def owner_of(kind: str) -> Owner:
    try:
        return KINDS[kind]
    except KeyError:
        raise InvalidInput(
            f"kind is 'experiment' or 'trial', not {kind!r:.40}", field="kind"
        ) from None
