"""The services app's dictionary fields, tags, aid kinds and visit intervals (``seed`` upserts: safe to rerun)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from shequ.services.seed import seed

    seed(apps)


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial"), ("registry", "0012_employment_dictionary")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
