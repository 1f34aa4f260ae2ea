"""Encryption at rest of ID numbers, step 2: encrypt the existing values (the people's numbers, the Change rows of
the ``id_number`` field, the value snapshots of merges, the cells of rejected import rows, which are often ID
numbers) and fill the blind index.

In batches of ``BATCH`` rows, each batch its own transaction (the migration is not atomic), so a big base is not
locked in one long transaction and an interrupted run resumes: values that are already tokens are skipped. The keys
come from the environment or the key file (``shequ.core.crypto``), generated on first use; never from the database.
Reversible: going back decrypts.
"""

from django.db import migrations, transaction

BATCH = 2000


def _is_token(value):
    from shequ.core import crypto

    return isinstance(value, str) and crypto.is_token(value)


def _seal(value):
    from shequ.core import crypto

    return value if not value or _is_token(value) else crypto.encrypt(value)


def _open(value):
    from shequ.core import crypto

    return crypto.decrypt(value) if _is_token(value) else value


def _batches(queryset, alias):
    """Rows of ``queryset`` in id windows of BATCH; the caller's writes for each window commit together."""
    last = 0
    while True:
        rows = list(queryset.using(alias).filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        with transaction.atomic(using=alias):
            yield rows
        last = rows[-1].pk


def _snapshots(snapshots, op):
    return {
        side: {n: op(v) if n == "id_number" else v for n, v in values.items()} for side, values in snapshots.items()
    }


def _convert(apps, schema_editor, *, forward):
    from shequ.core import crypto
    from shequ.registry.validators import normalize_id_number

    alias = schema_editor.connection.alias
    Person = apps.get_model("registry", "Person")
    Change = apps.get_model("registry", "Change")
    Merge = apps.get_model("registry", "Merge")
    Rejection = apps.get_model("registry", "ImportRejection")
    op = _seal if forward else _open
    for people in _batches(Person.objects.filter(id_number__isnull=False), alias):
        for person in people:
            number = person.id_number
            if forward and not _is_token(number):
                person.id_index = crypto.blind_index(normalize_id_number(number))
            elif not forward:
                person.id_index = None
            person.id_number = op(number)
        Person.objects.using(alias).bulk_update(people, ["id_number", "id_index"])
    for changes in _batches(Change.objects.filter(record_type="person", field="id_number"), alias):
        for change in changes:
            change.old_value, change.new_value = op(change.old_value), op(change.new_value)
        Change.objects.using(alias).bulk_update(changes, ["old_value", "new_value"])
    for rejections in _batches(Rejection.objects.exclude(value=""), alias):
        for rejection in rejections:
            rejection.value = op(rejection.value)
        Rejection.objects.using(alias).bulk_update(rejections, ["value"])
    for merges in _batches(Merge.objects.all(), alias):
        for merge in merges:
            merge.before = _snapshots(merge.before, op)
            if "after" in merge.moved:
                merge.moved = {**merge.moved, "after": _snapshots(merge.moved["after"], op)}
        Merge.objects.using(alias).bulk_update(merges, ["before", "moved"])


def encrypt(apps, schema_editor):
    _convert(apps, schema_editor, forward=True)


def decrypt(apps, schema_editor):
    _convert(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("registry", "0008_person_id_index"),
    ]

    operations = [
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
