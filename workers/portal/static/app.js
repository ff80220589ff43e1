// Clearhours portal. No dependencies, no inline handlers, no eval (CSP: script-src 'self').
// Idle warning: <body data-idle-minutes="30"> (or data-idle-deadline="RFC 3339") shows a
// non-modal banner two minutes before the session ends for inactivity; loading the page was
// the last activity, so the deadline is counted from now.
(function () {
  "use strict";
  var WARN_MS = 2 * 60 * 1000;
  var MAX_TIMEOUT = 2147483647;
  var body = document.body;
  var raw = body && body.getAttribute("data-idle-deadline");
  var minutes = body && Number(body.getAttribute("data-idle-minutes"));
  var deadline = raw ? Date.parse(raw) : minutes > 0 ? Date.now() + minutes * 60 * 1000 : NaN;
  if (isNaN(deadline)) return;

  function show() {
    if (document.getElementById("idle-banner")) return;
    var expired = Date.now() >= deadline;
    var banner = document.createElement("div");
    banner.id = "idle-banner";
    banner.className = "idle-banner";
    banner.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = expired
      ? "Your session has expired. Reload the page to sign in again."
      : "Your session will expire soon because of inactivity (at " +
        new Date(deadline).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) +
        "). Open or reload a page to stay signed in.";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Dismiss";
    close.addEventListener("click", function () { banner.remove(); });
    banner.appendChild(text);
    banner.appendChild(close);
    var main = document.getElementById("main");
    body.insertBefore(banner, main && main.parentNode === body ? main : body.firstChild);
  }

  function check() {
    var wait = deadline - WARN_MS - Date.now();
    if (wait <= 0) show();
    else window.setTimeout(check, Math.min(wait, MAX_TIMEOUT));
  }

  // Timers are throttled in background tabs: check again when the tab becomes visible.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && Date.now() >= deadline - WARN_MS) show();
  });
  check();
})();

// Invitation links carry their token in the URL fragment, which browsers never send to a
// server: move it into the form and drop it from the address bar.
(function () {
  var form = document.querySelector('[data-invite-form], [data-token-from-hash]');
  if (!form || !location.hash || location.hash.length < 2) return;
  var field = form.querySelector('input[name="token"]');
  if (field) field.value = decodeURIComponent(location.hash.slice(1));
  history.replaceState(null, '', location.pathname);
})();
