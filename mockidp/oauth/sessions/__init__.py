"""Ending sessions: RP-initiated logout, front- and back-channel delivery plans, and
Session Management's check_session iframe state."""
