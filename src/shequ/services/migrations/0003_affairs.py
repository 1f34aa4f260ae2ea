"""The common affairs of the catalogue (``seed.seed_affairs``: created when missing, never overwritten)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from shequ.services.seed import seed_affairs

    seed_affairs(apps)


class Migration(migrations.Migration):
    dependencies = [("services", "0002_seed")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
