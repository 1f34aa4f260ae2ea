/* The report page: category search, photo list, and the location map.
   Works without this script too (plain radios, file inputs; only the map needs it). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-action=report]");
  if (!form) return;

  // --- category search: filter leaves by name, keywords, code, group ---
  var search = form.querySelector("[data-category-search]");
  var groups = form.querySelectorAll("[data-group]");
  var noMatch = form.querySelector("[data-no-match]");
  function filterCategories() {
    var q = search.value.trim().toLowerCase();
    var any = false;
    groups.forEach(function (g) {
      var shown = 0;
      g.querySelectorAll("[data-search]").forEach(function (chip) {
        var hit = !q || chip.dataset.search.toLowerCase().indexOf(q) !== -1;
        chip.hidden = !hit;
        if (hit) shown++;
      });
      g.hidden = shown === 0;
      if (q) g.open = shown > 0;
      if (shown) any = true;
    });
    noMatch.hidden = any;
  }
  search.addEventListener("input", filterCategories);
  // A chosen category's group starts open.
  var chosen = form.querySelector("[data-group] input[name=category]:checked");
  if (chosen) chosen.closest("[data-group]").open = true;

  // --- photos: collect from camera and album into one list, at most N ---
  var photoBox = form.querySelector("[data-field=photos]");
  var maxPhotos = parseInt(photoBox.dataset.maxPhotos, 10);
  var pickers = photoBox.querySelectorAll("[data-photo-picker]");
  var real = photoBox.querySelector("[data-photo-real]");
  var thumbs = photoBox.querySelector("[data-photo-thumbs]");
  var countLine = photoBox.querySelector("[data-photo-count]");
  var files = [];
  var canMove = typeof DataTransfer === "function";
  function syncReal() {
    var dt = new DataTransfer();
    files.forEach(function (f) { dt.items.add(f); });
    real.files = dt.files;
  }
  function renderThumbs() {
    thumbs.innerHTML = "";
    files.forEach(function (f, i) {
      var li = document.createElement("li");
      var img = document.createElement("img");
      img.src = URL.createObjectURL(f);
      img.alt = f.name;
      var del = document.createElement("button");
      del.type = "button";
      del.className = "thumb-del";
      del.textContent = "×";
      del.setAttribute("aria-label", f.name);
      del.addEventListener("click", function () { files.splice(i, 1); syncReal(); renderThumbs(); });
      li.appendChild(img);
      li.appendChild(del);
      thumbs.appendChild(li);
    });
    countLine.textContent = files.length ? files.length + " / " + maxPhotos : "";
    countLine.classList.toggle("error", files.length > maxPhotos);
    if (files.length > maxPhotos) countLine.textContent += " " + photoBox.dataset.tooMany;
  }
  if (canMove) {
    real.name = "photos";
    pickers.forEach(function (p) {
      p.removeAttribute("name");
      p.addEventListener("change", function () {
        Array.prototype.forEach.call(p.files, function (f) { files.push(f); });
        p.value = "";
        syncReal();
        renderThumbs();
      });
    });
  }

  // --- the map: tap inside a grid, or use the phone's position (WGS-84) ---
  var mapEl = form.querySelector("[data-map]");
  var lonIn = form.querySelector("[data-lon]");
  var latIn = form.querySelector("[data-lat]");
  var crsIn = form.querySelector("[data-crs]");
  var status = form.querySelector("[data-location-status]");
  if (!window.L || !mapEl) return;
  var map = L.map(mapEl, { zoomSnap: 0.25, attributionControl: !!mapEl.dataset.tileUrl });
  if (mapEl.dataset.tileUrl) {
    L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    mapEl.classList.add("map-plain");
  }
  map.setView([22.55, 114.06], 15);
  // The chosen point sits above the grid names, so a tap on a label still shows where it landed.
  map.createPane("picked").style.zIndex = 660;
  var areas = [];
  var marker = null;

  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function inGeometry(x, y, g) {
    var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    return polys.some(function (rings) {
      return inRing(x, y, rings[0]) && !rings.slice(1).some(function (hole) { return inRing(x, y, hole); });
    });
  }
  function gridAt(lon, lat) {
    for (var i = 0; i < areas.length; i++) {
      if (inGeometry(lon, lat, areas[i].geometry)) return areas[i].properties;
    }
    return null;
  }
  function choose(lon, lat) {
    var grid = gridAt(lon, lat);
    var ll = [lat, lon];
    if (!marker) {
      marker = L.circleMarker(ll, {
        pane: "picked", radius: 11, color: "#fff", weight: 3, fillColor: "#c8102e", fillOpacity: 1,
      });
      marker.addTo(map);
    } else {
      marker.setLatLng(ll);
    }
    if (areas.length && !grid) {
      lonIn.value = latIn.value = "";
      marker.setStyle({ fillColor: "#888" });
      status.textContent = mapEl.dataset.outside;
      status.classList.add("error");
      return;
    }
    marker.setStyle({ fillColor: "#c8102e" });
    lonIn.value = lon.toFixed(7);
    latIn.value = lat.toFixed(7);
    crsIn.value = "wgs84";
    status.classList.remove("error");
    var place = grid ? grid.name : lat.toFixed(5) + ", " + lon.toFixed(5);
    // A full-width colon needs no space after it; an ASCII one does.
    status.textContent = mapEl.dataset.picked + (/：$/.test(mapEl.dataset.picked) ? "" : " ") + place;
  }
  map.on("click", function (e) { choose(e.latlng.lng, e.latlng.lat); });

  fetch(mapEl.dataset.areasUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      areas = data.features || [];
      if (!areas.length) return;
      var layer = L.geoJSON(data, {
        style: { color: "#c8102e", weight: 2, fillColor: "#fff", fillOpacity: 0.55, dashArray: "4 3" },
        onEachFeature: function (f, l) {
          l.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "grid-label" });
          l.on("click", function (e) { L.DomEvent.stopPropagation(e); choose(e.latlng.lng, e.latlng.lat); });
        },
      }).addTo(map);
      map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      if (lonIn.value && latIn.value) choose(parseFloat(lonIn.value), parseFloat(latIn.value));
      mapEl.dataset.ready = "1";
    });

  var locate = form.querySelector("[data-locate]");
  if (!navigator.geolocation) {
    locate.hidden = true;
  } else {
    locate.addEventListener("click", function () {
      status.textContent = mapEl.dataset.locating;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          // The browser's position is WGS-84, the same as the grid outlines.
          choose(pos.coords.longitude, pos.coords.latitude);
          map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 16));
        },
        function () {
          status.textContent = mapEl.dataset.noPosition;
          status.classList.add("error");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }
})();
