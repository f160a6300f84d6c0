"""One vendor's own behaviour beside OAuth, one package per vendor; only the provider
imports them."""
