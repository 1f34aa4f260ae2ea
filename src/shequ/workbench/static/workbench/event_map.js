// The small map on an event's page: its point and its grid (or community) polygon.
(function () {
  "use strict";
  var el = document.getElementById("minimap");
  var data = document.getElementById("map-data");
  if (!el || !data || !window.L) return;
  data = JSON.parse(data.textContent);
  var map = L.map(el, { zoomControl: true, attributionControl: !!el.dataset.tileUrl });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  }
  // Leaflet draws vectors only on a map that has a view: compute the bounds, set the view, then add.
  var layers = [];
  var bounds = L.latLngBounds([]);
  if (data.boundary) {
    var area = L.geoJSON(data.boundary, { style: { color: "#1d4f91", weight: 2, fillColor: "#c9dbf3", fillOpacity: 0.35 } });
    area.bindTooltip(data.area);
    layers.push(area);
    bounds.extend(area.getBounds());
  }
  if (data.point) {
    layers.push(L.circleMarker(data.point, { radius: 8, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1 }));
    bounds.extend(data.point);
  }
  if (bounds.isValid()) {
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
  } else {
    map.setView([22.54, 114.06], 12);
  }
  layers.forEach(function (layer) { layer.addTo(map); });
})();
