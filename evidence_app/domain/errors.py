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


class ConnectionLost(StoreError):
    """The database server went away during a unit of work: nothing of it was saved, it can be retried."""


class Cancelled(Exception):
    """A long operation was cancelled by the user; whatever it did was rolled back."""


class ConflictError(UserError):
    """A save against a record someone else changed since the edit was based on it.

    Carries both versions so the CLI can print them and the desk can show them side by
    side: ``fields`` maps each field the user set to ``(wanted, current)``.
    """

    def __init__(
        self,
        *,
        entity: str,
        record_id: str,
        label: str,
        fields: dict[str, tuple[object, object]],
        expected_version: int,
        current_version: int,
        changed_by: str | None,
        changed_at: str | None,
    ) -> None:
        self.entity = entity
        self.record_id = record_id
        self.label = label
        self.fields = fields
        self.expected_version = expected_version
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = f"{changed_by} at {changed_at}" if changed_by else "someone else"
        parts = [
            f"{name}: you wanted {_show(wanted)}, it is now {_show(current)}"
            for name, (wanted, current) in fields.items()
        ]
        message = (
            f"{entity} {record_id[:8]} ({label}) was changed by {who} since your edit was based on it "
            f"(version {expected_version}, now {current_version}); "
            + ("; ".join(parts) if parts else "nothing was saved")
            + ". Nothing was saved: reload and decide again."
        )
        super().__init__(message, location=next(iter(fields), None))


def _show(value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    return repr(value) if isinstance(value, str) else str(value)
