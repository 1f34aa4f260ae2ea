"""Encryption at rest of ID numbers, step 3: the columns are encrypting fields (no change in the database) and the
blind index is unique (one person per ID number, as the number column was)."""

from django.db import migrations, models

import shequ.core.fields


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_encrypt_id_numbers"),
    ]

    operations = [
        migrations.AlterField(
            model_name="person",
            name="id_number",
            field=shequ.core.fields.EncryptedTextField(blank=True, max_length=18, null=True, verbose_name="ID number"),
        ),
        migrations.AlterField(
            model_name="importrejection",
            name="value",
            field=shequ.core.fields.EncryptedTextField(blank=True, verbose_name="value"),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(fields=("id_index",), name="person_id_index_unique"),
        ),
    ]
