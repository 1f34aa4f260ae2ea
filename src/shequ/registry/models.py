"""The community base: one record per person, household and organisation, and who lives or sits where.

A person or organisation belongs to grids only through a dwelling (a current ``Residence``, an organisation's
premises): there is no copied grid field that could drift. Every write goes through ``actions.py``, which keeps a
``Change`` row per changed field, so a record's history and each value's source can be rebuilt.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock, crypto
from shequ.core.fields import EncryptedTextField, user_reference
from shequ.geo.models import Dwelling

from .dictionary import CodeItem, CodeTable, Field, FieldType, Sensitivity

__all__ = [
    "BlockingKey",
    "BlockingStamp",
    "Change",
    "CodeItem",
    "CodeTable",
    "Field",
    "FieldType",
    "Household",
    "ImportBatch",
    "ImportRejection",
    "ImportStatus",
    "LedgerSource",
    "MatchCandidate",
    "MatchStatus",
    "Merge",
    "Organization",
    "OrganizationTag",
    "Person",
    "PersonTag",
    "Residence",
    "Sensitivity",
    "SourceKind",
    "Tag",
    "TagTarget",
]


class PersonQuerySet(models.QuerySet["Person"]):
    def current(self) -> PersonQuerySet:
        """People not merged into another record (a merged-away record is kept only to undo the merge)."""
        return self.filter(merged_into__isnull=True)


class Person(models.Model):
    """实有人口: anyone who lives or works in the area, registered or not. Coded fields hold CodeItem codes."""

    # L4: encrypted at rest (docs/encryption.md). Found by ``id_index``, its blind index, through
    # ``queries.people_with_id_number``; an ORM filter on the value itself raises.
    id_number = EncryptedTextField(_("ID number"), max_length=18, null=True, blank=True)
    name = models.CharField(_("name"), max_length=50, db_index=True)
    gender = models.CharField(_("gender"), max_length=2, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, blank=True)
    residency = models.CharField(_("residency"), max_length=20, blank=True)
    hukou_address = models.CharField(_("household registration address"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Search keys derived from name and ID number (never edited by hand): pinyin initials such as "zxm", and the
    # ID number's last four characters, so "search by initials or ID suffix" is one indexed equality.
    name_initials = models.CharField(_("name initials"), max_length=30, blank=True, db_index=True, editable=False)
    id_tail = models.CharField(_("ID number suffix"), max_length=4, blank=True, db_index=True, editable=False)
    # Keyed HMAC of the ID number ("<key id>.<hex>", ``crypto.blind_index``): one person per number.
    # Unique as a constraint (not unique=True), so PostgreSQL builds no extra LIKE index that nothing uses.
    id_index = models.CharField(_("ID number index"), max_length=50, null=True, blank=True, editable=False)
    # The resident's own portal account, when they have one (notices and alerts reach them in the portal).
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_records",
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    objects = PersonQuerySet.as_manager()

    # The fields whose every change is kept as a Change row (the dictionary's person.* fields).
    TRACKED = ("id_number", "name", "gender", "birth_date", "phone", "ethnicity", "residency", "hukou_address", "note")
    SEARCH_KEYS = ("name_initials", "id_tail", "id_index")

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["id_index"], name="person_id_index_unique")]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name

    def fill_search_keys(self) -> None:
        from .matching import name_keys  # matching imports pypinyin; keep it out of model loading

        self.name_initials = name_keys(self.name).initials[:30] if self.name else ""
        self.id_tail = (self.id_number or "")[-4:]
        # Stored numbers are normalised by the validators (18 characters, upper-case X), as lookups are.
        self.id_index = crypto.blind_index(self.id_number) if self.id_number else None


# (record type, field) of the tracked fields encrypted at rest: their Change values are encrypted too.
SEALED_FIELDS = frozenset(("person", f.name) for f in Person._meta.local_fields if isinstance(f, EncryptedTextField))


class Organization(models.Model):
    """单位 / 组织 / 商户. It sits in grids through its premises dwelling."""

    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    type = models.CharField(_("type"), max_length=20, blank=True)
    premises = models.ForeignKey(
        Dwelling,
        verbose_name=_("premises"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    TRACKED = (
        "credit_code",
        "name",
        "type",
        "premises",
        "address",
        "contact_name",
        "contact_phone",
        "legal_representative",
        "note",
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """户: people living together in one dwelling."""

    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("dwelling"), on_delete=models.PROTECT, related_name="households"
    )
    number = models.CharField(_("household number"), max_length=30, blank=True)
    head = models.ForeignKey(
        Person, verbose_name=_("head"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["dwelling", "number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{self.dwelling_id}/{self.number}"


class Residence(models.Model):
    """居住关系: a person in a dwelling from ``start`` to ``end``. Moving out sets ``end``; rows are never deleted."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="residences")
    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("dwelling"), on_delete=models.PROTECT, related_name="residences"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residences",
    )
    role = models.CharField(pgettext_lazy("registry", "role"), max_length=20)
    start = models.DateField(pgettext_lazy("registry", "from"))
    end = models.DateField(pgettext_lazy("registry", "to"), null=True, blank=True)

    class Meta:
        ordering = ["person", "-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "dwelling"], condition=Q(end__isnull=True), name="residence_one_open_per_dwelling"
            ),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="residence_end_after"),
        ]
        indexes = [models.Index(fields=["dwelling", "end"], name="residence_dwelling_end")]
        verbose_name = _("residence")
        verbose_name_plural = _("residences")

    def __str__(self) -> str:
        return f"{self.person_id}@{self.dwelling_id} {self.start}–{self.end or ''}"


class Employment(models.Model):
    """从业关系: a person working at an organisation from ``start`` to ``end``, where the base knows it. It puts people
    who only work in an area within reach of that area's alerts. Leaving sets ``end``; rows are never deleted."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="employments")
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="employments"
    )
    position = models.CharField(_("position"), max_length=50, blank=True)
    start = models.DateField(pgettext_lazy("registry", "from"))
    end = models.DateField(pgettext_lazy("registry", "to"), null=True, blank=True)

    class Meta:
        ordering = ["person", "-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization"], condition=Q(end__isnull=True), name="employment_one_open"
            ),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="employment_end_after"),
        ]
        indexes = [models.Index(fields=["organization", "end"], name="employment_organization_end")]
        verbose_name = _("employment")
        verbose_name_plural = _("employments")

    def __str__(self) -> str:
        return f"{self.person_id}@{self.organization_id} {self.start}–{self.end or ''}"


class TagTarget(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organization")


class Tag(models.Model):
    """标签: a special group a person (or a kind of place an organisation) belongs to, with its own sensitivity."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sensitivity = models.CharField(_("sensitivity"), max_length=2, choices=Sensitivity.choices)
    applies_to = models.CharField(_("applies to"), max_length=20, choices=TagTarget.choices)
    owner = models.CharField(_("owning department"), max_length=60, blank=True)
    description = models.TextField(pgettext_lazy("registry", "description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["applies_to", "code"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    """Where a value came from (provenance)."""

    IMPORT = "import", _("Import batch")
    COLLECTION = "collection", _("Collection task")
    API = "api", _("API client")
    MANUAL = "manual", _("Manual edit")
    RESOLUTION = "resolution", _("Identity resolution")


class _Tagging(models.Model):
    tag = models.ForeignKey(Tag, verbose_name=_("tag"), on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True)

    class Meta:
        abstract = True


class PersonTag(_Tagging):
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="tags")

    class Meta:
        ordering = ["person", "tag", "-since"]
        constraints = [
            models.UniqueConstraint(fields=["person", "tag"], condition=Q(until__isnull=True), name="persontag_open")
        ]
        verbose_name = _("person tag")
        verbose_name_plural = _("person tags")


class OrganizationTag(_Tagging):
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="tags"
    )

    class Meta:
        ordering = ["organization", "tag", "-since"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "tag"], condition=Q(until__isnull=True), name="orgtag_open")
        ]
        verbose_name = _("organization tag")
        verbose_name_plural = _("organization tags")


def sealed_field(record_type: str, field: str) -> bool:
    """Whether a Change row of this record type and field holds values encrypted at rest (an encrypted field's
    history is as sensitive as the field)."""
    return (record_type, field) in SEALED_FIELDS


def seal(text: str | None) -> str | None:
    return crypto.encrypt(text) if text else text


def unseal(text: str | None) -> str | None:
    return crypto.decrypt(text) if text else text


class ChangeQuerySet(models.QuerySet["Change"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Change]:  # type: ignore[override]
        """Encrypt the values of sealed fields on the way in; the instances keep their plaintext."""
        objs = list(objs)
        opened = [(c, c.old_value, c.new_value) for c in objs if sealed_field(c.record_type, c.field)]
        for change, old, new in opened:
            change.old_value, change.new_value = seal(old), seal(new)
        try:
            return super().bulk_create(objs, *args, **kwargs)  # type: ignore[return-value]
        finally:
            for change, old, new in opened:
                change.old_value, change.new_value = old, new


class Change(models.Model):
    """One changed field of one record: old and new value, who, when and from which source.

    Values are stored as text (dates in ISO form, references as ids, empty as NULL) so that any record type fits
    one table; ``queries.person_as_of`` turns them back into field values. The values of an encrypted field
    (``sealed_field``: a person's ID number) are encrypted in the column and plaintext on the instance: sealed on
    every write (``save``, ``bulk_create``, ``bulk_writes.insert_changes``) and opened in ``from_db``, the one place
    every read of Change instances passes. ``values()``/``values_list()`` of these columns give the tokens.
    """

    record_type = models.CharField(_("record type"), max_length=30)
    record_id = models.BigIntegerField(_("record id"))
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("old value"), null=True, blank=True)
    new_value = models.TextField(_("new value"), null=True, blank=True)
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True)
    actor = user_reference(_("by"))
    at = models.DateTimeField(_("at"), default=clock.now)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["record_type", "record_id", "at"], name="change_record_at")]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self) -> str:
        return f"{self.record_type}#{self.record_id}.{self.field}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not sealed_field(self.record_type, self.field):
            return super().save(*args, **kwargs)
        old, new = self.old_value, self.new_value
        self.old_value, self.new_value = seal(old), seal(new)
        try:
            super().save(*args, **kwargs)
        finally:
            self.old_value, self.new_value = old, new

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Change:  # type: ignore[override]
        change = super().from_db(db, field_names, values)
        loaded = change.__dict__
        if sealed_field(loaded.get("record_type", ""), loaded.get("field", "")):
            for name in ("old_value", "new_value"):
                if name in loaded:
                    loaded[name] = unseal(loaded[name])
        return change


# --- imports of departments' ledgers (台账) ----------------------------------------------------


class LedgerSource(models.Model):
    """A department's ledger that is imported again and again; its column mapping is kept for the next file."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    department = models.CharField(_("department"), max_length=60, blank=True)
    record_type = models.CharField(_("record type"), max_length=20, choices=TagTarget.choices, default="person")
    # spreadsheet header -> dictionary field name, such as {"身份证号": "person.id_number"}
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ledger source")
        verbose_name_plural = _("ledger sources")

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DRY_RUN = "dry_run", _("Dry run")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Failed")


class ImportBatch(models.Model):
    """One file imported (or previewed) from a ledger source; its id is the source reference of its Change rows."""

    source = models.ForeignKey(LedgerSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="batches")
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    total = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    merged = models.PositiveIntegerField(_("merged"), default=0)
    queued = models.PositiveIntegerField(_("queued for review"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    by = user_reference(_("by"))

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self) -> str:
        return f"{self.source_id}#{self.pk} {self.file_name}"


class ImportRejection(models.Model):
    """A rejected row of a batch: where (row, column), what (value) and why (a specific Chinese reason)."""

    batch = models.ForeignKey(ImportBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="rejections")
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    # The cell as typed: often an ID number (a wrong check digit, a duplicate), so encrypted at rest like one.
    value = EncryptedTextField(_("value"), blank=True)
    reason = models.TextField(_("reason"))
    code = models.CharField(_("code"), max_length=40)

    class Meta:
        ordering = ["batch", "row", "id"]
        verbose_name = _("import rejection")
        verbose_name_plural = _("import rejections")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row} {self.code}"


# --- identity resolution -------------------------------------------------------------------------


class MatchStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    MERGED = "merged", _("Merged")
    DISTINCT = "distinct", _("Not the same person")


class MatchCandidate(models.Model):
    """疑似重复: two people who may be one, with the score and its reasons, waiting for staff (the review queue).

    ``first`` has the lower id, so a pair is stored once."""

    first = models.ForeignKey(Person, verbose_name=_("first"), on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, verbose_name=_("second"), on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=MatchStatus.choices, default=MatchStatus.PENDING)
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices, blank=True)
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True)
    found_at = models.DateTimeField(_("found at"), default=clock.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = user_reference(_("decided by"))

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="matchcandidate_pair"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="matchcandidate_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="matchcandidate_queue")]
        verbose_name = _("match candidate")
        verbose_name_plural = _("match candidates")

    def __str__(self) -> str:
        return f"{self.first_id}~{self.second_id} {self.score:.2f}"


def _snapshots(snapshots: dict[str, Any], op: Any) -> dict[str, Any]:
    """``{"kept": {field: text}, "merged": {...}}`` with ``op`` (seal or unseal) applied to the encrypted fields."""
    return {
        side: {n: op(v) if ("person", n) in SEALED_FIELDS else v for n, v in values.items()}
        for side, values in snapshots.items()
    }


def _merge_columns(merge: Merge, op: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``before`` and ``moved`` of a merge with ``op`` applied to the ID numbers in its value snapshots."""
    moved = merge.moved
    if "after" in moved:
        moved = {**moved, "after": _snapshots(moved["after"], op)}
    return _snapshots(merge.before, op), moved


class MergeQuerySet(models.QuerySet["Merge"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Merge]:  # type: ignore[override]
        """Encrypt the ID numbers of the value snapshots on the way in; the instances keep their plaintext."""
        objs = list(objs)
        opened = [(m, m.before, m.moved) for m in objs]
        for merge in objs:
            merge.before, merge.moved = _merge_columns(merge, seal)
        try:
            return super().bulk_create(objs, *args, **kwargs)  # type: ignore[return-value]
        finally:
            for merge, before, moved in opened:
                merge.before, merge.moved = before, moved


class Merge(models.Model):
    """合并: ``merged`` was folded into ``kept``. It keeps what is needed to undo it; undoing is history too.

    The value snapshots (``before``, ``moved["after"]``) hold the records' ID numbers: encrypted in the column like
    the Change values, plaintext on the instance (sealed on write, opened in ``from_db``)."""

    kept = models.ForeignKey(Person, verbose_name=_("kept record"), on_delete=models.PROTECT, related_name="merges")
    merged = models.ForeignKey(Person, verbose_name=_("merged record"), on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(
        MatchCandidate, verbose_name=_("match candidate"), null=True, blank=True, on_delete=models.SET_NULL
    )
    # field -> "kept" or "merged": whose value the merged record keeps
    choices = models.JSONField(_("field choices"), default=dict, blank=True)
    # both records' tracked values before the merge, and the ids of rows moved from one to the other
    before = models.JSONField(_("values before"), default=dict, blank=True)
    moved = models.JSONField(_("rows moved"), default=dict, blank=True)
    automatic = models.BooleanField(_("automatic"), default=False)
    by = user_reference(_("by"))
    at = models.DateTimeField(_("at"), default=clock.now)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = user_reference(_("undone by"))

    objects = MergeQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.merged_id}->{self.kept_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        before, moved = self.before, self.moved
        self.before, self.moved = _merge_columns(self, seal)
        try:
            super().save(*args, **kwargs)
        finally:
            self.before, self.moved = before, moved

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Merge:  # type: ignore[override]
        merge = super().from_db(db, field_names, values)
        if "before" in merge.__dict__ and "moved" in merge.__dict__:
            merge.before, merge.moved = _merge_columns(merge, unseal)
        return merge


class BlockingKey(models.Model):
    """One blocking key of a current person (``matching.blocking_keys``): people are compared only if they share one.

    Derived data, rebuilt by ``resolution.refresh_keys`` for every person whose ``updated_at`` differs from its
    ``BlockingStamp``; never edited by hand and never history."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=80)

    class Meta:
        indexes = [models.Index(fields=["key", "person"], name="blockingkey_key")]
        verbose_name = _("blocking key")
        verbose_name_plural = _("blocking keys")

    def __str__(self) -> str:
        return f"{self.person_id}:{self.key}"


class BlockingStamp(models.Model):
    """The ``updated_at`` of a person when its blocking keys were computed (a differing stamp means stale keys)."""

    person = models.OneToOneField(
        Person, verbose_name=_("person"), primary_key=True, on_delete=models.CASCADE, related_name="blocking_stamp"
    )
    stamp = models.DateTimeField(_("keyed at"))

    class Meta:
        verbose_name = _("blocking stamp")
        verbose_name_plural = _("blocking stamps")

    def __str__(self) -> str:
        return f"{self.person_id}@{self.stamp}"
