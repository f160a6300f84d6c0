"""Settings from ``MOCKIDP_*`` and flags, wiring them into an app, and worker processes."""
