"""The Neo4j adapter: the local server, the driver, and all Cypher text."""
