"""The demo's fixed clock and seed; the loaded district the tests of ``district/`` share is in its conftest."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

# A fixed "now" (a Monday morning), so event times do not depend on the wall clock.
NOW = datetime(2025, 6, 16, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
SEED = 7
EVENTS = 60
