/* The rating form: the "handle it again" box only makes sense for a low score. (A file, not an inline script:
   the content security policy runs scripts from the platform only.) */
(function () {
  var form = document.querySelector("form[data-action=rate]");
  if (!form) return;
  var box = form.querySelector("[data-reopen]");
  var max = parseInt(form.dataset.reopenMax, 10);
  function sync() {
    var picked = form.querySelector("input[name=score]:checked");
    var low = picked && parseInt(picked.value, 10) <= max;
    box.hidden = !low;
    if (!low) box.querySelector("input").checked = false;
  }
  form.addEventListener("change", sync);
  sync();
})();
