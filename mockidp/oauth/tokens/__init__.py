"""What is minted and how it is found again: claims, scopes, resources, vendor shapes,
issuance, DPoP, introspection, revocation and signed answers."""
