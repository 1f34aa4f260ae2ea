"""The ledgers' rules kept by the database itself (community/ledger_sql.py), per vendor."""

from django.db import migrations


def install(apps, schema_editor):
    from shequ.community import ledger_sql

    ledger_sql.install(schema_editor)


def remove(apps, schema_editor):
    from shequ.community import ledger_sql

    ledger_sql.install(schema_editor, drop=True)


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
