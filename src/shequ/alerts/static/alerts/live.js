/* Live alerts on an open page (docs/alerts.md "Live push"): listens to /alerts/stream/ (server-sent events).
   Residents: the banner slot gets the banner as it now stands. Staff: a notice that an alert went out.
   Without EventSource nothing happens: the banner still comes with every page load. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.EventSource || !window.JSON || !script.dataset.stream) return;

  function here() { return window.location.pathname + window.location.search; }

  function showBanner(html) {
    var slot = document.querySelector("[data-banner-slot]");
    if (!slot) return;
    slot.innerHTML = html;
    // The stream rendered the answer forms; bring the resident back here after answering, not to the stream.
    var back = slot.querySelectorAll("input[name=next]");
    for (var i = 0; i < back.length; i++) back[i].value = here();
  }

  var styled = false;
  function toast(data) {
    if (!styled && script.dataset.css) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = script.dataset.css;
      document.head.appendChild(link);
      styled = true;
    }
    var box = document.querySelector("[data-live-toasts]");
    if (!box) {
      box = document.createElement("div");
      box.className = "live-toasts";
      box.setAttribute("data-live-toasts", "");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    var item = document.createElement("a");
    item.className = "live-toast" + (data.cancel ? " live-toast-cancel" : "");
    item.href = data.board || data.url;
    item.textContent = data.text;
    item.setAttribute("data-live-alert", String(data.alert));
    box.appendChild(item);
  }

  function read(handler) {
    return function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      handler(data);
    };
  }

  var base = script.dataset.stream.split("?")[0];
  var url = script.dataset.stream;
  var delay = 5000;
  var source = null;
  var onBanner = read(function (data) { if (typeof data.banner === "string") showBanner(data.banner); });
  var onApproved = read(toast);

  function open() {
    source = new EventSource(url);
    source.addEventListener("alert", onBanner);
    source.addEventListener("banner", onBanner);
    source.addEventListener("approved", onApproved);
    source.addEventListener("open", function () { delay = 5000; });
    source.addEventListener("error", function () {
      // A dropped connection is retried by EventSource itself (with Last-Event-ID); an HTTP error closes it
      // for good, so open a new one later, from the last event seen.
      if (source.readyState !== EventSource.CLOSED) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 300000);
    });
    ["alert", "approved"].forEach(function (name) {
      source.addEventListener(name, function (event) {
        if (event.lastEventId) url = base + "?after=" + encodeURIComponent(event.lastEventId);
      });
    });
  }
  open();
  // Leaving the page: close at once rather than when the server next writes.
  window.addEventListener("pagehide", function () { if (source) source.close(); });
})();
