"""A Django project signing users in with mozilla-django-oidc, configured as its
documentation shows, against the production provider's endpoints.

Tested unchanged, in-process, by tests/guides/test_django_oidc.py (docs/testing-your-app.md).
"""

from __future__ import annotations

ISSUER = "https://login.example-idp.com"

SECRET_KEY = "change-me"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
ROOT_URLCONF = "django_oidc.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "mozilla_django_oidc",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
AUTHENTICATION_BACKENDS = ["mozilla_django_oidc.auth.OIDCAuthenticationBackend"]

OIDC_RP_CLIENT_ID = "mockidp-client"
OIDC_RP_CLIENT_SECRET = "mockidp-secret"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_OP_AUTHORIZATION_ENDPOINT = ISSUER + "/authorize"
OIDC_OP_TOKEN_ENDPOINT = ISSUER + "/token"
OIDC_OP_USER_ENDPOINT = ISSUER + "/userinfo"
OIDC_OP_JWKS_ENDPOINT = ISSUER + "/.well-known/jwks.json"
LOGIN_REDIRECT_URL = "/"
LOGIN_REDIRECT_URL_FAILURE = "/failed"
LOGOUT_REDIRECT_URL = "/"
