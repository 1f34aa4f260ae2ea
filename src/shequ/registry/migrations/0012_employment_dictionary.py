"""The data dictionary's employment.* fields for databases seeded before them (``seed`` upserts: safe to rerun)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from shequ.registry.seed import seed

    seed(apps)


class Migration(migrations.Migration):
    dependencies = [("registry", "0011_employment")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
