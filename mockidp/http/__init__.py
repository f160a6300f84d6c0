"""Requests in, responses out: endpoint handlers, strict input parsing, HTML pages."""
