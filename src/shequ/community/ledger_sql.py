"""The database's half of the ledgers: triggers, the same rules on SQLite and PostgreSQL, for each ledger's
account and transfer tables (time and points). Installed by migration 0002; see ``models/ledger.py`` for the
rules they keep.

Every rule acts on its row at once (no deferred check): a transfer's one row carries both legs, so there is never
a half-written posting to wait for.
"""

from __future__ import annotations

from typing import Any

LEDGERS = (("community_timeaccount", "community_timetransfer"), ("community_pointsaccount", "community_pointstransfer"))

IMMUTABLE = "ledger transfers are immutable: correct one with a reversing transfer"
GUARDED = "a balance changes only by a transfer"
MIRROR = "a reversal mirrors an original that is not itself a reversal"
FRESH = "an account starts at zero"
KEPT = "ledger accounts are never deleted"


def _names(account: str, transfer: str) -> dict[str, str]:
    short = transfer.removeprefix("community_")
    return {"account": account, "transfer": transfer, "t": short}


def _sqlite(account: str, transfer: str) -> list[str]:
    n = _names(account, transfer)
    return [
        f"""CREATE TRIGGER {n["t"]}_apply AFTER INSERT ON {transfer}
BEGIN
  UPDATE {account} SET balance = balance - NEW.amount, last_transfer_id = NEW.id WHERE id = NEW.debit_id;
  UPDATE {account} SET balance = balance + NEW.amount, last_transfer_id = NEW.id WHERE id = NEW.credit_id;
END""",
        f"""CREATE TRIGGER {n["t"]}_mirror BEFORE INSERT ON {transfer} WHEN NEW.reverses_id IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, '{MIRROR}') WHERE NOT EXISTS (
    SELECT 1 FROM {transfer} o WHERE o.id = NEW.reverses_id AND o.reverses_id IS NULL
      AND o.debit_id = NEW.credit_id AND o.credit_id = NEW.debit_id AND o.amount = NEW.amount);
END""",
        f"""CREATE TRIGGER {n["t"]}_no_update BEFORE UPDATE ON {transfer}
BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
        f"""CREATE TRIGGER {n["t"]}_no_delete BEFORE DELETE ON {transfer}
BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
        f"""CREATE TRIGGER {n["t"]}_account_fresh BEFORE INSERT ON {account}
WHEN NEW.balance <> 0 OR NEW.last_transfer_id IS NOT NULL
BEGIN SELECT RAISE(ABORT, '{FRESH}'); END""",
        f"""CREATE TRIGGER {n["t"]}_account_guard BEFORE UPDATE ON {account}
WHEN NEW.balance IS NOT OLD.balance OR NEW.last_transfer_id IS NOT OLD.last_transfer_id
BEGIN
  SELECT RAISE(ABORT, '{GUARDED}') WHERE NOT EXISTS (
    SELECT 1 FROM {transfer} t WHERE t.id = NEW.last_transfer_id
      AND (OLD.last_transfer_id IS NULL OR t.id > OLD.last_transfer_id)
      AND ((t.debit_id = NEW.id AND NEW.balance = OLD.balance - t.amount)
        OR (t.credit_id = NEW.id AND NEW.balance = OLD.balance + t.amount)));
END""",
        f"""CREATE TRIGGER {n["t"]}_account_kept BEFORE DELETE ON {account}
BEGIN SELECT RAISE(ABORT, '{KEPT}'); END""",
    ]


def _postgresql(account: str, transfer: str) -> list[str]:
    n = _names(account, transfer)
    t = n["t"]
    return [
        f"""CREATE FUNCTION {t}_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {account} SET balance = balance - NEW.amount, last_transfer_id = NEW.id WHERE id = NEW.debit_id;
  UPDATE {account} SET balance = balance + NEW.amount, last_transfer_id = NEW.id WHERE id = NEW.credit_id;
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER {t}_apply AFTER INSERT ON {transfer} FOR EACH ROW EXECUTE FUNCTION {t}_apply()",
        f"""CREATE FUNCTION {t}_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM {transfer} o WHERE o.id = NEW.reverses_id AND o.reverses_id IS NULL
      AND o.debit_id = NEW.credit_id AND o.credit_id = NEW.debit_id AND o.amount = NEW.amount) THEN
    RAISE EXCEPTION '{MIRROR}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$""",
        f"""CREATE TRIGGER {t}_mirror BEFORE INSERT ON {transfer} FOR EACH ROW
WHEN (NEW.reverses_id IS NOT NULL) EXECUTE FUNCTION {t}_mirror()""",
        f"""CREATE FUNCTION {t}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
END $$""",
        f"""CREATE TRIGGER {t}_immutable BEFORE UPDATE OR DELETE ON {transfer}
FOR EACH ROW EXECUTE FUNCTION {t}_immutable()""",
        f"""CREATE FUNCTION {t}_account_fresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.balance <> 0 OR NEW.last_transfer_id IS NOT NULL THEN
    RAISE EXCEPTION '{FRESH}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$""",
        f"""CREATE TRIGGER {t}_account_fresh BEFORE INSERT ON {account}
FOR EACH ROW EXECUTE FUNCTION {t}_account_fresh()""",
        f"""CREATE FUNCTION {t}_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM {transfer} t WHERE t.id = NEW.last_transfer_id
      AND (OLD.last_transfer_id IS NULL OR t.id > OLD.last_transfer_id)
      AND ((t.debit_id = NEW.id AND NEW.balance = OLD.balance - t.amount)
        OR (t.credit_id = NEW.id AND NEW.balance = OLD.balance + t.amount))) THEN
    RAISE EXCEPTION '{GUARDED}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$""",
        f"""CREATE TRIGGER {t}_account_guard BEFORE UPDATE ON {account} FOR EACH ROW
WHEN (NEW.balance IS DISTINCT FROM OLD.balance OR NEW.last_transfer_id IS DISTINCT FROM OLD.last_transfer_id)
EXECUTE FUNCTION {t}_account_guard()""",
        f"""CREATE FUNCTION {t}_account_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{KEPT}' USING ERRCODE = 'integrity_constraint_violation';
END $$""",
        f"""CREATE TRIGGER {t}_account_kept BEFORE DELETE ON {account}
FOR EACH ROW EXECUTE FUNCTION {t}_account_kept()""",
    ]


_TRIGGERS = ("apply", "mirror", "no_update", "no_delete", "immutable", "account_fresh", "account_guard", "account_kept")


def _drop(vendor: str, account: str, transfer: str) -> list[str]:
    t = _names(account, transfer)["t"]
    if vendor == "postgresql":
        drops = [f"DROP TRIGGER IF EXISTS {t}_{name} ON {table}" for name in _TRIGGERS for table in (account, transfer)]
        return drops + [f"DROP FUNCTION IF EXISTS {t}_{name}()" for name in _TRIGGERS]
    return [f"DROP TRIGGER IF EXISTS {t}_{name}" for name in _TRIGGERS]


def statements(vendor: str, *, drop: bool = False) -> list[str]:
    """The SQL that installs (or, with ``drop``, removes) the ledger triggers on this database vendor."""
    out: list[str] = []
    for account, transfer in LEDGERS:
        if drop:
            out += _drop(vendor, account, transfer)
        elif vendor == "postgresql":
            out += _postgresql(account, transfer)
        elif vendor == "sqlite":
            out += _sqlite(account, transfer)
        else:
            raise NotImplementedError(f"the ledger triggers exist for SQLite and PostgreSQL, not {vendor}")
    return out


def install(schema_editor: Any, drop: bool = False) -> None:
    for sql in statements(schema_editor.connection.vendor, drop=drop):
        schema_editor.execute(sql, params=None)


def purge(connection: Any) -> None:
    """Empty both ledgers, for wiping a whole demo database in tests: the triggers are dropped and put back inside
    the caller's transaction (DDL is transactional on both databases), so no data path can ever delete a
    transfer; only someone allowed to change the schema can."""
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, drop=True):
            cursor.execute(sql)
        for table in (
            "community_redemption",
            "community_attendance",
            "community_helprequest",
            "community_pointstransfer",
            "community_timetransfer",
            "community_pointsaccount",
            "community_timeaccount",
        ):
            cursor.execute(f"DELETE FROM {table}")
        for sql in statements(connection.vendor):
            cursor.execute(sql)
