from django.db import migrations


def forwards(apps, schema_editor):
    from shequ.alerts.seed import seed

    seed(apps)


def backwards(apps, schema_editor):
    apps.get_model("alerts", "AlertTemplate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
