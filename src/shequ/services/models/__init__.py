"""The services app's models, one module per part: affairs, orders, care, aid."""

from .affairs import (
    OPEN_APP_STATUSES,
    Affair,
    Application,
    ApplicationAttachment,
    ApplicationEntry,
    AppStatus,
    Booking,
    Certificate,
    ResultKind,
)
from .aid import AidFinding, AidItem, AidKind, FindingKind
from .care import CareEntry, CareSubject, CareTask, CareVisit, Risk, TaskReason, VisitInterval, Wellbeing
from .orders import (
    HOLDING_STATUSES,
    OrderEntry,
    OrderPhoto,
    OrderStatus,
    Provider,
    ProviderKind,
    Service,
    ServiceOrder,
    Slot,
)

__all__ = [
    "HOLDING_STATUSES",
    "OPEN_APP_STATUSES",
    "Affair",
    "AidFinding",
    "AidItem",
    "AidKind",
    "AppStatus",
    "Application",
    "ApplicationAttachment",
    "ApplicationEntry",
    "Booking",
    "CareEntry",
    "CareSubject",
    "CareTask",
    "CareVisit",
    "Certificate",
    "FindingKind",
    "OrderEntry",
    "OrderPhoto",
    "OrderStatus",
    "Provider",
    "ProviderKind",
    "ResultKind",
    "Risk",
    "Service",
    "ServiceOrder",
    "Slot",
    "TaskReason",
    "VisitInterval",
    "Wellbeing",
]
