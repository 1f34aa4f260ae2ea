/* The dashboard's charts (ECharts) and heat map (Leaflet), drawn from the rows the page also shows as tables. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  var palette = ["#2563eb", "#16a34a", "#d97706", "#7c3aed", "#0e7490", "#dc2626", "#64748b", "#db2777"];

  function option(chart) {
    var cols = chart.columns, rows = chart.rows;
    var base = { color: palette, tooltip: { trigger: chart.kind === "pie" ? "item" : "axis" }, animation: false,
                 grid: { left: 48, right: 16, top: 36, bottom: 40 } };
    if (chart.kind === "line") {
      base.legend = { top: 0 };
      base.xAxis = { type: "category", data: rows.map(function (r) { return r[0].slice(5); }) };
      base.yAxis = { type: "value", minInterval: 1 };
      base.series = [1, 2].map(function (i) { return { name: cols[i], type: "line", smooth: true, data: rows.map(function (r) { return r[i]; }) }; });
    } else if (chart.kind === "pie") {
      base.legend = { type: "scroll", bottom: 0 };
      base.series = [{ type: "pie", radius: ["35%", "65%"], data: rows.map(function (r) { return { name: r[0], value: r[1] }; }) }];
    } else if (chart.kind === "rates") {
      base.legend = { top: 0 };
      base.xAxis = { type: "category", data: rows.map(function (r) { return r[0]; }) };
      base.yAxis = { type: "value", max: 100, axisLabel: { formatter: "{value}%" } };
      base.series = [
        { name: cols[1], type: "bar", barWidth: "40%", data: rows.map(function (r) { return r[1]; }), label: { show: true, position: "top", formatter: "{c}%" } },
        { name: cols[2], type: "scatter", symbol: "rect", symbolSize: [48, 3], data: rows.map(function (r) { return r[2]; }), itemStyle: { color: "#dc2626" } }
      ];
    } else {
      base.legend = { top: 0 };
      base.grid.left = 120;
      base.yAxis = { type: "category", inverse: true, data: rows.map(function (r) { return r[0]; }) };
      base.xAxis = { type: "value", minInterval: 1 };
      base.series = cols.slice(1).map(function (name, i) { return { name: name, type: "bar", data: rows.map(function (r) { return r[i + 1]; }) }; });
    }
    return base;
  }

  var drawn = [];
  data.charts.forEach(function (chart) {
    var el = document.querySelector('[data-chart="' + chart.key + '"]');
    if (!el || !window.echarts) return;
    var instance = window.echarts.init(el, null, { renderer: "canvas" });
    instance.setOption(option(chart));
    el.setAttribute("data-drawn", "1");
    drawn.push(instance);
  });
  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });

  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-toggle-table]");
    if (!button) return;
    var table = document.getElementById("table-" + button.getAttribute("data-toggle-table"));
    var shown = table.classList.toggle("shown");
    button.setAttribute("aria-expanded", shown ? "true" : "false");
  });

  var mapEl = document.getElementById("heat-map");
  if (!mapEl || !window.L) return;
  var map = L.map(mapEl, { preferCanvas: true });
  if (mapEl.dataset.tileUrl) L.tileLayer(mapEl.dataset.tileUrl, { attribution: mapEl.dataset.attribution || "" }).addTo(map);
  var bounds = [];
  var top = data.heat.reduce(function (m, c) { return Math.max(m, c[2]); }, 1);
  var half = 0.001;
  data.heat.forEach(function (c) {
    var box = [[c[0] - half, c[1] - half], [c[0] + half, c[1] + half]];
    L.rectangle(box, { stroke: false, fillColor: "#dc2626", fillOpacity: 0.15 + 0.7 * c[2] / top }).bindTooltip(String(c[2])).addTo(map);
    bounds.push(box[0], box[1]);
  });
  data.spots.forEach(function (s, i) {
    L.circleMarker([s[0], s[1]], { radius: 9, color: "#1e3a8a", weight: 2, fillColor: "#fff", fillOpacity: 1 })
      .bindTooltip(String(i + 1) + " · " + s[2], { permanent: true, direction: "center", className: "spot-label" }).addTo(map);
  });
  fetch(mapEl.dataset.regionsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
    var layer = L.geoJSON(geo, { style: function (f) { return { color: "#334155", weight: f.properties.level === "community" ? 2 : 1, fill: false }; } }).addTo(map);
    if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
    else if (layer.getLayers().length) map.fitBounds(layer.getBounds());
    mapEl.setAttribute("data-drawn", "1");
  }).catch(function () { if (bounds.length) map.fitBounds(bounds); mapEl.setAttribute("data-drawn", "1"); });
  if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] }); else map.setView([22.54, 114.05], 13);
})();
