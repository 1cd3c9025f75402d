"""openfdp loaders: read -> validate -> pseudonymise -> link -> map -> write."""

__version__ = "0.1.0"
