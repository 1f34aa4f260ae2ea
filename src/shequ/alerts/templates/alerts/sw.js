{% load i18n %}{% translate 'Community alert' as default_title %}{% url 'alerts:inbox' as inbox %}/* The portal's service worker (served at /portal/sw.js): shows a pushed alert and opens its answer link. */
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data.text() };
  }
  var title = data.title || "{{ default_title|escapejs }}";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "",
    tag: data.tag || "shequ-alert",
    renotify: true,
    requireInteraction: true,
    lang: "zh-CN",
    data: { url: data.url || "{{ inbox|escapejs }}" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "{{ inbox|escapejs }}";
  event.waitUntil(self.clients.openWindow(url));
});
