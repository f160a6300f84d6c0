"""The protocol core, free of HTTP: it takes parameters, returns data, and raises
``OAuthError``/``PageError`` for the HTTP layer to render."""
