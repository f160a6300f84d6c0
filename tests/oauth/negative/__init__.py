"""Bad requests to the core's endpoints: each gets its OAuth error, nothing stored changes."""
