"""What a scenario makes misbehave on purpose: scripted faults and broken tokens, picked
by one rule engine."""
