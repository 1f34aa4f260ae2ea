"""Getting around: bus stops and lines from a GTFS feed (``community.gtfs`` imports it all or nothing).
``StopRoute`` is derived at import (which lines call at a stop), so "lines at the nearest stops" is one lookup."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock


class Feed(models.Model):
    name = models.CharField(pgettext_lazy("community", "name"), max_length=60, unique=True)
    imported_at = models.DateTimeField(_("imported at"), default=clock.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stops = models.PositiveIntegerField(default=0)
    routes = models.PositiveIntegerField(default=0)
    trips = models.PositiveIntegerField(default=0)
    stop_times = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("transit feed")
        verbose_name_plural = _("transit feeds")

    def __str__(self) -> str:
        return self.name


class Stop(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="+")
    stop_id = models.CharField(max_length=64)
    name = models.CharField(pgettext_lazy("community", "name"), max_length=100)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["feed", "stop_id"], name="stop_id_per_feed")]
        indexes = [models.Index(fields=["lat", "lon"], name="stop_lat_lon")]
        verbose_name = _("stop")
        verbose_name_plural = _("stops")

    def __str__(self) -> str:
        return self.name


class Route(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="+")
    route_id = models.CharField(max_length=64)
    short_name = models.CharField(max_length=50, blank=True)
    long_name = models.CharField(max_length=200, blank=True)
    type = models.PositiveSmallIntegerField(default=3)  # GTFS route_type; 3 is a bus

    class Meta:
        ordering = ["short_name", "id"]
        constraints = [models.UniqueConstraint(fields=["feed", "route_id"], name="route_id_per_feed")]
        verbose_name = _("line")
        verbose_name_plural = _("lines")

    def __str__(self) -> str:
        return self.short_name or self.long_name


class Trip(models.Model):
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="+")
    trip_id = models.CharField(max_length=64)
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="trips")
    service_id = models.CharField(max_length=64)
    headsign = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["feed", "trip_id"], name="trip_id_per_feed")]
        verbose_name = _("trip")
        verbose_name_plural = _("trips")

    def __str__(self) -> str:
        return self.trip_id


class StopTime(models.Model):
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="stop_times")
    stop = models.ForeignKey(Stop, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField()
    # Seconds after midnight of the service day; GTFS allows 25:10:00 for trips past midnight.
    arrival = models.PositiveIntegerField(null=True)
    departure = models.PositiveIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trip", "sequence"], name="stop_time_sequence")]
        indexes = [models.Index(fields=["stop", "departure"], name="stop_time_stop_departure")]
        verbose_name = _("stop time")
        verbose_name_plural = _("stop times")

    def __str__(self) -> str:
        return f"{self.trip_id}#{self.sequence}"


class StopRoute(models.Model):
    stop = models.ForeignKey(Stop, on_delete=models.CASCADE, related_name="lines")
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="+")
    headsigns = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stop", "route"], name="stop_route_once")]

    def __str__(self) -> str:
        return f"{self.stop_id}:{self.route_id}"
