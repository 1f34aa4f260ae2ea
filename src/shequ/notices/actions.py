"""Every write to a notice. One transaction and one timeline row (``NoticeEntry``) per action.

    compose -> draft -> edit* -> publish -> published (seen from ``publish_at``) -> edit* -> withdraw -> withdrawn

Who: community staff and above (and administrators), for notices whose regions all lie inside their own area.
Reading is recorded once per person (``mark_read``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shequ.access.models import Role, User
from shequ.access.scopes import area_prefix, manages_area
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.geo.models import Region
from shequ.registry.models import Tag

from . import attachments, rendering
from .models import AUDIENCE_ROLES, Notice, NoticeAttachment, NoticeEntry, NoticeRead, State

TITLE_MAX = 120
BODY_MAX = 50_000


def may_write(user: User) -> bool:
    """Community staff and above with an area, and administrators."""
    return manages_area(user)


def may_manage(user: User, notice: Notice) -> bool:
    """A writer whose area holds every region of the notice."""
    if not may_write(user):
        return False
    prefix = area_prefix(user)
    return prefix is not None and all(r.code.startswith(prefix) for r in notice.regions.all())


@dataclass(frozen=True, kw_only=True)
class NoticeInput:
    title: str
    body: str
    regions: Sequence[Region]
    audience_roles: Sequence[str] = (Role.RESIDENT.value,)
    audience_tags: Sequence[Tag] = ()
    publish_at: datetime | None = None
    expires_at: datetime | None = None
    pinned: bool = False

    @classmethod
    def from_notice(cls, notice: Notice) -> NoticeInput:
        return cls(
            title=notice.title,
            body=notice.body,
            regions=list(notice.regions.all()),
            audience_roles=notice.roles,
            audience_tags=list(notice.audience_tags.all()),
            publish_at=notice.publish_at,
            expires_at=notice.expires_at,
            pinned=notice.pinned,
        )


def _require_writer(user: User) -> None:
    if not may_write(user):
        raise PermissionDenied(_("Only community staff and above may write notices."), code="not_a_writer")


def _apply(notice: Notice, data: NoticeInput, *, by: User) -> None:
    """Validate the input and copy it onto the notice (not saved; many-to-many fields are set by the caller)."""
    title = (data.title or "").strip()
    if not title:
        raise InvalidInput(_("Give the notice a title."), code="title_required", field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(_("The title is too long (at most %(n)s characters).") % {"n": TITLE_MAX}, field="title")
    body = (data.body or "").strip()
    if not body:
        raise InvalidInput(_("Write the text of the notice."), code="body_required", field="body")
    if len(body) > BODY_MAX:
        raise InvalidInput(_("The text is too long (at most %(n)s characters).") % {"n": BODY_MAX}, field="body")
    if not data.regions:
        raise InvalidInput(_("Choose at least one region."), code="regions_required", field="regions")
    prefix = area_prefix(by)
    for region in data.regions:
        if prefix is None or not region.code.startswith(prefix):
            raise PermissionDenied(
                _("%(region)s is outside your area.") % {"region": region.name}, code="outside_area", field="regions"
            )
    allowed = {code for code, _label in AUDIENCE_ROLES}
    roles = [r for code, _label in AUDIENCE_ROLES for r in data.audience_roles if r == code]
    if not roles or set(data.audience_roles) - allowed:
        raise InvalidInput(_("Choose who the notice is for."), code="audience_required", field="audience_roles")
    if data.publish_at and data.expires_at and data.expires_at <= data.publish_at:
        raise InvalidInput(_("The notice must expire after it is published."), code="expiry", field="expires_at")
    notice.title = title
    notice.body = body
    notice.body_html = rendering.render(body)
    notice.audience_roles = Notice.pack_roles(roles)
    notice.publish_at = data.publish_at
    notice.expires_at = data.expires_at
    notice.pinned = bool(data.pinned)


def _log(notice: Notice, action: str, by: User | None, from_state: str, note: str = "") -> None:
    NoticeEntry.objects.create(
        notice=notice, action=action, actor=by, from_state=from_state, to_state=notice.state, note=note, at=clock.now()
    )


def _lock(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().get(pk=notice.pk)


def _require_manage(notice: Notice, by: User) -> None:
    _require_writer(by)
    if not may_manage(by, notice):
        raise PermissionDenied(_("This notice reaches outside your area."), code="outside_area")


@transaction.atomic
def compose(*, by: User, data: NoticeInput) -> Notice:
    """A new draft notice for regions inside the writer's area."""
    _require_writer(by)
    now = clock.now()
    notice = Notice(author=by, created_at=now, updated_at=now)
    _apply(notice, data, by=by)
    notice.save()
    notice.regions.set(data.regions)
    notice.audience_tags.set(data.audience_tags)
    _log(notice, "compose", by, "")
    return notice


@transaction.atomic
def edit(notice: Notice, *, by: User, data: NoticeInput) -> Notice:
    """Change a draft or a published notice (a correction); a withdrawn notice stays as it was."""
    notice = _lock(notice)
    _require_manage(notice, by)
    if notice.state == State.WITHDRAWN:
        raise InvalidTransition(_("A withdrawn notice cannot be changed."), code="withdrawn")
    _apply(notice, data, by=by)
    if notice.state == State.PUBLISHED and notice.publish_at is None:
        notice.publish_at = clock.now()
    notice.updated_at = clock.now()
    notice.save()
    notice.regions.set(data.regions)
    notice.audience_tags.set(data.audience_tags)
    _log(notice, "edit", by, notice.state)
    return notice


@transaction.atomic
def publish(notice: Notice, *, by: User) -> Notice:
    """Publish a draft: now, or from its ``publish_at`` when that is still to come."""
    notice = _lock(notice)
    _require_manage(notice, by)
    if notice.state != State.DRAFT:
        raise InvalidTransition(_("Only a draft can be published."), code="not_draft")
    now = clock.now()
    if notice.expires_at and notice.expires_at <= now:
        raise InvalidInput(_("This notice has already expired; change its expiry time first."), field="expires_at")
    notice.publish_at = notice.publish_at or now
    notice.state = State.PUBLISHED
    notice.updated_at = now
    notice.save()
    _log(notice, "publish", by, State.DRAFT)
    return notice


@transaction.atomic
def withdraw(notice: Notice, *, by: User, reason: str) -> Notice:
    """Take a published notice down; residents no longer see it. The reason is kept in the timeline."""
    notice = _lock(notice)
    _require_manage(notice, by)
    if notice.state != State.PUBLISHED:
        raise InvalidTransition(_("Only a published notice can be withdrawn."), code="not_published")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason."), code="reason_required", field="reason")
    notice.state = State.WITHDRAWN
    notice.updated_at = clock.now()
    notice.save()
    _log(notice, "withdraw", by, State.PUBLISHED, reason)
    return notice


@transaction.atomic
def attach(notice: Notice, upload: UploadedFile, *, by: User) -> NoticeAttachment:
    """Add a checked file (type from its first bytes, size limit, at most ``MAX_ATTACHMENTS``)."""
    notice = _lock(notice)
    _require_manage(notice, by)
    if notice.state == State.WITHDRAWN:
        raise InvalidTransition(_("A withdrawn notice cannot be changed."), code="withdrawn")
    if notice.attachments.count() >= attachments.MAX_ATTACHMENTS:
        raise InvalidInput(
            _("At most %(n)s attachments.") % {"n": attachments.MAX_ATTACHMENTS}, code="attachment_count", field="file"
        )
    content_type = attachments.check(upload)
    name = (upload.name or "").rsplit("/", 1)[-1][:200]
    return NoticeAttachment.objects.create(
        notice=notice,
        file=upload,
        name=name,
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=by,
        created_at=clock.now(),
    )


@transaction.atomic
def detach(attachment: NoticeAttachment, *, by: User) -> None:
    notice = _lock(attachment.notice)
    _require_manage(notice, by)
    if notice.state == State.WITHDRAWN:
        raise InvalidTransition(_("A withdrawn notice cannot be changed."), code="withdrawn")
    stored = attachment.file.name or ""
    attachment.delete()
    # The file goes only once the row is gone for good.
    if stored:
        transaction.on_commit(lambda: attachment.file.storage.delete(stored))


def mark_read(notice: Notice, *, user: User) -> bool:
    """Record that the user opened the notice; True the first time. Opening it again changes nothing."""
    if NoticeRead.objects.filter(notice=notice, user=user).exists():
        return False
    try:
        with transaction.atomic():
            NoticeRead.objects.create(notice=notice, user=user, read_at=clock.now())
    except IntegrityError:  # two tabs opened it at once
        return False
    return True
