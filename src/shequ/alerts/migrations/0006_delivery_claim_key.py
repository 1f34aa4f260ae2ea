from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0005_target_workers"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="claim_key",
            field=models.IntegerField(blank=True, null=True, verbose_name="claim key"),
        ),
    ]
