"""The Store contract, run against every backend, and DynamoDB's races and table."""
