"""Use cases both edges (the API and the command line) need: access scope, disclosure control,
analyst Cypher, audit queries."""
