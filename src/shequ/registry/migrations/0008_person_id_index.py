"""Encryption at rest of ID numbers, step 1: the blind-index column, and the ID number column as plain text (its
unique constraint moves to the index in step 3: random ciphertexts are never equal)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0007_person_account"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="id_index",
            field=models.CharField(
                blank=True, editable=False, max_length=50, null=True, verbose_name="ID number index"
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="id_number",
            field=models.TextField(blank=True, max_length=18, null=True, verbose_name="ID number"),
        ),
    ]
