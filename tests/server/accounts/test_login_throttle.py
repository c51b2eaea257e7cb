"""Failed sign-ins are throttled per account and per address (django-axes)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_an_account_is_locked_after_its_failures_even_with_the_right_password(
    django_user_model,
):
    """The fifth wrong password locks the account; then even the right one, from another
    address, is refused with a clear 429 page."""
    django_user_model.objects.create_user(username="ada", password="correct horse")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "ada", "wrong").status_code == 200  # the form again
    assert _sign_in(client, "ada", "wrong").status_code == 429
    locked = _sign_in(client, "ada", "correct horse", address="10.0.0.2")
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert b"0:15:00 (h:mm:ss)" in locked.content  # how long, from the cool-off setting
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_after_failures_on_many_accounts(django_user_model):
    """Guessing across accounts from one address locks the address, not only the names."""
    django_user_model.objects.create_user(username="bob", password="s3cret pw")
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, f"guess{i}", "wrong", address="10.9.9.9")
    assert _sign_in(client, "bob", "s3cret pw", address="10.9.9.9").status_code == 429
    # The same account from another address still signs in.
    other = Client()
    assert _sign_in(other, "bob", "s3cret pw", address="10.1.1.1").status_code == 302


def test_a_success_resets_the_count(django_user_model):
    """Failures below the limit, then a success: the count starts again."""
    django_user_model.objects.create_user(username="cy", password="good pw 1")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, "cy", "wrong", address="10.0.0.7")
    assert _sign_in(client, "cy", "good pw 1", address="10.0.0.7").status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(Client(), "cy", "wrong", address="10.0.0.7")
    assert _sign_in(Client(), "cy", "good pw 1", address="10.0.0.7").status_code == 302


@override_settings(KURO_PROXY_COUNT=1)
def test_behind_a_proxy_each_forwarded_address_is_counted_apart(django_user_model):
    """Behind one trusted proxy, one person's failures lock their forwarded address, not the
    proxy's for everyone; a forged X-Forwarded-For entry does not dodge the count."""
    django_user_model.objects.create_user(username="dee", password="pw of dee")
    proxy = "127.0.0.1"

    def through_proxy(username, password, client_sends=""):
        forwarded = f"{client_sends}, 203.0.113.9" if client_sends else "203.0.113.9"
        return Client().post(
            LOGIN,
            {"username": username, "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for i in range(settings.AXES_FAILURE_LIMIT):
        through_proxy(f"guess{i}", "wrong", client_sends=f"198.51.100.{i}")  # forged entries
    assert through_proxy("dee", "pw of dee").status_code == 429  # 203.0.113.9 is locked
    other = Client().post(
        LOGIN,
        {"username": "dee", "password": "pw of dee"},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR="192.0.2.44",
    )
    assert other.status_code == 302  # the proxy's other users still sign in


def test_without_a_proxy_the_header_is_ignored(django_user_model):
    """With no trusted proxy, X-Forwarded-For is the client's own claim: the socket counts."""
    for i in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            LOGIN,
            {"username": f"g{i}", "password": "x"},
            REMOTE_ADDR="10.4.4.4",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )
    assert _sign_in(Client(), "anyone", "x", address="10.4.4.4").status_code == 429
