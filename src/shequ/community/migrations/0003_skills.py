from django.db import migrations


def seed(apps, schema_editor):
    from shequ.community.seed import seed as run

    run(apps)


class Migration(migrations.Migration):
    dependencies = [("community", "0002_ledger_triggers")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
