"""Helpers the tests share: servers, browsers, request builders."""
