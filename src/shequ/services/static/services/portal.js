// Resident services in the portal: forms that undo something ask first (<form data-confirm="...">); the offline
// shell's service worker (scope /services/my/) is registered where the browser allows it.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/services/my/sw.js", { scope: "/services/my/" }).catch(function () {});
  }
})();
