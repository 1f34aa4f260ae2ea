"""Cache invalidation only: any saved or deleted region or building marks the geo indexes stale (the locate
index, intake's address index)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import index
from .models import Building, Region


@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
@receiver(post_save, sender=Building)
@receiver(post_delete, sender=Building)
def _region_changed(sender, **kwargs) -> None:
    index.invalidate()
