// The workbench map: grid polygons and community outlines of the user's area, open events as markers.
// Works offline: without a tile URL the map is a plain background with the polygons only.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) return;

  var STATUS_COLOURS = { reported: "#d97706", accepted: "#2563eb", dispatched: "#7c3aed", handled: "#0e7490" };
  var map = L.map(el, { preferCanvas: true, zoomControl: true });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  }
  map.setView([22.54, 114.06], 13);
  window.shequMap = map; // other layers (devices/map_layer.js) add themselves to it
  var bounds = L.latLngBounds([]);

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) node.className = className;
    return node;
  }

  function popup(p) {
    var box = document.createElement("div");
    var title = text("div", p.code + " · " + p.status_label);
    title.style.fontWeight = "600";
    box.appendChild(title);
    if (p.category) box.appendChild(text("div", p.category));
    box.appendChild(text("div", p.description));
    box.appendChild(text("div", p.reported_at, "muted"));
    var link = text("a", el.dataset.labelOpen || "→");
    link.href = p.url;
    box.appendChild(link);
    return box;
  }

  function load(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": " + r.status);
      return r.json();
    });
  }

  function drawRegions(data) {
    var layer = L.geoJSON(data, {
      style: function (f) {
        return f.properties.level === "community"
          ? { color: "#1d4f91", weight: 2.5, fill: false }
          : { color: "#5b7fb3", weight: 1, fillColor: "#c9dbf3", fillOpacity: 0.35 };
      },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, { sticky: true }); },
    }).addTo(map);
    if (layer.getLayers().length) bounds.extend(layer.getBounds());
  }

  function drawEvents(data) {
    data.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      L.circleMarker([c[1], c[0]], {
        radius: 7, color: p.overdue ? "#c62828" : "#fff", weight: p.overdue ? 3 : 1.5,
        fillColor: STATUS_COLOURS[p.status] || "#555", fillOpacity: 0.9,
      }).bindPopup(popup(p)).addTo(map);
      bounds.extend([c[1], c[0]]);
    });
    var summary = document.getElementById("map-summary");
    if (summary) {
      var template = data.capped ? summary.dataset.templateCapped : summary.dataset.templateAll;
      summary.textContent = template.replace("{shown}", data.shown).replace("{total}", data.total);
    }
  }

  // Both layers first, then one fit without animation, so the view settles once.
  Promise.all([load(el.dataset.regionsUrl), load(el.dataset.eventsUrl)])
    .then(function (results) {
      drawRegions(results[0]);
      drawEvents(results[1]);
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], animate: false });
      el.dataset.ready = "true";
    })
    .catch(function (error) {
      el.dataset.ready = "error";
      if (window.console) console.error(error);
    });
})();
