"""Who the client is: authentication (RFC 6749 2.3, RFC 7523), its metadata, dynamic
registration (RFC 7591 / 7592) and its web origins (CORS)."""
