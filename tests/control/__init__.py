"""The test-control API, the inspector, tenants, and control shared through a store."""
