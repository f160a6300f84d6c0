"""Keycloak: its realm answer, logout by refresh token, and its session iframe state."""
