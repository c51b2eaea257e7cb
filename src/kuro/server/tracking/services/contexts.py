"""A trial's run context: what the trial was (git state, command, host, packages)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction

from kuro.core.errors import InvalidInput
from kuro.server.tracking.models import PackageSet, Trial
from kuro.server.tracking.selectors.trials import trial_check_exists

__all__ = ["package_set_get_or_create", "trial_context_record"]


def _packages_key(packages: list[str]) -> str:
    # The client's kuro.client._context.packages_hash: sha256 of the sorted names, one a line.
    return hashlib.sha256("\n".join(sorted(packages)).encode()).hexdigest()


def package_set_get_or_create(*, packages: list[str]) -> PackageSet:
    """The one stored set of these distributions (made on first sight)."""
    names = sorted(set(packages))
    key = _packages_key(names)
    found = PackageSet.objects.filter(key=key).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return PackageSet.objects.create(key=key, packages=names)
    except IntegrityError:  # another request stored the same set meanwhile
        return PackageSet.objects.get(key=key)


def trial_context_record(
    *,
    trial_id: int,
    context: dict[str, Any],
    packages: list[str],
    packages_hash: str | None = None,
) -> Trial:
    """Set the run context of trial ``trial_id``; sending it again sets it again (the same
    context gives the same record). ``packages_hash``, when given, must be the set's hash."""
    names = sorted(set(packages))
    if packages_hash is not None and packages_hash != _packages_key(names):
        raise InvalidInput("packages_hash is not the hash of packages", field="packages_hash")
    trial_check_exists(trial_id)
    package_set = package_set_get_or_create(packages=names)
    Trial.objects.filter(pk=trial_id).update(context=context, package_set=package_set)
    return Trial.objects.get(pk=trial_id)
