/* The wall board: the map of grids with open events, today's figures, live events, alerts in force and devices.
   Live through the platform's one stream (/alerts/stream/?board=1): a "board" or "approved" event reloads the
   board's JSON. Without EventSource it reloads every minute. */
(function () {
  "use strict";
  var body = document.body;
  var state = document.querySelector("[data-live-state]");
  var map = L.map("board-map", { zoomControl: false, attributionControl: false, preferCanvas: true });
  if (body.dataset.tileUrl) L.tileLayer(body.dataset.tileUrl).addTo(map);
  var points = L.layerGroup().addTo(map);
  var fitted = false;

  function draw(board) {
    points.clearLayers();
    board.points.forEach(function (p) {
      L.circleMarker([p[0], p[1]], { radius: 5, stroke: false, fillColor: p[2] ? "#f87171" : "#38bdf8", fillOpacity: 0.85 }).addTo(points);
    });
    document.querySelector("[data-now]").textContent = board.now;
    Object.keys(board.today).forEach(function (k) {
      var el = document.querySelector('[data-kpi="' + k + '"]');
      if (el) el.textContent = board.today[k];
    });
    board.rates.forEach(function (r) {
      var el = document.querySelector('[data-rate="' + r.code + '"]');
      if (el) el.textContent = r.value === null ? "—" : Math.round(r.value * 100) + "%";
    });
    var list = document.querySelector("[data-events]");
    var before = {};
    list.querySelectorAll("[data-event]").forEach(function (li) { before[li.dataset.event] = true; });
    list.innerHTML = "";
    board.events.forEach(function (e) {
      var li = document.createElement("li");
      li.dataset.event = e.code;
      if (e.overdue) li.className = "late";
      if (!before[e.code]) li.classList.add("fresh");
      var at = document.createElement("span"); at.textContent = e.at;
      var status = document.createElement("em"); status.textContent = e.status;
      li.appendChild(at); li.appendChild(document.createTextNode(" " + (e.category || "—") + " ")); li.appendChild(status);
      list.appendChild(li);
    });
    var alerts = document.querySelector("[data-alerts]");
    if (board.alerts.length) {
      alerts.innerHTML = "";
      board.alerts.forEach(function (a) {
        var li = document.createElement("li"); li.textContent = a.headline + " ";
        var small = document.createElement("small"); small.textContent = a.area; li.appendChild(small);
        alerts.appendChild(li);
      });
    }
    if (board.devices) drawDevices(board.devices);
    body.setAttribute("data-refreshed", String(Date.now()));
  }

  function cell(tag, text, attrs) {
    var el = document.createElement(tag); el.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    return el;
  }

  // The devices panel: counts by state, the table per type (the accessible view) and the newest alarms.
  function drawDevices(d) {
    document.querySelector("[data-device-total]").textContent = d.total;
    Object.keys(d.states).forEach(function (state) {
      var el = document.querySelector('[data-device-state="' + state + '"]');
      if (el) el.textContent = d[state];
    });
    var rows = document.querySelector("[data-device-types] tbody");
    rows.innerHTML = "";
    d.types.forEach(function (t) {
      var tr = document.createElement("tr"); tr.dataset.deviceType = t.type;
      tr.appendChild(cell("th", t.name, { scope: "row" }));
      tr.appendChild(cell("td", t.active));
      tr.appendChild(cell("td", t.offline, t.offline ? { "class": "late" } : {}));
      tr.appendChild(cell("td", t.retired));
      rows.appendChild(tr);
    });
    if (!d.types.length) rows.appendChild(cell("tr", "")).appendChild(cell("td", body.dataset.noDevices, { colspan: "4", "class": "muted" }));
    var list = document.querySelector("[data-device-alarms]");
    var before = {};
    list.querySelectorAll("[data-alarm]").forEach(function (li) { before[li.dataset.alarm] = true; });
    if (!d.alarms.length) return;
    list.innerHTML = "";
    d.alarms.forEach(function (a) {
      var li = document.createElement("li"); li.dataset.alarm = a.id;
      if (!before[a.id]) li.className = "fresh";
      li.appendChild(cell("span", a.at));
      li.appendChild(document.createTextNode(" " + a.device + " "));
      li.appendChild(cell("em", a.rule || a.outcome));
      list.appendChild(li);
    });
  }

  function reload() {
    fetch(body.dataset.boardUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(draw);
  }

  draw(JSON.parse(document.getElementById("board-data").textContent));
  fetch(body.dataset.regionsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
    var layer = L.geoJSON(geo, { style: function (f) {
      return { color: f.properties.level === "community" ? "#7dd3fc" : "#334155", weight: f.properties.level === "community" ? 2 : 1, fillColor: "#1e293b", fillOpacity: 0.35 };
    } }).addTo(map);
    if (layer.getLayers().length && !fitted) { map.fitBounds(layer.getBounds(), { padding: [16, 16] }); fitted = true; }
    body.setAttribute("data-map", "1");
  });
  map.setView([22.545, 114.06], 14);

  if (window.EventSource && body.dataset.stream) {
    var source = new EventSource(body.dataset.stream);
    source.onopen = function () { if (state) state.classList.add("on"); };
    source.onerror = function () { if (state) state.classList.remove("on"); };
    source.addEventListener("board", reload);
    source.addEventListener("approved", reload);
  }
  setInterval(reload, 60000);
})();
