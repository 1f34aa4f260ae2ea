// The visit form: the phone's position (WGS-84 from the browser) goes with the visit, when the user allows it.
(function () {
  "use strict";
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    document.getElementById("lon").value = pos.coords.longitude;
    document.getElementById("lat").value = pos.coords.latitude;
  }, function () {}, { enableHighAccuracy: true, timeout: 10000 });
})();
