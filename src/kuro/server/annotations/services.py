"""Writes: tags added and removed, notes set. Each is idempotent (adding a tag again,
removing one that is not there, setting the same note: nothing changes), so a client's
resend after a lost answer does no harm.

``annotation_update`` is the one write; the others are one-line wrappers.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction

from kuro.core.errors import InvalidInput
from kuro.core.limits import TAGS_MAX, check_note, check_tag
from kuro.server.annotations.kinds import owner_of

__all__ = ["annotation_update", "note_set", "tag_add", "tag_remove"]


def _tags(names: Sequence[str], field: str) -> list[str]:
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise InvalidInput(f"{field} is a list of tags", field=field)
    return list(dict.fromkeys(check_tag(n, f"{field}[{i}]") for i, n in enumerate(names)))


def annotation_update(
    *,
    kind: str,
    ident: int,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    note: str | None = None,
) -> None:
    """Remove the tags ``remove``, then add the tags ``add``, and set the note (``""``
    clears it; None leaves it) of experiment or trial ``ident``. Every input is checked
    before anything is written: ``InvalidInput`` names the field at fault (``add[2]``),
    ``NotFound`` an object that does not exist."""
    owner = owner_of(kind)
    added, removed = _tags(add, "add"), _tags(remove, "remove")
    if note is not None:
        check_note(note)
    owner.check_exists(ident)
    where = {f"{owner.field}_id": ident}
    with transaction.atomic():
        if removed:
            owner.tag.objects.filter(**where, name__in=removed).delete()
        if added:
            have = set(owner.tag.objects.filter(**where).values_list("name", flat=True))
            new = [n for n in added if n not in have]
            if len(have) + len(new) > TAGS_MAX:
                raise InvalidInput(
                    f"a {kind} has at most {TAGS_MAX} tags; {kind} {ident} has {len(have)}",
                    field="add",
                )
            # A concurrent add of the same tag is no error: the tag is there either way.
            owner.tag.objects.bulk_create(
                [owner.tag(**where, name=n) for n in new], ignore_conflicts=True
            )
        if note == "":
            owner.note.objects.filter(**where).delete()
        elif note is not None:
            try:
                with transaction.atomic():
                    owner.note.objects.update_or_create(**where, defaults={"text": note})
            except IntegrityError:  # another request made the note meanwhile: last one wins
                owner.note.objects.filter(**where).update(text=note)


def tag_add(*, kind: str, ident: int, tags: Sequence[str]) -> None:
    """Add ``tags`` to experiment or trial ``ident`` (those it has already are kept)."""
    annotation_update(kind=kind, ident=ident, add=tags)


def tag_remove(*, kind: str, ident: int, tags: Sequence[str]) -> None:
    """Remove ``tags`` from experiment or trial ``ident`` (those it lacks are ignored)."""
    annotation_update(kind=kind, ident=ident, remove=tags)


def note_set(*, kind: str, ident: int, note: str) -> None:
    """Set the note of experiment or trial ``ident`` (``""`` clears it)."""
    annotation_update(kind=kind, ident=ident, note=note)
