"""The loaders' exceptions: one root, with messages fit to show a user as they are.

Messages never carry raw identifying values (NHS numbers, names, dates of birth, postcodes).
"""

from __future__ import annotations


class LoaderError(Exception):
    """Root of every error the loaders raise on purpose. The message is user-facing."""


class UnknownExtract(LoaderError):
    """A CSV file whose header matches none of the documented trust extracts."""


class FeedNotAvailable(LoaderError):
    """A feed reader module that is not part of this installation."""
