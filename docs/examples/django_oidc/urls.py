"""The project's URLs: mozilla-django-oidc's views under /oidc/, and two pages."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def home(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    return JsonResponse({"signed_in": True, "email": request.user.email})


def failed(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"signed_in": False, "failed": True}, status=401)


urlpatterns = [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", home),
    path("failed", failed),
]
