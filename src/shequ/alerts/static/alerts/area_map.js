// The compose page's area: show only the chosen kind's inputs; draw a polygon (click corners) or set a circle's
// centre by clicking the map. Works offline: without a tile URL the map shows the grid polygons only.
(function () {
  "use strict";
  var form = document.getElementById("alert-form");
  var el = document.getElementById("area-map");
  if (!form || !el) return;

  var polygonInput = form.querySelector("input[name=polygon]");
  var lonInput = form.querySelector("input[name=circle_lon]");
  var latInput = form.querySelector("input[name=circle_lat]");
  var radiusInput = form.querySelector("input[name=circle_radius_km]");

  function kind() {
    var checked = form.querySelector("input[name=area_kind]:checked");
    return checked ? checked.value : "regions";
  }

  function showKind() {
    var k = kind();
    form.querySelectorAll("[data-area]").forEach(function (box) {
      box.hidden = box.dataset.area !== k;
    });
    el.hidden = k === "regions";
    if (map && !el.hidden) map.invalidateSize();
  }

  var map = null;
  if (window.L) {
    map = L.map(el, { zoomControl: true });
    if (el.dataset.tileUrl) {
      L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([22.54, 114.06], 14);
  }

  var corners = [];
  var drawn = null;
  var circle = null;

  function redrawPolygon() {
    if (drawn) map.removeLayer(drawn);
    drawn = null;
    if (corners.length) {
      drawn = corners.length > 2 ? L.polygon(corners, { color: "#c62828" }) : L.polyline(corners, { color: "#c62828" });
      drawn.addTo(map);
    }
    if (corners.length > 2) {
      var ring = corners.map(function (p) { return [p[1], p[0]]; });
      ring.push(ring[0]);
      polygonInput.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    } else {
      polygonInput.value = "";
    }
  }

  function redrawCircle() {
    if (circle) map.removeLayer(circle);
    circle = null;
    var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value), r = parseFloat(radiusInput.value);
    if (isFinite(lon) && isFinite(lat)) {
      circle = L.circle([lat, lon], { radius: (isFinite(r) ? r : 0.1) * 1000, color: "#c62828" }).addTo(map);
    }
  }

  if (map) {
    // What the draft already has.
    if (polygonInput.value) {
      try {
        var ring = JSON.parse(polygonInput.value).coordinates[0];
        corners = ring.slice(0, -1).map(function (p) { return [p[1], p[0]]; });
      } catch (e) { corners = []; }
    }
    redrawPolygon();
    redrawCircle();

    map.on("click", function (e) {
      if (kind() === "polygon") {
        corners.push([e.latlng.lat, e.latlng.lng]);
        redrawPolygon();
      } else if (kind() === "circle") {
        lonInput.value = e.latlng.lng.toFixed(6);
        latInput.value = e.latlng.lat.toFixed(6);
        if (!radiusInput.value) radiusInput.value = "0.5";
        redrawCircle();
      }
    });
    [lonInput, latInput, radiusInput].forEach(function (input) { input.addEventListener("input", redrawCircle); });
    var clear = document.getElementById("polygon-clear");
    if (clear) clear.addEventListener("click", function () { corners = []; redrawPolygon(); });

    fetch(el.dataset.regionsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          interactive: false,
          style: function (f) {
            return f.properties.level === "community"
              ? { color: "#1d4f91", weight: 2, fill: false }
              : { color: "#5b7fb3", weight: 1, fillColor: "#c9dbf3", fillOpacity: 0.3 };
          },
        }).addTo(map);
        var bounds = layer.getLayers().length ? layer.getBounds() : null;
        if (drawn) bounds = bounds ? bounds.extend(drawn.getBounds()) : drawn.getBounds();
        if (circle) bounds = bounds ? bounds.extend(circle.getBounds()) : circle.getBounds();
        if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], animate: false });
        el.dataset.ready = "true";
      });
  }

  form.querySelectorAll("input[name=area_kind]").forEach(function (r) { r.addEventListener("change", showKind); });
  showKind();
})();
