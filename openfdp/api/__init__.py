"""The HTTP edge: FastAPI app, strawberry GraphQL schema, auth, audit, analyst Cypher."""
