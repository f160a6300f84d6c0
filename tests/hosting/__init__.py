"""The CLI, the Lambda handler, worker processes, cold start and load."""
