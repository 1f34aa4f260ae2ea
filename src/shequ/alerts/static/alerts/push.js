/* The 开启消息提醒 switch (alerts/_push_toggle.html): registers the portal's service worker, subscribes this browser
   at its push service with our VAPID public key and tells the server; turning it off unsubscribes both. */
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return;
  var on = box.querySelector("[data-push-on]");
  var off = box.querySelector("[data-push-off]");
  var state = box.querySelector("[data-push-state]");
  var csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;
  box.hidden = false;

  function applicationServerKey(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    var raw = window.atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function show(subscribed, text) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    state.textContent = text || (subscribed ? box.dataset.textOn : "");
  }

  // pushManager.subscribe needs an active worker; a fresh registration is still installing.
  function active(registration) {
    if (registration.active) return Promise.resolve(registration);
    var worker = registration.installing || registration.waiting;
    return new Promise(function (resolve) {
      worker.addEventListener("statechange", function () {
        if (worker.state === "activated") resolve(registration);
      });
    });
  }

  navigator.serviceWorker.register(box.dataset.sw, { scope: box.dataset.scope }).then(active).then(function (registration) {
    registration.pushManager.getSubscription().then(function (subscription) {
      // Known to the browser: tell the server again (it may have dropped it, or another account used this browser).
      if (subscription) post(box.dataset.subscribe, subscription.toJSON()).catch(function () {});
      show(!!subscription);
    });

    on.addEventListener("click", function () {
      on.disabled = true;
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") throw new Error("denied");
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: applicationServerKey(box.dataset.publicKey)
        });
      }).then(function (subscription) {
        return post(box.dataset.subscribe, subscription.toJSON());
      }).then(function () {
        show(true);
      }).catch(function (error) {
        show(false, error && error.message === "denied" ? box.dataset.textDenied : box.dataset.textFailed);
      }).then(function () { on.disabled = false; });
    });

    off.addEventListener("click", function () {
      registration.pushManager.getSubscription().then(function (subscription) {
        if (!subscription) return show(false);
        var endpoint = subscription.endpoint;
        return subscription.unsubscribe().then(function () {
          return post(box.dataset.unsubscribe, { endpoint: endpoint });
        }).then(function () { show(false); });
      }).catch(function () { show(true, box.dataset.textFailed); });
    });
  }).catch(function () { box.hidden = true; });
})();
