"""LoginRadius: its identity API beside OAuth."""
