"""SuperOffice: its web API's principal, system-user tokens and their tickets."""
