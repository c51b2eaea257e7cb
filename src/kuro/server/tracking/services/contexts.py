"""A trial's run context: what the trial was (git state, command, host, packages)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction

from kuro.core.errors import InvalidInput, NotFound
from kuro.server.tracking.models import PackageSet, Trial
from kuro.server.tracking.selectors.trials import trial_check_exists

__all__ = [
    "package_set_get_or_create",
    "package_set_resolve",
    "trial_context_attach",
    "trial_context_record",
]


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


def package_set_resolve(*, packages: list[str] | None, packages_hash: str | None) -> PackageSet:
    """The stored set a context names. With ``packages``, that set (made on first sight;
    ``packages_hash``, when given, must be its hash). Without them (None: a client that
    sent the list before sends only its hash), the set stored under ``packages_hash``:
    ``NotFound`` naming ``packages_hash`` when there is none, and the client sends the list.
    Neither: the empty set."""
    if packages is None and packages_hash is not None:
        found = PackageSet.objects.filter(key=packages_hash).first()
        if found is None:
            raise NotFound(
                "no package set is stored under this packages_hash: send the packages",
                detail={"field": "packages_hash"},
            )
        return found
    names = sorted(set(packages or []))
    if packages_hash is not None and packages_hash != _packages_key(names):
        raise InvalidInput("packages_hash is not the hash of packages", field="packages_hash")
    return package_set_get_or_create(packages=names)


def trial_context_record(
    *,
    trial_id: int,
    context: dict[str, Any],
    packages: list[str] | None,
    packages_hash: str | None = None,
) -> Trial:
    """Set the run context of trial ``trial_id``; sending it again sets it again (the same
    context gives the same record). Packages as ``package_set_resolve`` takes them."""
    trial_check_exists(trial_id)
    package_set = package_set_resolve(packages=packages, packages_hash=packages_hash)
    Trial.objects.filter(pk=trial_id).update(context=context, package_set=package_set)
    return Trial.objects.get(pk=trial_id)


def trial_context_attach(*, trial: Trial, context: dict[str, Any], package_set: PackageSet) -> None:
    """Give ``trial`` (locked by the caller) this run context unless it has one: a resumed
    trial keeps the context it started with."""
    if trial.context is not None:
        return
    trial.context = context
    trial.package_set = package_set
    trial.save(update_fields=["context", "package_set"])
