"""Domain errors: a machine code for the API and a message a person can read.

Domain functions raise these; the API turns them into JSON ``{"code", "message"}``
with the status given here, and pages show the message.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotFound(DomainError):
    """Missing and forbidden look the same from outside: no one learns what exists."""

    status = 404
    code = "not_found"

    def __init__(self, message: str | None = None, **kwargs) -> None:
        super().__init__(message or _("Not found, or you may not see it."), **kwargs)


class PermissionDenied(DomainError):
    """The user can see the object but may not take this action on it."""

    status = 403
    code = "forbidden"


class InvalidTransition(DomainError):
    """The action is not allowed in the object's current state."""

    status = 409
    code = "invalid_transition"


class StorageFull(DomainError):
    """The disk under var/ is full: nothing of the request was kept (no half-written file, the transaction rolled
    back). 507 Insufficient Storage: the client may retry once an operator has made room."""

    status = 507
    code = "disk_full"

    def __init__(self) -> None:
        super().__init__(_("The server's storage is full, so nothing was saved. Please tell the administrator."))
