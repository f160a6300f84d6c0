"""The inspector page: requests and issued tokens, decoded."""
