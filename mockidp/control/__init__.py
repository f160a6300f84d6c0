"""The test-control API under ``/_mockidp/``, tenants, and the shared control record."""
