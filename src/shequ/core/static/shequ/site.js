// shequ: small behaviours shared by every page. No framework; htmx does the rest.
(function () {
  "use strict";
  // Forms that undo someone's work ask first: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
