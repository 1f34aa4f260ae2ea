"""The table of demo accounts and addresses printed after ``load_demo``."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from django.utils.translation import gettext as _

from shequ.access.models import Role, User

from .organisation import ACCOUNTS, DEMO_PASSWORD, Account

BASE_URL = "http://127.0.0.1:8000"
# The home-care agency's account (resident services: the orders made to it, its services); made by demo/services.py.
PROVIDER_ACCOUNT = Account("fuwu", Role.PROVIDER)


def account_rows() -> list[tuple[str, str, str, str]]:
    """(username, password, role, area or unit) of each named demo account that exists."""
    named = (*ACCOUNTS, PROVIDER_ACCOUNT)
    users = {
        u.username: u
        for u in User.objects.select_related("region", "unit").filter(username__in=[a.username for a in named])
    }
    rows = []
    for account in named:
        user = users.get(account.username)
        if user is None:
            continue
        if user.unit is not None:
            where = user.unit.name
        elif user.region is not None:
            where = user.region.name
        elif user.sees_everything:
            where = _("the whole district")
        else:
            where = _("residents' portal")
        rows.append((user.username, DEMO_PASSWORD, str(Role(user.role).label), where))
    return rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def print_accounts(write: Callable[[str], None]) -> None:
    header = (_("Username"), _("Password"), _("Account role"), _("Area / unit"))
    rows = account_rows()
    if not rows:
        write(_("No demo accounts in this database."))
    else:
        widths = [max(_width(r[k]) for r in [header, *rows]) for k in range(4)]
        write("")
        write(_("Demo accounts (one password for all):"))
        for row in [header, *rows]:
            write("  " + "  ".join(_pad(cell, widths[k]) for k, cell in enumerate(row)).rstrip())
        extra = User.objects.exclude(username__in=[a.username for a in (*ACCOUNTS, PROVIDER_ACCOUNT)]).count()
        if extra:
            write(
                _(
                    "  … and %(n)s more with the same password: wanggeyuan2 (one per grid), shequ2 (per community), "
                    "jiedao2 (per street), chuzhi2 (per unit), jumin2 …"
                )
                % {"n": extra}
            )
    write("")
    for label, path in (
        (_("Workbench"), "/"),
        (_("Residents' portal"), "/portal/"),
        (_("API documentation"), "/api/docs"),
        (_("Administration"), "/admin/"),
    ):
        write(f"  {_pad(label, 12)}  {BASE_URL}{path}")
