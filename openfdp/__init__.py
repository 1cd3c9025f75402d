"""openfdp graph service: settings, the Neo4j store adapter, the API and the CLI."""

__version__ = "0.1.0"
