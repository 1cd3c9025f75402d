"""The store's exceptions: one root, with messages fit to show a user as they are."""

from __future__ import annotations


class StoreError(Exception):
    """Root of every error the store raises on purpose. The message is user-facing."""


class ServerSetupError(StoreError):
    """The local Neo4j server could not be assembled or started."""


class ConnectionFailed(StoreError):
    """Neo4j did not answer, or refused the credentials."""
