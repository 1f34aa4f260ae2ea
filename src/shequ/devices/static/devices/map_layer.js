// The devices layer of the workbench map: each device at its building, green active, grey offline, with its last
// message; a layer control switches it on and off. Reads /devices/map.json (the user's scope).
(function () {
  "use strict";
  var script = document.currentScript;
  var map = window.shequMap;
  if (!map || !window.L || !script) return;
  var COLOURS = { active: "#15803d", offline: "#6b7280" };
  var layer = L.layerGroup();

  function line(tag, value) {
    var node = document.createElement(tag);
    node.textContent = value;
    return node;
  }

  fetch(script.dataset.devicesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      data.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        var box = document.createElement("div");
        var title = line("div", p.name + " · " + p.status_label);
        title.style.fontWeight = "600";
        box.appendChild(title);
        box.appendChild(line("div", p.type + " · " + p.place));
        if (p.last_at) box.appendChild(line("div", p.last + " " + p.last_at));
        var link = line("a", p.code);
        link.href = p.url;
        box.appendChild(link);
        L.circleMarker([c[1], c[0]], {
          radius: 5, color: "#fff", weight: 1, fillColor: COLOURS[p.status] || "#555", fillOpacity: 0.95,
        }).bindPopup(box).addTo(layer);
      });
      layer.addTo(map);
      var overlays = {};
      overlays[script.dataset.label + " (" + data.features.length + ")"] = layer;
      L.control.layers(null, overlays, { collapsed: false }).addTo(map);
      document.getElementById("map").dataset.devices = String(data.features.length);
    })
    .catch(function (error) { console.error("devices layer", error); });
})();
