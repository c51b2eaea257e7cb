"""The dashboard mounted in the server's WSGI application: dispatch, redirect and auth."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from werkzeug.test import Client as WsgiClient

from kuro.server.wsgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def test_dash_index_redirects_to_the_dashboard():
    """The original address redirects, keeping its query."""
    response = Client().get("/dash-index?group=g")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/?group=g"


def test_dispatch_between_dash_and_django():
    """/dashboard/... is Dash; everything else is Django."""
    client = WsgiClient(application)
    page = client.get("/dashboard/")
    assert page.status_code == 200 and b"_dash-config" in page.data
    assert client.get("/dashboard/_dash-layout").status_code == 200
    assert client.get("/api/v1/health").json["status"] == "ok"


def test_auth_sends_anonymous_pages_to_login(settings):
    """With auth on, an anonymous page view goes to the login page, Dash requests get 401."""
    settings.KURO_AUTH = True
    client = WsgiClient(application)
    page = client.get("/dashboard/trial/3?x=1")
    assert page.status_code == 302
    assert page.headers["Location"] == "/accounts/login/?next=/dashboard/trial/3%3Fx%3D1"
    layout = client.get("/dashboard/_dash-layout")
    assert layout.status_code == 401 and layout.json["error"] == "unauthorized"


def test_auth_lets_a_logged_in_session_in(settings):
    """With auth on, the login page's session opens the dashboard."""
    settings.KURO_AUTH = True
    user = get_user_model().objects.create_user("ada", password="pw-for-tests")
    django_client = Client()
    django_client.force_login(user)
    client = WsgiClient(application)
    client.set_cookie("sessionid", django_client.cookies["sessionid"].value)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/dashboard/_dash-layout").status_code == 200


def test_group_links_encode_any_name():
    """A group name with spaces or ampersands still links to its compare page."""
    from kuro.dashboard.mount import group_href

    assert group_href("a b&c") == "/dashboard/?group=a+b%26c"
