"""Errors of sharing: every message is fit to show a user and carries no identifying value."""

from __future__ import annotations

from openfdp.loaders.errors import LoaderError


class ShareError(LoaderError):
    """Sharing could not do its work (missing keys, an unreadable product folder...)."""


class ProductRefused(ShareError):
    """A data product (or receipt) failed a check; nothing was loaded. The reason says which."""


class AgreementError(ShareError):
    """An agreement that does not exist, or a request the agreement does not allow."""
