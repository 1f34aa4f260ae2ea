# The open Open311 feed: which categories it lists, and the reporter's consent to publish a description.

from django.db import migrations, models

# What the shipped catalog marks public (data/catalog.json): every leaf of these groups except the ones below.
PUBLIC_GROUPS = ("01", "02", "03", "04", "05", "06", "08", "09")
NEVER_PUBLIC = ("0508", "0605", "0801", "0802")


def mark_public(apps, schema_editor):
    Category = apps.get_model("events", "Category")
    for group in PUBLIC_GROUPS:
        Category.objects.filter(code__startswith=group).exclude(code__in=NEVER_PUBLIC).update(public=True)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_alert_channel"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="public",
            field=models.BooleanField(default=False, verbose_name="public on Open311"),
        ),
        migrations.AddField(
            model_name="event",
            name="publish_description",
            field=models.BooleanField(default=False, verbose_name="description may be published"),
        ),
        migrations.RunPython(mark_public, migrations.RunPython.noop),
    ]
