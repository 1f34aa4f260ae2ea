"""The tamper-evident audit trail (docs/audit.md). Other apps call ``shequ.audit.record(...)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chain import Verdict
    from .models import AuditEntry


def record(action: str, **kwargs: Any) -> AuditEntry:
    """See ``shequ.audit.actions.record`` (imported late: this package loads before the app registry)."""
    from .actions import record as _record

    return _record(action, **kwargs)


def verify_chain(**kwargs: Any) -> Verdict:
    from .chain import verify_chain as _verify

    return _verify(**kwargs)
