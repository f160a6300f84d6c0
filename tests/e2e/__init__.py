"""Whole flows over real HTTP: browsers, relying-party libraries, interop with other clients."""
