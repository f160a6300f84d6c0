"""The scenario format: loading, checks, and what each section scripts."""
