"""The browser side: authorization requests, sign-in, consent, PAR, PKCE, front-channel
tokens and the device flow (RFC 8628)."""
