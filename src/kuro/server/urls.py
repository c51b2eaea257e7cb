"""URLs: the JSON API under /api/v1/, the admin under /admin/. The dashboard is a Dash app
mounted beside Django in ``kuro.server.wsgi``; its original address ``/dash-index`` redirects."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, re_path
from django.views.generic import RedirectView

from kuro.core.errors import NotFound, ServerError
from kuro.server.api import api
from kuro.server.errors import json_error_view, retry_later


def _sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out and back to the login page. GET too, so the dashboard's plain link works;
    a forged request can only sign someone out, which is harmless."""
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


def _home(request: HttpRequest) -> HttpResponse:
    return redirect("/api/v1/docs")


urlpatterns = [
    path("", _home),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", _sign_out, name="logout"),
    path("api/v1/", api.urls),
    re_path(r"^dash-index/?$", RedirectView.as_view(url="/dashboard/", query_string=True)),
]


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return json_error_view(NotFound(f"no page at {request.path}"))


def handler500(request: HttpRequest) -> HttpResponse:
    # Called while the exception is handled: a lost database connection is a 503 here too.
    busy = retry_later(sys.exc_info()[1] or Exception())
    if busy is not None:
        response = json_error_view(busy)
        response["Retry-After"] = "1"
        return response
    return json_error_view(ServerError("the server failed; the error is in its log"))
