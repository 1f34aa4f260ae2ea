"""The device messages' personal fields in the data dictionary (``dictionary.seed`` upserts: safe to rerun)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from shequ.devices.dictionary import seed

    seed(apps)


class Migration(migrations.Migration):
    dependencies = [("devices", "0001_initial"), ("registry", "0012_employment_dictionary")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
