"""Errors a user can act on, as opposed to programming errors.

Anything raised as ``UserError`` (or a subclass) is shown to the user as one clear line
(CLI) or a dialog (GUI); anything else is a bug and goes to the log with its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or environment, with a message fit to show as is.

    ``location`` names where the problem is (a file, ``file:line``, a field), when known.
    """

    def __init__(self, message: str, *, location: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class ValidationError(UserError):
    """A value that breaks a domain rule (bad IMO check digit, disallowed transition...)."""

    def __init__(self, message: str, *, field: str | None = None, location: str | None = None) -> None:
        super().__init__(message, location=location or field)
        self.field = field


class NotFound(UserError):
    """A record named by the user does not exist (or an id prefix matches several)."""


class StoreError(UserError):
    """The store cannot be used: newer schema, locked, disk full, unreadable file."""


class Cancelled(Exception):
    """A long operation was cancelled by the user; whatever it did was rolled back."""
