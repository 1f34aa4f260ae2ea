"""Cache invalidation only: any saved or deleted region marks the locate index stale."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import index
from .models import Region


@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
def _region_changed(sender, **kwargs) -> None:
    index.invalidate()
