"""The one error tree: each class carries its code and HTTP status, and every table is
derived from the classes."""

from __future__ import annotations

import pytest

import kuro
from kuro.core import errors
from kuro.core.errors import ERROR_CLASSES, KuroError, error_from_payload, tree_text


def test_docstring_draws_the_tree_of_the_classes():
    """The tree in the module docstring is the one the classes make."""
    assert tree_text() in errors.__doc__


def test_every_class_is_public_with_a_unique_code():
    """Each error class is exported by ``kuro`` and has a code of its own."""
    codes = [cls.code for cls in ERROR_CLASSES]
    assert len(codes) == len(set(codes))
    for cls in ERROR_CLASSES:
        assert getattr(kuro, cls.__name__) is cls
        assert cls.__name__ in errors.__all__


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_an_answer_turns_back_into_its_class(cls):
    """What the server answers for an error is rebuilt as the same class by the client."""
    error = cls("it went wrong", detail={"field": "x"})
    rebuilt = error_from_payload(error.to_payload(), status=error.status)
    assert type(rebuilt) is cls
    assert rebuilt.message == "it went wrong"
    assert rebuilt.detail == {"field": "x"}


def test_statuses_follow_the_tree():
    """A subclass answers its own status, which is in the range of its family."""
    assert kuro.PayloadTooLarge.status == 413
    assert kuro.ServerBusy.status == 503
    assert kuro.TransportError.status is None
    for cls in ERROR_CLASSES:
        if cls.status is not None and cls is not KuroError:
            assert 400 <= cls.status < 600


def test_unknown_code_and_non_json_answers():
    """An unknown code is a plain KuroError; a body that is not Kuro's is a ServerError."""
    assert type(error_from_payload({"error": "new_code", "message": "m"})) is KuroError
    assert isinstance(error_from_payload("<html>", status=502), kuro.ServerError)
