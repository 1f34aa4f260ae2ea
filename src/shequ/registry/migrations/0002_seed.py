"""Seed the code tables, the data dictionary and the tag catalog (upserts: safe to run again)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from shequ.registry.seed import seed

    seed(apps)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
